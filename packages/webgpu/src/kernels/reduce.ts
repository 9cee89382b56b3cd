import { DTypeError, ShapeError, sizeOf, type DType } from '@fathom/core';
import { collapseDims, splitReducedDims, type ArgReduceOp, type BackendBuffer, type ReduceOp, type View } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { mathLibrary } from '../wgsl/math.js';
import { storageType, type StorageType } from '../wgsl/storage-type.js';
import { MAX_RANK, stridedFields, stridedOffsets } from '../wgsl/strided.js';
import { bindingDeclarations, gridFor, linearEntry, linearGrid, type KernelRunner } from './launch.js';

// Two ways to reduce: one invocation per output walking its whole block (few
// elements per output), or one workgroup per output, each invocation taking
// every REDUCE_WORKGROUP-th element and a tree in workgroup memory combining
// them (long blocks; the tree also keeps float sums accurate, its error
// growing with the log of the length rather than the length).
const REDUCE_WORKGROUP = 64;
const SERIAL_LIMIT = 64;

/** How a reduction kernel walks its input. */
export type ReduceStrategy = 'serial' | 'workgroup';

interface Split {
  readonly outputs: number;
  readonly count: number;
  readonly kept: { shape: number[]; strides: number[] };
  readonly reduced: { shape: number[]; strides: number[] };
}

// Kept (outer, in order) and reduced dims of x, each merged where contiguous.
function split(op: string, x: View, dims: readonly number[]): Split {
  const { keptShape, keptStrides, reducedShape, reducedStrides } = splitReducedDims(x, dims);
  const kept = collapseDims(keptShape, [keptStrides]);
  const reduced = collapseDims(reducedShape, [reducedStrides]);
  if (kept.shape.length > MAX_RANK || reduced.shape.length > MAX_RANK) {
    throw new ShapeError(`webgpu: ${op} handles at most ${MAX_RANK} non-mergeable dims, got shape [${x.shape.join(',')}]`);
  }
  return {
    outputs: sizeOf(keptShape),
    count: sizeOf(reducedShape),
    kept: { shape: kept.shape, strides: kept.strides[0] },
    reduced: { shape: reduced.shape, strides: reduced.strides[0] },
  };
}

function reduceLayout(keptRank: number, reducedRank: number): ParamLayout {
  return new ParamLayout([
    { name: 'total', type: 'u32' },
    { name: 'count', type: 'u32' },
    ...stridedFields(keptRank, ['x'], 'keptShape'),
    ...stridedFields(reducedRank, ['r'], 'reducedShape'),
  ]);
}

function packSplit(layout: ParamLayout, s: Split, offset: number): Uint32Array {
  return layout.pack({
    total: s.outputs, count: s.count,
    keptShape: s.kept.shape, xStrides: s.kept.strides, xOffset: offset,
    reducedShape: s.reduced.shape, rStrides: s.reduced.strides, rOffset: 0,
  });
}

// WGSL declaring `xAt`, the offset of the element at reduced position `r` of output `o`'s block.
function elementOffset(s: { keptRank: number; reducedRank: number }): { base: string; element: string } {
  return {
    base: stridedOffsets(s.keptRank, ['x'], 'o', 'keptShape'),
    element: `${stridedOffsets(s.reducedRank, ['r'], 'r', 'reducedShape', 'Inner')}
    let at = xAt + rInnerAt;`,
  };
}

interface ReduceAlgebra {
  readonly accType: StorageType;
  readonly identity: string;
  /** Expression combining `a` and `b`. */
  readonly combine: string;
  /** Expression turning an input element `v` into an accumulator value. */
  readonly load: string;
  readonly uses: readonly string[];
}

