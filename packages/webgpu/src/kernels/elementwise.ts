import { contiguousStrides, DTypeError, ShapeError, sizeOf, type DType } from '@fathom/core';
import { collapseDims, type BackendBuffer, type BinaryOp, type UnaryOp, type UnaryParams, type View } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { mathLibrary } from '../wgsl/math.js';
import { conversionFunctions, convertExpression, storageType, type StorageType } from '../wgsl/storage-type.js';
import { MAX_RANK, stridedFields, stridedOffsets } from '../wgsl/strided.js';
import { bindingDeclarations, linearEntry, linearGrid, type KernelRunner } from './launch.js';

// ── shared plumbing ─────────────────────────────────────────────────────────

/** The iteration of an elementwise kernel: `shape` merged over every operand's strides (the output's are row-major). */
export function iteration(op: string, shape: readonly number[], views: readonly View[]): { shape: number[]; strides: number[][] } {
  const collapsed = collapseDims(shape, [...views.map((v) => v.strides), contiguousStrides(shape)]);
  if (collapsed.shape.length > MAX_RANK) {
    throw new ShapeError(`webgpu: ${op} handles at most ${MAX_RANK} non-mergeable dims, got shape [${shape.join(',')}]`);
  }
  return collapsed;
}

function stridedValues(names: readonly string[], views: readonly View[], strides: readonly (readonly number[])[]): Record<string, number | readonly number[]> {
  const values: Record<string, number | readonly number[]> = {};
  names.forEach((name, k) => {
    values[`${name}Strides`] = strides[k];
    values[`${name}Offset`] = views[k].offset;
  });
  return values;
}

// ── fill ───────────────────────────────────────────────────────────────────

const FILL_PARAMS = new ParamLayout([{ name: 'total', type: 'u32' }, { name: 'bits', type: 'u32' }]);

/** WGSL of fill: every element of any dtype is one 4-byte word, so one kernel writes the value's bits. */
export function fillSource(): string {
  return `${bindingDeclarations([{ name: 'out', type: 'u32', access: 'read_write' }], FILL_PARAMS.wgsl())}
${linearEntry('out[i] = p.bits;')}`;
}

/** The bits of `value` stored as `dtype`, as the CPU backend's typed arrays store it. */
export function elementBits(dtype: DType, value: number): number {
  if (dtype === 'float32') return new Uint32Array(new Float32Array([value]).buffer)[0];
  if (dtype === 'int32') return new Uint32Array(new Int32Array([value]).buffer)[0];
  return value !== 0 ? 1 : 0;
}

/** Kernels.fill. */
export function fillKernel(runner: KernelRunner, out: BackendBuffer, value: number): void {
  storageType(out.dtype, 'fill');
  if (out.length === 0) return;
  runner.launch({
    kernel: 'fill',
    key: {},
    source: fillSource,
    reads: [],
    writes: [{ buffer: out, whole: true }],
    params: FILL_PARAMS.pack({ total: out.length, bits: elementBits(out.dtype, value) }),
    workgroups: linearGrid(out.length, runner),
  });
}

// ── copy ───────────────────────────────────────────────────────────────────

function copyLayout(rank: number): ParamLayout {
  return new ParamLayout([{ name: 'total', type: 'u32' }, ...stridedFields(rank, ['src', 'dst'])]);
}

/** WGSL of a strided copy from `from` to `to` elements; the same dtype copies raw words (NaN payloads and all). */
export function copySource(from: DType, to: DType, rank: number): string {
  const same = from === to;
  const srcType: StorageType = same ? 'u32' : storageType(from, 'copy');
  const dstType: StorageType = same ? 'u32' : storageType(to, 'copy');
  return `${mathLibrary(conversionFunctions(from, to))}
${bindingDeclarations([{ name: 'src', type: srcType, access: 'read' }, { name: 'dst', type: dstType, access: 'read_write' }], copyLayout(rank).wgsl())}
${linearEntry(`${stridedOffsets(rank, ['src', 'dst'], 'i')}
  dst[dstAt] = ${same ? 'src[srcAt]' : convertExpression('src[srcAt]', from, to)};`)}`;
}

