import { contiguousStrides, sizeOf, type DType } from '@fathom/core';
import { collapseDims, type BackendBuffer, type BinaryOp, type UnaryOp } from '@fathom/core/backend';
import { binaryExpression, CLAMP_F32, POW_I32, unaryExpression } from '../kernels/elementwise.js';
import { bindingDeclarations, linearEntry, type BindingSpec } from '../kernels/launch.js';
import { ParamLayout, type ParamField, type ParamValues } from '../params.js';
import { mathLibrary } from '../wgsl/math.js';
import { conversionFunctions, convertExpression, storageType } from '../wgsl/storage-type.js';
import { stridedFields, stridedOffsets } from '../wgsl/strided.js';

/** A read of a buffer through a view whose strides are over the fused kernel's iteration shape. */
export interface FusedLoad {
  readonly kind: 'load';
  readonly buffer: BackendBuffer;
  readonly offset: number;
  readonly strides: readonly number[];
}

/** Kernels.fill's value: one word of bits, the same at every element (so it lines up with any view). */
export interface FusedFill {
  readonly kind: 'fill';
  readonly dtype: DType;
  readonly bits: number;
}

/** Kernels.copy's conversion of a node to another dtype. */
export interface FusedConvert {
  readonly kind: 'convert';
  readonly from: DType;
  readonly to: DType;
  readonly x: FusedNode;
}

/** Kernels.unary of a node; its bounds and slope become fields of the parameter block, not constants, so values never change the pipeline. */
export interface FusedUnary {
  readonly kind: 'unary';
  readonly op: UnaryOp;
  readonly inType: DType;
  readonly outType: DType;
  readonly x: FusedNode;
  readonly alpha: number;
  readonly min: number;
  readonly max: number;
}

/** Kernels.binary of two nodes; alpha (1 but for a scaled add or sub) is a field of the parameter block. */
export interface FusedBinary {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly inType: DType;
  readonly outType: DType;
  readonly a: FusedNode;
  readonly b: FusedNode;
  readonly alpha: number;
}

/** Kernels.where of three nodes. */
export interface FusedWhere {
  readonly kind: 'where';
  readonly dtype: DType;
  readonly cond: FusedNode;
  readonly a: FusedNode;
  readonly b: FusedNode;
}

/**
 * An elementwise expression over one iteration shape. Nodes are shared, not
 * copied, when an expression is inlined twice (`t.mul(t)`), so it is a DAG
 * and each node is computed once per element.
 */
export type FusedNode = FusedLoad | FusedFill | FusedConvert | FusedUnary | FusedBinary | FusedWhere;

/** One dispatch's worth of a fused expression: what the backend launches. */
export interface FusedPlan {
  /** The structure of the expression (ops, dtypes, which loads share a buffer) and its rank: the pipeline key. */
  readonly key: string;
  readonly rank: number;
  /** Distinct buffers read, in binding order. */
  readonly reads: readonly BackendBuffer[];
  readonly total: number;
  readonly params: Uint32Array;
  readonly source: () => string;
}

function children(node: FusedNode): readonly FusedNode[] {
  if (node.kind === 'load' || node.kind === 'fill') return [];
  if (node.kind === 'unary' || node.kind === 'convert') return [node.x];
  if (node.kind === 'binary') return [node.a, node.b];
  return [node.cond, node.a, node.b];
}

function nodeType(node: FusedNode): string {
  if (node.kind === 'load') return storageType(node.buffer.dtype, 'fused');
  if (node.kind === 'convert') return storageType(node.to, 'fused');
  return storageType(node.kind === 'where' || node.kind === 'fill' ? node.dtype : node.outType, 'fused');
}

// The unary ops whose WGSL reads the parameter block.
const PARAMETRIC: ReadonlySet<UnaryOp> = new Set(['leakyRelu', 'elu', 'clamp']);

// Every node once, children before parents, in a deterministic order (so the same structure gives the same key).
function postOrder(root: FusedNode): FusedNode[] {
  const order: FusedNode[] = [];
  const seen = new Set<FusedNode>();
  const visit = (node: FusedNode): void => {
    if (seen.has(node)) return;
    seen.add(node);
    children(node).forEach(visit);
    order.push(node);
  };
  visit(root);
  return order;
}

