import type { UnaryOp, UnaryParams } from '../backend.js';
import { isFloating, type DType } from '../dtype.js';
import { DTypeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { recordOp } from '../gradient-hook.js';
import { cast } from './copy.js';

// Ops whose results are only meaningful as floats: integer inputs are promoted
// to float32 first, as PyTorch does for exp, sqrt, sigmoid…
const FLOAT_RESULT = new Set<UnaryOp>([
  'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'reciprocal', 'sin', 'cos', 'tanh', 'sigmoid',
  'gelu', 'softplus', 'silu', 'erf', 'leakyRelu', 'elu',
]);

const NO_PARAMS: UnaryParams = { alpha: 0, min: -Infinity, max: Infinity };

/** Applies a unary primitive, choosing the result dtype as PyTorch does. */
export function unary(op: UnaryOp, x: Tensor, params: UnaryParams = NO_PARAMS): Tensor {
  if (op === 'logicalNot') {
    const out = x.newZeros(x.shape, 'bool');
    x.backend.kernels.unary(op, x.layout(), out.layout().buffer, params);
    return out;
  }
  if (x.dtype === 'bool' && (op === 'neg' || op === 'sign')) {
    throw new DTypeError(`${op}: not defined for bool tensors; use logicalNot`);
  }
  let dtype: DType = x.dtype;
  if (FLOAT_RESULT.has(op) && !isFloating(dtype)) dtype = 'float32';
  else if (dtype === 'bool') dtype = 'int32';
  const input = dtype === x.dtype ? x : cast(x, dtype);
  const out = x.newZeros(x.shape, dtype);
  x.backend.kernels.unary(op, input.layout(), out.layout().buffer, params);
  if (input !== x) input.dispose();
  return recordOp(op, [x], out, { params });
}

/** `-x`. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** `|x|`. */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** -1, 0 or +1 by sign (0 for ±0, NaN for NaN). */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** `e^x`. */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** `e^x - 1`, accurate near 0. */
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
/** Natural logarithm (-Infinity at 0, NaN below). */
export const log = (x: Tensor): Tensor => unary('log', x);
/** `log(1 + x)`, accurate near 0. */
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
/** Square root. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** `1 / sqrt(x)`. */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
/** `1 / x`. */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
/** `x * x`. */
export const square = (x: Tensor): Tensor => unary('square', x);
/** Sine. */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/** Cosine. */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** Logistic sigmoid, computed without overflow for large |x|. */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** `max(x, 0)` (keeps the dtype; NaN stays NaN). */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** Exact GELU `x·Φ(x) = x·(1 + erf(x/√2))/2`, PyTorch's default (not the tanh approximation). */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
/** `log(1 + e^x)` computed as `max(x,0) + log1p(e^-|x|)` so it never overflows (PyTorch's beta = 1, no threshold switch). */
export const softplus = (x: Tensor): Tensor => unary('softplus', x);
/** `x·sigmoid(x)` (a.k.a. swish). */
export const silu = (x: Tensor): Tensor => unary('silu', x);
/** The error function. */
export const erf = (x: Tensor): Tensor => unary('erf', x);
/** Rounds toward -∞. */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/** Rounds toward +∞. */
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/** Rounds to nearest, halves to even (as PyTorch and NumPy). */
export const round = (x: Tensor): Tensor => unary('round', x);
/** `true` where `x` is zero. */
export const logicalNot = (x: Tensor): Tensor => unary('logicalNot', x);

/** `x` where positive, `negativeSlope·x` elsewhere. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return unary('leakyRelu', x, { ...NO_PARAMS, alpha: negativeSlope });
}

/** `x` where positive, `alpha·(e^x − 1)` elsewhere. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return unary('elu', x, { ...NO_PARAMS, alpha });
}

/**
 * Limits `x` to `[min, max]`; either bound may be omitted. NaN stays NaN; with min > max every element becomes max, as in PyTorch.
 *
 * ```ts
 * clamp(tensor([-2, 0.5, 3]), 0, 1); // tensor([0, 0.5, 1])
 * ```
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  if (min === undefined && max === undefined) throw new ValueError('clamp: give at least one of min and max');
  // Like torch.clamp, fractional bounds promote an integer tensor to float32.
  const fractional = [min, max].some((bound) => bound !== undefined && Number.isFinite(bound) && !Number.isInteger(bound));
  const input = fractional && !isFloating(x.dtype) ? cast(x, 'float32') : x;
  const out = unary('clamp', input, { alpha: 0, min: min ?? -Infinity, max: max ?? Infinity });
  if (input !== x) input.dispose();
  return out;
}