/** Kernels.copy. */
export function copyKernel(runner: KernelRunner, src: View, dst: View): void {
  const total = sizeOf(src.shape);
  if (total === 0) return;
  const from = src.buffer.dtype;
  const to = dst.buffer.dtype;
  const it = collapseDims(src.shape, [src.strides, dst.strides]);
  const rank = it.shape.length;
  if (rank > MAX_RANK) throw new ShapeError(`webgpu: copy handles at most ${MAX_RANK} non-mergeable dims, got shape [${src.shape.join(',')}]`);
  const params = copyLayout(rank).pack({ total, shape: it.shape, ...stridedValues(['src', 'dst'], [src, dst], it.strides) });
  runner.launch({
    kernel: 'copy',
    key: { from, to, rank },
    source: () => copySource(from, to, rank),
    reads: [src.buffer],
    // A view may cover part of its buffer (cat writes each piece into a window of the output).
    writes: [{ buffer: dst.buffer, whole: total === dst.buffer.length && dst.offset === 0 }],
    params,
    workgroups: linearGrid(total, runner),
  });
}

// ── unary ──────────────────────────────────────────────────────────────────

/** The WGSL one elementwise op computes per element, as its kernel and a fused kernel both write it. */
export interface Expression {
  /** WGSL computing the result from `v` (and `p.alpha`, `p.minValue`, `p.maxValue`). */
  readonly code: string;
  /** Math-library functions it calls. */
  readonly uses?: readonly string[];
}

const FLOAT_UNARY: Record<UnaryOp, Expression> = {
  neg: { code: 'negF32(v)', uses: ['negate'] },
  abs: { code: 'absF32(v)', uses: ['negate'] },
  sign: { code: 'select(select(select(0.0, -1.0, v < 0.0), 1.0, v > 0.0), v, isNan(v))', uses: ['isNan'] },
  exp: { code: 'expF32(v)', uses: ['expF32'] },
  expm1: { code: 'expm1F32(v)', uses: ['expm1F32'] },
  log: { code: 'logF32(v)', uses: ['logF32'] },
  log1p: { code: 'log1pF32(v)', uses: ['log1pF32'] },
  sqrt: { code: 'sqrtF32(v)', uses: ['sqrtF32'] },
  rsqrt: { code: 'divF32(1.0, sqrtF32(v))', uses: ['divF32', 'sqrtF32'] },
  reciprocal: { code: 'divF32(1.0, v)', uses: ['divF32'] },
  square: { code: 'v * v' },
  sin: { code: 'sinF32(v)', uses: ['sinCosF32'] },
  cos: { code: 'cosF32(v)', uses: ['sinCosF32'] },
  tanh: { code: 'tanhF32(v)', uses: ['tanhF32'] },
  sigmoid: { code: 'sigmoidF32(v)', uses: ['sigmoidF32'] },
  relu: { code: 'select(0.0, v, v > 0.0 || isNan(v))', uses: ['isNan'] },
  gelu: { code: '0.5 * v * (1.0 + erfF32(v * 0.70710678118654752))', uses: ['erfF32'] },
  softplus: { code: 'select(select(0.0, v, v > 0.0) + log1pF32(expF32(-abs(v))), v, isNan(v))', uses: ['log1pF32', 'expF32', 'isNan'] },
  silu: { code: 'v * sigmoidF32(v)', uses: ['sigmoidF32'] },
  erf: { code: 'erfF32(v)', uses: ['erfF32'] },
  floor: { code: 'floor(v)' },
  ceil: { code: 'ceil(v)' },
  // WGSL's round breaks ties to even, as PyTorch does.
  round: { code: 'round(v)' },
  logicalNot: { code: 'u32(!truthyF32(v))', uses: ['truthy'] },
  leakyRelu: { code: 'select(p.alpha * v, v, v > 0.0)' },
  elu: { code: 'select(p.alpha * expm1F32(v), v, v > 0.0)', uses: ['expm1F32'] },
  clamp: { code: 'clampF32(v)' },
};

/** The function float `clamp`'s expression calls; it reads its bounds from the parameter block. */
export const CLAMP_F32 = `fn clampF32(v: f32) -> f32 {
  let low = select(v, p.minValue, v < p.minValue);
  return select(low, p.maxValue, low > p.maxValue);
}`;