function algebra(op: ReduceOp, inType: StorageType): ReduceAlgebra {
  if (op === 'all' || op === 'any') {
    const load = inType === 'f32' ? 'u32(truthyF32(v))' : inType === 'i32' ? 'u32(v != 0)' : 'u32(v != 0u)';
    return { accType: 'u32', identity: op === 'all' ? '1u' : '0u', combine: op === 'all' ? '(a & b)' : '(a | b)', load, uses: ['truthy'] };
  }
  const zero = inType === 'f32' ? '0.0' : inType === 'i32' ? '0' : '0u';
  const one = inType === 'f32' ? '1.0' : inType === 'i32' ? '1' : '1u';
  const base = { accType: inType, load: 'v' };
  switch (op) {
    case 'sum': return { ...base, identity: zero, combine: '(a + b)', uses: [] };
    case 'prod': return { ...base, identity: one, combine: '(a * b)', uses: [] };
    case 'max':
      if (inType === 'f32') return { ...base, identity: 'negInfF32()', combine: 'select(select(a, b, b > a || isNan(b)), a, isNan(a))', uses: ['isNan', 'constants'] };
      return { ...base, identity: inType === 'i32' ? 'i32(-2147483648)' : '0u', combine: 'max(a, b)', uses: [] };
    default:
      if (inType === 'f32') return { ...base, identity: 'infF32()', combine: 'select(select(a, b, b < a || isNan(b)), a, isNan(a))', uses: ['isNan', 'constants'] };
      return { ...base, identity: inType === 'i32' ? '2147483647' : '1u', combine: 'min(a, b)', uses: [] };
  }
}

/** WGSL of a reduction of `inType` elements by `op`, `strategy` as above, for the given ranks of kept and reduced dims. */
export function reduceSource(op: ReduceOp, inType: DType, strategy: ReduceStrategy, keptRank: number, reducedRank: number): string {
  const a = algebra(op, storageType(inType, op));
  const layout = reduceLayout(keptRank, reducedRank);
  const { base, element } = elementOffset({ keptRank, reducedRank });
  const header = `${mathLibrary(a.uses)}
${bindingDeclarations([{ name: 'x', type: storageType(inType, op), access: 'read' }, { name: 'out', type: a.accType, access: 'read_write' }], layout.wgsl())}
fn combine(a: ${a.accType}, b: ${a.accType}) -> ${a.accType} { return ${a.combine}; }`;
  if (strategy === 'serial') {
    return `${header}
${linearEntry(`let o = i;
  ${base}
  var acc: ${a.accType} = ${a.identity};
  for (var r = 0u; r < p.count; r++) {
    ${element}
    let v = x[at];
    acc = combine(acc, ${a.load});
  }
  out[o] = acc;`)}`;
  }
  return `${header}
var<workgroup> partial: array<${a.accType}, ${REDUCE_WORKGROUP}>;
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * nwg.x + wid.x;
  var acc: ${a.accType} = ${a.identity};
  if (o < p.total) {
    ${base}
    for (var r = lid; r < p.count; r += ${REDUCE_WORKGROUP}u) {
      ${element}
      let v = x[at];
      acc = combine(acc, ${a.load});
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var step = ${REDUCE_WORKGROUP / 2}u; step > 0u; step = step >> 1u) {
    if (lid < step) { partial[lid] = combine(partial[lid], partial[lid + step]); }
    workgroupBarrier();
  }
  if (lid == 0u && o < p.total) { out[o] = partial[0]; }
}`;
}

function strategyFor(count: number): ReduceStrategy {
  return count <= SERIAL_LIMIT ? 'serial' : 'workgroup';
}

/** Kernels.reduce. */
export function reduceKernel(runner: KernelRunner, op: ReduceOp, x: View, dims: readonly number[], out: BackendBuffer): void {
  const inType = x.buffer.dtype;
  storageType(inType, op);
  if (op !== 'all' && op !== 'any' && out.dtype !== inType) {
    throw new DTypeError(`webgpu: reduce '${op}' writes its input's dtype, got ${inType} in and ${out.dtype} out`);
  }
  const s = split(op, x, dims);
  if (s.outputs === 0) return;
  const strategy = strategyFor(s.count);
  const keptRank = s.kept.shape.length;
  const reducedRank = s.reduced.shape.length;
  runner.launch({
    kernel: 'reduce',
    key: { op, inType, strategy, keptRank, reducedRank },
    source: () => reduceSource(op, inType, strategy, keptRank, reducedRank),
    reads: [x.buffer],
    writes: [{ buffer: out, whole: true }],
    params: packSplit(reduceLayout(keptRank, reducedRank), s, x.offset),
    workgroups: strategy === 'serial' ? linearGrid(s.outputs, runner) : gridFor(s.outputs, runner.maxWorkgroupsPerDimension),
  });
}

// ── argmax / argmin ────────────────────────────────────────────────────────

/**
 * WGSL of argmax/argmin: the first index of the extreme element, a NaN
 * counting as the extreme (the first NaN), as the CPU backend and PyTorch.
 * Candidates are (value, index) pairs; index 0xffffffff marks "none yet".
 */
