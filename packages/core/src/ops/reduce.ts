import type { ArgReduceOp, ReduceOp } from '../backend.js';
import { isFloating, type DType } from '../dtype.js';
import { ValueError } from '../errors.js';
import { formatShape, normalizeDim, normalizeDims } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, div, eq, sub } from './binary.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { cast } from './copy.js';
import { abs, exp, log, square, sqrt } from './unary.js';
import { reshape, unsqueeze } from './view.js';
import { where } from './where.js';

function keptShape(x: Tensor, dims: readonly number[], keepdim: boolean): number[] {
  return keepdim ? x.shape.map((size, i) => (dims.includes(i) ? 1 : size)) : x.shape.filter((_, i) => !dims.includes(i));
}

/** Applies a reduction primitive over `dims` (all when undefined). */
export function reduce(op: ReduceOp, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const dims = normalizeDims(op, dim, x.ndim);
  if ((op === 'max' || op === 'min') && dims.some((d) => x.shape[d] === 0)) {
    throw new ValueError(`${op}: cannot reduce over a dimension of size 0 (input ${formatShape(x.shape)}); the result has no identity`);
  }
  let dtype: DType = x.dtype;
  if (op === 'all' || op === 'any') dtype = 'bool';
  else if ((op === 'sum' || op === 'prod') && dtype === 'bool') dtype = 'int32';
  const out = x.newZeros(keptShape(x, dims, keepdim), dtype);
  withoutRecording(() => {
    const input = op === 'all' || op === 'any' ? x : cast(x, dtype);
    x.backend.kernels.reduce(op, input.layout(), dims, out.layout().buffer);
    if (input !== x) input.dispose();
  });
  return recordOp(op, [x], out, { dims, keepdim });
}

/** Sum over `dim` (one, several, or all); bool sums count as int32. */
export const sum = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => reduce('sum', x, dim, keepdim);
/** Product over `dim`. */
export const prod = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => reduce('prod', x, dim, keepdim);
/** Largest value over `dim`; NaN wins. Unlike `torch.max(x, dim)` this returns values only — use {@link argmax} for indices. */
export const max = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => reduce('max', x, dim, keepdim);
/** Smallest value over `dim`; NaN wins. Values only — use {@link argmin} for indices. */
export const min = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => reduce('min', x, dim, keepdim);
/** Whether every element over `dim` is nonzero (true over an empty dim). */
export const all = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => reduce('all', x, dim, keepdim);
/** Whether some element over `dim` is nonzero (false over an empty dim). */
export const any = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => reduce('any', x, dim, keepdim);

/** Mean over `dim`; integer inputs give float32 (PyTorch raises instead). NaN for an empty reduction, as in PyTorch. */
export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  const dims = normalizeDims('mean', dim, x.ndim);
  const count = dims.reduce((p, d) => p * x.shape[d], 1);
  const input = isFloating(x.dtype) ? x : cast(x, 'float32');
  const total = reduce('sum', input, dims, keepdim);
  const out = div(total, count);
  total.dispose();
  if (input !== x) input.dispose();
  return out;
}

function argReduce(op: ArgReduceOp, x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (x.numel === 0) throw new ValueError(`${op}: cannot take the ${op} of an empty tensor ${formatShape(x.shape)}`);
  if (dim === undefined) {
    const flat = reshape(x, [-1]);
    const out = argReduce(op, flat, 0, false);
    if (flat !== x) flat.dispose();
    return keepdim ? reshape(out, x.shape.map(() => 1)) : out;
  }
  const d = normalizeDim(op, dim, x.ndim);
  const input = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const out = x.newZeros(x.shape.filter((_, i) => i !== d || x.ndim === 0), 'int32');
  if (x.ndim > 0) x.backend.kernels.argReduce(op, input.layout(), d, out.layout().buffer);
  if (input !== x) input.dispose();
  return keepdim && x.ndim > 0 ? unsqueeze(out, d) : out;
}

/** Index (int32) of the largest value along `dim`, of the flattened tensor when omitted; the first on ties; NaN counts as largest. */
export const argmax = (x: Tensor, dim?: number, keepdim = false): Tensor => argReduce('argmax', x, dim, keepdim);
/** Index (int32) of the smallest value along `dim`, of the flattened tensor when omitted; the first on ties; NaN counts as smallest. */
export const argmin = (x: Tensor, dim?: number, keepdim = false): Tensor => argReduce('argmin', x, dim, keepdim);

/** Options of {@link variance} and {@link std}. */
export interface VarianceOptions {
  /** Subtracted from the count in the divisor: 1 (Bessel's correction, the default) or 0 for the population variance. */
  readonly correction?: number;
  readonly keepdim?: boolean;
}

/** Variance over `dim` (all when undefined), dividing by `count − correction` as `torch.var`. */
export function variance(x: Tensor, dim?: number | readonly number[], options: VarianceOptions = {}): Tensor {
  const correction = options.correction ?? 1;
  const dims = normalizeDims('var', dim, x.ndim);
  const count = dims.reduce((p, d) => p * x.shape[d], 1);
  const centre = mean(x, dims, true);
  const deviation = sub(x, centre);
  const squares = square(deviation);
  const total = reduce('sum', squares, dims, options.keepdim ?? false);
  // Like PyTorch: a divisor ≤ 0 gives inf or NaN rather than an error.
  const out = div(total, Math.max(count - correction, 0));
  for (const temporary of [centre, deviation, squares, total]) temporary.dispose();
  return out;
}

/** Standard deviation over `dim`, the square root of {@link variance}. */
export function std(x: Tensor, dim?: number | readonly number[], options: VarianceOptions = {}): Tensor {
  const v = variance(x, dim, options);
  const out = sqrt(v);
  v.dispose();
  return out;
}

/**
 * `log(Σ exp(x))` over `dim`, computed as `m + log(Σ exp(x − m))` with `m`
 * the max, so large inputs do not overflow.
 */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  const dims = normalizeDims('logsumexp', dim, x.ndim);
  const input = isFloating(x.dtype) ? x : cast(x, 'float32');
  if (input.numel === 0) {
    // Σ over nothing is 0, so the answer is log 0 = −∞ (PyTorch gives the same).
    const out = input.newFull(keptShape(input, dims, keepdim), -Infinity);
    if (input !== x) input.dispose();
    return out;
  }
  // The shift is a constant for differentiation: its terms cancel exactly, so it is not recorded.
  const [peak, magnitude, infinite, shift] = withoutRecording(() => {
    const largest = reduce('max', input, dims, true);
    // An all −∞ (or +∞) slice would give ∞ − ∞ = NaN; shifting by 0 there keeps the answer ±∞.
    const size = abs(largest);
    const isInfinite = eq(size, Infinity);
    return [largest, size, isInfinite, where(isInfinite, 0, largest)];
  });
  const shifted = sub(input, shift);
  const exps = exp(shifted);
  const total = reduce('sum', exps, dims, true);
  const logs = log(total);
  const withPeak = add(logs, shift);
  const out = keepdim ? withPeak : reshape(withPeak, keptShape(input, dims, false));
  for (const temporary of [peak, magnitude, infinite, shift, shifted, exps, total, logs]) temporary.dispose();
  if (out !== withPeak) withPeak.dispose();
  if (input !== x) input.dispose();
  return out;
}