// Integer results of the ops core does not promote to float; bounds compare as
// floats and are stored as the CPU's Int32Array would store them.
const INT_UNARY: Partial<Record<UnaryOp, Expression>> = {
  neg: { code: '0 - v' },
  abs: { code: 'abs(v)' },
  sign: { code: 'sign(v)' },
  square: { code: 'v * v' },
  relu: { code: 'max(v, 0)' },
  floor: { code: 'v' },
  ceil: { code: 'v' },
  round: { code: 'v' },
  logicalNot: { code: 'u32(v == 0)' },
  clamp: {
    code: 'select(select(v, toInt32(p.minValue), f32(v) < p.minValue), toInt32(p.maxValue), f32(select(v, toInt32(p.minValue), f32(v) < p.minValue)) > p.maxValue)',
    uses: ['toInt32'],
  },
};

const BOOL_UNARY: Partial<Record<UnaryOp, Expression>> = {
  logicalNot: { code: 'u32(v == 0u)' },
};

/** The expression of unary `op` on `dtype` (of `v`); a DTypeError where there is no kernel. */
export function unaryExpression(op: UnaryOp, dtype: DType): Expression {
  const table = dtype === 'float32' ? FLOAT_UNARY : dtype === 'int32' ? INT_UNARY : BOOL_UNARY;
  const expression = table[op];
  if (!expression) throw new DTypeError(`webgpu: unary '${op}' has no ${dtype} kernel`);
  return expression;
}

function unaryLayout(rank: number): ParamLayout {
  return new ParamLayout([
    { name: 'total', type: 'u32' },
    { name: 'alpha', type: 'f32' },
    { name: 'minValue', type: 'f32' },
    { name: 'maxValue', type: 'f32' },
    ...stridedFields(rank, ['x']),
  ]);
}

/** WGSL of `out = op(x)` over a strided `x` of `rank` dims. */
export function unarySource(op: UnaryOp, inType: DType, outType: DType, rank: number): string {
  const expression = unaryExpression(op, inType);
  return `${mathLibrary(expression.uses ?? [])}
${bindingDeclarations([{ name: 'x', type: storageType(inType, op), access: 'read' }, { name: 'out', type: storageType(outType, op), access: 'read_write' }], unaryLayout(rank).wgsl())}
${op === 'clamp' && inType === 'float32' ? CLAMP_F32 : ''}
${linearEntry(`${stridedOffsets(rank, ['x'], 'i')}
  let v = x[xAt];
  out[i] = ${expression.code};`)}`;
}

/** Kernels.unary. */
export function unaryKernel(runner: KernelRunner, op: UnaryOp, x: View, out: BackendBuffer, params: UnaryParams): void {
  const total = sizeOf(x.shape);
  const inType = x.buffer.dtype;
  const outType = out.dtype;
  unaryExpression(op, inType);
  if (total === 0) return;
  const it = iteration(op, x.shape, [x]);
  const rank = it.shape.length;
  runner.launch({
    kernel: 'unary',
    key: { op, inType, outType, rank },
    source: () => unarySource(op, inType, outType, rank),
    reads: [x.buffer],
    writes: [{ buffer: out, whole: true }],
    params: unaryLayout(rank).pack({
      total, alpha: params.alpha, minValue: params.min, maxValue: params.max, shape: it.shape, ...stridedValues(['x'], [x], it.strides),
    }),
    workgroups: linearGrid(total, runner),
  });
}

// ── binary ─────────────────────────────────────────────────────────────────

const FLOAT_BINARY: Record<BinaryOp, Expression> = {
  add: { code: 'a + b' },
  sub: { code: 'a - b' },
  mul: { code: 'a * b' },
  div: { code: 'divF32(a, b)', uses: ['divF32'] },
  pow: { code: 'powF32(a, b)', uses: ['powF32'] },
  maximum: { code: 'select(b, a, a > b || isNan(a))', uses: ['isNan'] },
  minimum: { code: 'select(b, a, a < b || isNan(a))', uses: ['isNan'] },
  eq: { code: 'u32(ordered && a == b)' },
  ne: { code: 'u32(!(ordered && a == b))' },
  lt: { code: 'u32(ordered && a < b)' },
  le: { code: 'u32(ordered && a <= b)' },
  gt: { code: 'u32(ordered && a > b)' },
  ge: { code: 'u32(ordered && a >= b)' },
  logicalAnd: { code: 'u32(truthyF32(a) && truthyF32(b))', uses: ['truthy'] },
  logicalOr: { code: 'u32(truthyF32(a) || truthyF32(b))', uses: ['truthy'] },
  logicalXor: { code: 'u32(truthyF32(a) != truthyF32(b))', uses: ['truthy'] },
  reluBackward: { code: 'select(0.0, a, b > 0.0 && !isNan(b))', uses: ['isNan'] },
};