export function argReduceSource(op: ArgReduceOp, inType: DType, strategy: ReduceStrategy, keptRank: number): string {
  const type = storageType(inType, op);
  if (type === 'u32') throw new DTypeError(`webgpu: ${op} has no bool kernel; cast to int32 first`);
  const layout = reduceLayout(keptRank, 1);
  const better = op === 'argmax' ? 'b > a' : 'b < a';
  const nan = type === 'f32';
  const header = `${mathLibrary(nan ? ['isNan'] : [])}
${bindingDeclarations([{ name: 'x', type, access: 'read' }, { name: 'out', type: 'i32', access: 'read_write' }], layout.wgsl())}
struct Candidate { value: ${type}, index: u32 }
fn isBetter(b: ${type}, a: ${type}) -> bool { return ${better}; }
// Whether candidate b beats candidate a (either may come first in the row).
fn beats(b: Candidate, a: Candidate) -> bool {
  if (b.index == 0xffffffffu) { return false; }
  if (a.index == 0xffffffffu) { return true; }
  ${nan ? `let aNan = isNan(a.value);
  let bNan = isNan(b.value);
  if (aNan || bNan) { return bNan && (!aNan || b.index < a.index); }` : ''}
  if (isBetter(b.value, a.value)) { return true; }
  if (isBetter(a.value, b.value)) { return false; }
  return b.index < a.index;
}`;
  const scan = `${stridedOffsets(keptRank, ['x'], 'o', 'keptShape')}
    for (var r = START; r < p.count; r += STEP) {
      let candidate = Candidate(x[u32(i32(xAt) + i32(r) * p.rStrides[0])], r);
      if (beats(candidate, best)) { best = candidate; }
    }`;
  if (strategy === 'serial') {
    return `${header}
${linearEntry(`let o = i;
  var best = Candidate(${type === 'f32' ? '0.0' : '0'}, 0xffffffffu);
  ${scan.replace('START', '0u').replace('STEP', '1u')}
  out[o] = i32(best.index);`)}`;
  }
  return `${header}
var<workgroup> partial: array<Candidate, ${REDUCE_WORKGROUP}>;
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * nwg.x + wid.x;
  var best = Candidate(${type === 'f32' ? '0.0' : '0'}, 0xffffffffu);
  if (o < p.total) {
    ${scan.replace('START', 'lid').replace('STEP', `${REDUCE_WORKGROUP}u`)}
  }
  partial[lid] = best;
  workgroupBarrier();
  for (var step = ${REDUCE_WORKGROUP / 2}u; step > 0u; step = step >> 1u) {
    if (lid < step && beats(partial[lid + step], partial[lid])) { partial[lid] = partial[lid + step]; }
    workgroupBarrier();
  }
  if (lid == 0u && o < p.total) { out[o] = i32(partial[0].index); }
}`;
}

/** Kernels.argReduce. */
export function argReduceKernel(runner: KernelRunner, op: ArgReduceOp, x: View, dim: number, out: BackendBuffer): void {
  const inType = x.buffer.dtype;
  const { keptShape, keptStrides } = splitReducedDims(x, [dim]);
  const kept = collapseDims(keptShape, [keptStrides]);
  if (kept.shape.length > MAX_RANK) throw new ShapeError(`webgpu: ${op} handles at most ${MAX_RANK} non-mergeable dims, got shape [${x.shape.join(',')}]`);
  const outputs = sizeOf(keptShape);
  const count = x.shape[dim];
  if (outputs === 0 || count === 0) return;
  const strategy = strategyFor(count);
  const keptRank = kept.shape.length;
  runner.launch({
    kernel: 'argReduce',
    key: { op, inType, strategy, keptRank },
    source: () => argReduceSource(op, inType, strategy, keptRank),
    reads: [x.buffer],
    writes: [{ buffer: out, whole: true }],
    params: reduceLayout(keptRank, 1).pack({
      total: outputs, count,
      keptShape: kept.shape, xStrides: kept.strides[0], xOffset: x.offset,
      reducedShape: [count], rStrides: [x.strides[dim]], rOffset: 0,
    }),
    workgroups: strategy === 'serial' ? linearGrid(outputs, runner) : gridFor(outputs, runner.maxWorkgroupsPerDimension),
  });
}