/** `root` with every load of `from` reading `to` instead (nodes that do not read `from` are kept, not copied). */
export function withBuffer(root: FusedNode, from: BackendBuffer, to: BackendBuffer): FusedNode {
  const done = new Map<FusedNode, FusedNode>();
  const visit = (node: FusedNode): FusedNode => {
    const cached = done.get(node);
    if (cached) return cached;
    let result: FusedNode = node;
    if (node.kind === 'load') result = node.buffer === from ? { ...node, buffer: to } : node;
    else if (node.kind === 'unary' || node.kind === 'convert') {
      const x = visit(node.x);
      if (x !== node.x) result = { ...node, x };
    } else if (node.kind === 'binary') {
      const a = visit(node.a);
      const b = visit(node.b);
      if (a !== node.a || b !== node.b) result = { ...node, a, b };
    } else if (node.kind === 'where') {
      const cond = visit(node.cond);
      const a = visit(node.a);
      const b = visit(node.b);
      if (cond !== node.cond || a !== node.a || b !== node.b) result = { ...node, cond, a, b };
    }
    done.set(node, result);
    return result;
  };
  return visit(root);
}

/** What bounds a fusion, known before planning it: the ops of `root`, the distinct buffers it reads (in binding order) and its rank over `shape`. */
export function measure(root: FusedNode, shape: readonly number[]): { ops: number; reads: BackendBuffer[]; rank: number } {
  const order = postOrder(root);
  const loads = order.filter((node): node is FusedLoad => node.kind === 'load');
  const rank = collapseDims(shape, [...loads.map((load) => load.strides), contiguousStrides(shape)]).shape.length;
  return { ops: order.length - loads.length, reads: [...new Set(loads.map((load) => load.buffer))], rank };
}

/**
 * Plans the kernel computing `root` over `shape` into a row-major buffer of
 * `outType`. Each node's WGSL is the very expression its own kernel uses
 * (kernels/elementwise.ts), evaluated in its own block from the values of
 * its children, so a fused result has the same bits as the unfused chain
 * wherever the compiler keeps each f32 operation rounded on its own.
 */
export function planFused(root: FusedNode, shape: readonly number[], outType: DType): FusedPlan {
  const order = postOrder(root);
  const ids = new Map<FusedNode, number>(order.map((node, k) => [node, k]));
  const loads = order.filter((node): node is FusedLoad => node.kind === 'load');
  const reads = [...new Set(loads.map((load) => load.buffer))];
  const collapsed = collapseDims(shape, [...loads.map((load) => load.strides), contiguousStrides(shape)]);
  const rank = collapsed.shape.length;
  const loadName = (load: FusedLoad): string => `l${ids.get(load)}`;
  const loadNames = loads.map(loadName);

  const nodeFields: ParamField[] = [];
  const values: Record<string, number | readonly number[]> = { total: sizeOf(shape), shape: collapsed.shape };
  loads.forEach((load, j) => {
    values[`${loadNames[j]}Strides`] = collapsed.strides[j];
    values[`${loadNames[j]}Offset`] = load.offset;
  });
  const structure: string[] = [];
  for (const [k, node] of order.entries()) {
    const ref = (child: FusedNode): number => ids.get(child) as number;
    if (node.kind === 'load') structure.push(`L${reads.indexOf(node.buffer)}:${node.buffer.dtype}`);
    else if (node.kind === 'fill') {
      structure.push(`F${node.dtype}`);
      nodeFields.push({ name: `bits${k}`, type: 'u32' });
      values[`bits${k}`] = node.bits;
    } else if (node.kind === 'convert') structure.push(`C${node.from}>${node.to}(${ref(node.x)})`);
    else if (node.kind === 'unary') {
      structure.push(`U${node.op}:${node.inType}>${node.outType}(${ref(node.x)})`);
      if (PARAMETRIC.has(node.op)) {
        nodeFields.push({ name: `alpha${k}`, type: 'f32' }, { name: `minValue${k}`, type: 'f32' }, { name: `maxValue${k}`, type: 'f32' });
        Object.assign(values, { [`alpha${k}`]: node.alpha, [`minValue${k}`]: node.min, [`maxValue${k}`]: node.max });
      }
    } else if (node.kind === 'binary') {
      const scaled = node.alpha !== 1;
      structure.push(`B${node.op}${scaled ? '*' : ''}:${node.inType}>${node.outType}(${ref(node.a)},${ref(node.b)})`);
      if (scaled) {
        nodeFields.push({ name: `alpha${k}`, type: 'f32' });
        values[`alpha${k}`] = node.alpha;
      }
    } else structure.push(`W${node.dtype}(${ref(node.cond)},${ref(node.a)},${ref(node.b)})`);
  }
  const layout = new ParamLayout([{ name: 'total', type: 'u32' }, ...stridedFields(rank, loadNames), ...nodeFields]);
  return {
    key: structure.join(';'),
    rank,
    reads,
    total: values.total as number,
    params: layout.pack(values as ParamValues),
    source: () => fusedSource(order, ids, reads, loadNames, layout, rank, outType),
  };
}