// x^y in wrapping int32 arithmetic by squaring; negative powers as the CPU's
// Math.pow truncated to int32 gives them (1, ±1 for −1, 0 otherwise).
/** int32 `pow`, which the int32 `pow` expression calls. */
export const POW_I32 = `fn powI32(x: i32, y: i32) -> i32 {
  if (y < 0) {
    if (x == 1) { return 1; }
    if (x == -1) { return select(1, -1, (y & 1) == 1); }
    return 0;
  }
  var result = 1;
  var base = x;
  var n = u32(y);
  loop {
    if ((n & 1u) == 1u) { result = result * base; }
    n = n >> 1u;
    if (n == 0u) { break; }
    base = base * base;
  }
  return result;
}`;

const INT_BINARY: Partial<Record<BinaryOp, Expression>> = {
  add: { code: 'a + b' },
  sub: { code: 'a - b' },
  mul: { code: 'a * b' },
  pow: { code: 'powI32(a, b)' },
  maximum: { code: 'max(a, b)' },
  minimum: { code: 'min(a, b)' },
  eq: { code: 'u32(a == b)' },
  ne: { code: 'u32(a != b)' },
  lt: { code: 'u32(a < b)' },
  le: { code: 'u32(a <= b)' },
  gt: { code: 'u32(a > b)' },
  ge: { code: 'u32(a >= b)' },
  logicalAnd: { code: 'u32(a != 0 && b != 0)' },
  logicalOr: { code: 'u32(a != 0 || b != 0)' },
  logicalXor: { code: 'u32((a != 0) != (b != 0))' },
  reluBackward: { code: 'select(0, a, b > 0)' },
};

const BOOL_BINARY: Partial<Record<BinaryOp, Expression>> = {
  maximum: { code: 'max(a, b)' },
  minimum: { code: 'min(a, b)' },
  eq: { code: 'u32(a == b)' },
  ne: { code: 'u32(a != b)' },
  lt: { code: 'u32(a < b)' },
  le: { code: 'u32(a <= b)' },
  gt: { code: 'u32(a > b)' },
  ge: { code: 'u32(a >= b)' },
  logicalAnd: { code: 'u32(a != 0u && b != 0u)' },
  logicalOr: { code: 'u32(a != 0u || b != 0u)' },
  logicalXor: { code: 'u32((a != 0u) != (b != 0u))' },
};

// add and sub with alpha ≠ 1 (PyTorch's `a + alpha·b`): the product is rounded before the sum.
const SCALED_BINARY: Partial<Record<BinaryOp, Expression>> = {
  add: { code: 'a + (p.alpha * b)' },
  sub: { code: 'a - (p.alpha * b)' },
};

/**
 * The expression of binary `op` on `dtype` (of `a`, `b` and, for floats,
 * `ordered`; `scaled`: of `p.alpha` too); a DTypeError where there is no kernel.
 */
export function binaryExpression(op: BinaryOp, dtype: DType, scaled = false): Expression {
  const table = scaled ? (dtype === 'float32' ? SCALED_BINARY : {}) : dtype === 'float32' ? FLOAT_BINARY : dtype === 'int32' ? INT_BINARY : BOOL_BINARY;
  const expression = table[op];
  if (!expression) throw new DTypeError(`webgpu: binary '${op}'${scaled ? ' with alpha' : ''} has no ${dtype} kernel`);
  return expression;
}

function binaryLayout(rank: number, scaled: boolean): ParamLayout {
  return new ParamLayout([{ name: 'total', type: 'u32' }, ...(scaled ? [{ name: 'alpha', type: 'f32' } as const] : []), ...stridedFields(rank, ['a', 'b'])]);
}