function fusedSource(
  order: readonly FusedNode[], ids: ReadonlyMap<FusedNode, number>, reads: readonly BackendBuffer[],
  loadNames: readonly string[], layout: ParamLayout, rank: number, outType: DType,
): string {
  const uses = new Set<string>();
  const helpers: string[] = [];
  const body: string[] = [stridedOffsets(rank, loadNames, 'i')];
  const value = (node: FusedNode): string => `t${ids.get(node)}`;
  for (const [k, node] of order.entries()) {
    const name = `t${k}`;
    if (node.kind === 'load') {
      body.push(`let ${name} = in${reads.indexOf(node.buffer)}[l${k}At];`);
      continue;
    }
    if (node.kind === 'fill') {
      body.push(`let ${name} = bitcast<${nodeType(node)}>(p.bits${k});`);
      continue;
    }
    if (node.kind === 'convert') {
      for (const use of conversionFunctions(node.from, node.to)) uses.add(use);
      body.push(`let ${name} = ${convertExpression(value(node.x), node.from, node.to)};`);
      continue;
    }
    if (node.kind === 'where') {
      body.push(`let ${name} = select(${value(node.b)}, ${value(node.a)}, ${value(node.cond)} != 0u);`);
      continue;
    }
    const expression = node.kind === 'unary' ? unaryExpression(node.op, node.inType) : binaryExpression(node.op, node.inType, node.alpha !== 1);
    for (const use of expression.uses ?? []) uses.add(use);
    let code = expression.code;
    const inputs = node.kind === 'unary' ? `let v = ${value(node.x)};` : `let a = ${value(node.a)}; let b = ${value(node.b)};`;
    let ordered = '';
    if (node.kind === 'binary' && node.inType === 'float32') {
      uses.add('isNan');
      ordered = ' let ordered = !isNan(a) && !isNan(b);';
    }
    if (node.kind === 'binary' && node.op === 'pow' && node.inType === 'int32' && !helpers.includes(POW_I32)) helpers.push(POW_I32);
    // Each node reads its own fields of the parameter block (planFused named them after the node).
    const own = (text: string): string => text.replaceAll('p.alpha', `p.alpha${k}`).replaceAll('p.minValue', `p.minValue${k}`).replaceAll('p.maxValue', `p.maxValue${k}`);
    if (node.kind === 'unary' && node.op === 'clamp' && node.inType === 'float32') {
      helpers.push(own(CLAMP_F32).replace('fn clampF32(', `fn clampF32n${k}(`));
      code = code.replace('clampF32(', `clampF32n${k}(`);
    }
    if ((node.kind === 'unary' && PARAMETRIC.has(node.op)) || (node.kind === 'binary' && node.alpha !== 1)) code = own(code);
    body.push(`var ${name}: ${nodeType(node)};\n  { ${inputs}${ordered} ${name} = ${code}; }`);
  }
  body.push(`out[i] = t${order.length - 1};`);
  const bindings: BindingSpec[] = [
    ...reads.map((buffer, b): BindingSpec => ({ name: `in${b}`, type: storageType(buffer.dtype, 'fused'), access: 'read' })),
    { name: 'out', type: storageType(outType, 'fused'), access: 'read_write' },
  ];
  return `${mathLibrary([...uses])}
${helpers.join('\n')}
${bindingDeclarations(bindings, layout.wgsl())}
${linearEntry(body.join('\n  '))}`;
}