/** WGSL of `out = op(a, b)` (or `a ± alpha·b`, `scaled`) over strided, broadcast operands of `rank` dims. */
export function binarySource(op: BinaryOp, inType: DType, outType: DType, rank: number, scaled: boolean): string {
  const expression = binaryExpression(op, inType, scaled);
  const uses = [...(expression.uses ?? []), ...(inType === 'float32' ? ['isNan'] : [])];
  const type = storageType(inType, op);
  return `${mathLibrary(uses)}
${op === 'pow' && inType === 'int32' ? POW_I32 : ''}
${bindingDeclarations([
    { name: 'left', type, access: 'read' },
    { name: 'right', type, access: 'read' },
    { name: 'out', type: storageType(outType, op), access: 'read_write' },
  ], binaryLayout(rank, scaled).wgsl())}
${linearEntry(`${stridedOffsets(rank, ['a', 'b'], 'i')}
  let a = left[aAt];
  let b = right[bAt];
  ${inType === 'float32' ? 'let ordered = !isNan(a) && !isNan(b);' : ''}
  out[i] = ${expression.code};`)}`;
}

/** Throws the errors of Kernels.binary: an op with no kernel for the dtype (and alpha), or operands of two dtypes. */
export function checkBinary(op: BinaryOp, a: View, b: View, alpha = 1): void {
  const inType = a.buffer.dtype;
  binaryExpression(op, inType, alpha !== 1);
  if (b.buffer.dtype !== inType) throw new DTypeError(`webgpu: binary '${op}' needs operands of one dtype, got ${inType} and ${b.buffer.dtype}`);
}

/** Kernels.binary; `alpha` in the parameter block, so its value never changes the pipeline. */
export function binaryKernel(runner: KernelRunner, op: BinaryOp, a: View, b: View, out: BackendBuffer, alpha = 1): void {
  const total = sizeOf(a.shape);
  const inType = a.buffer.dtype;
  const outType = out.dtype;
  checkBinary(op, a, b, alpha);
  if (total === 0) return;
  const it = iteration(op, a.shape, [a, b]);
  const rank = it.shape.length;
  const scaled = alpha !== 1;
  runner.launch({
    kernel: 'binary',
    key: { op, inType, outType, rank, scaled },
    source: () => binarySource(op, inType, outType, rank, scaled),
    reads: [a.buffer, b.buffer],
    writes: [{ buffer: out, whole: true }],
    params: binaryLayout(rank, scaled).pack({ total, ...(scaled ? { alpha } : {}), shape: it.shape, ...stridedValues(['a', 'b'], [a, b], it.strides) }),
    workgroups: linearGrid(total, runner),
  });
}

// ── where ──────────────────────────────────────────────────────────────────

function whereLayout(rank: number): ParamLayout {
  return new ParamLayout([{ name: 'total', type: 'u32' }, ...stridedFields(rank, ['c', 'a', 'b'])]);
}

/** WGSL of `out = cond ? a : b` with all three strided and broadcast. */
export function whereSource(dtype: DType, rank: number): string {
  const type = storageType(dtype, 'where');
  return `${bindingDeclarations([
    { name: 'cond', type: 'u32', access: 'read' },
    { name: 'left', type, access: 'read' },
    { name: 'right', type, access: 'read' },
    { name: 'out', type, access: 'read_write' },
  ], whereLayout(rank).wgsl())}
${linearEntry(`${stridedOffsets(rank, ['c', 'a', 'b'], 'i')}
  out[i] = select(right[bAt], left[aAt], cond[cAt] != 0u);`)}`;
}

/** Throws the errors of Kernels.where: an output dtype WGSL cannot hold, or a condition that is not bool. */
export function checkWhere(cond: View, dtype: DType): void {
  storageType(dtype, 'where');
  if (cond.buffer.dtype !== 'bool') throw new DTypeError(`webgpu: where needs a bool condition, got ${cond.buffer.dtype}`);
}

/** Kernels.where. */
export function whereKernel(runner: KernelRunner, cond: View, a: View, b: View, out: BackendBuffer): void {
  const total = sizeOf(a.shape);
  const dtype = out.dtype;
  checkWhere(cond, dtype);
  if (total === 0) return;
  const it = iteration('where', a.shape, [cond, a, b]);
  const rank = it.shape.length;
  runner.launch({
    kernel: 'where',
    key: { dtype, rank },
    source: () => whereSource(dtype, rank),
    reads: [cond.buffer, a.buffer, b.buffer],
    writes: [{ buffer: out, whole: true }],
    params: whereLayout(rank).pack({ total, shape: it.shape, ...stridedValues(['c', 'a', 'b'], [cond, a, b], it.strides) }),
    workgroups: linearGrid(total, runner),
  });
}
