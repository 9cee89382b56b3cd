import type { BinaryOp } from '../backend.js';
import { isFloating, promoteTypes, type DType } from '../dtype.js';
import { DTypeError, ValueError } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { cast } from './copy.js';
import { commonBackend, scalarResultType, scalarTensor, type Scalar } from './operand.js';
import { broadcastView } from './view.js';

const COMPARISON = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const LOGICAL = new Set<BinaryOp>(['logicalAnd', 'logicalOr', 'logicalXor']);

/** Tensors for both operands (a scalar becomes a 0-d tensor of the weakly promoted type) and the dtype they compute in. */
export function operands(a: Tensor, b: Tensor | Scalar): [Tensor, Tensor, DType] {
  if (typeof b === 'number' || typeof b === 'boolean') {
    const dtype = scalarResultType(a.dtype, b);
    return [a, scalarTensor(a, b, dtype), dtype];
  }
  return [a, b, promoteTypes(a.dtype, b.dtype)];
}

function resultDType(op: BinaryOp, compute: DType): DType {
  if (COMPARISON.has(op) || LOGICAL.has(op)) return 'bool';
  return compute;
}

function computeDType(op: BinaryOp, promoted: DType): DType {
  if (op === 'div' && !isFloating(promoted)) return 'float32';
  if (promoted === 'bool' && !COMPARISON.has(op) && !LOGICAL.has(op)) {
    if (op === 'maximum' || op === 'minimum') return 'bool';
    return 'int32';
  }
  return promoted;
}

/** Options of {@link add} and {@link sub}. */
export interface ScaledOptions {
  /** Scales the second operand before the sum (PyTorch's `alpha`); floating results only. Default 1. */
  readonly alpha?: number;
}

/**
 * Applies a binary primitive with PyTorch's broadcasting and type promotion.
 * Operands are cast to one compute dtype before the kernel sees them.
 * `alpha` (add and sub only) scales `right` inside the same kernel.
 */
export function binary(op: BinaryOp, left: Tensor, right: Tensor | Scalar, alpha = 1): Tensor {
  const [a, b, promoted] = operands(left, right);
  const backend = commonBackend(op, [a, b]);
  const compute = computeDType(op, promoted);
  if (alpha !== 1) {
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
      throw new ValueError(`${op}: alpha must be a finite number, got ${String(alpha)}`);
    }
    if (!isFloating(compute)) {
      throw new DTypeError(`${op}: alpha ${alpha} needs a floating result, but the operands compute in ${compute}; cast to float first`);
    }
  }
  if (op === 'pow' && compute === 'int32' && typeof right === 'number' && right < 0) {
    throw new DTypeError('pow: integers to negative integer powers are not allowed (as in PyTorch); cast to float first');
  }
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = a.newZeros(shape, resultDType(op, compute));
  withoutRecording(() => {
    const ac = cast(a, compute);
    const bc = cast(b, compute);
    const [av, bv, buffer] = [broadcastView(ac, shape), broadcastView(bc, shape), out.layout().buffer];
    // Only a scaled sum passes alpha, so every other call keeps its four arguments.
    if (alpha !== 1) backend.kernels.binary(op, av, bv, buffer, alpha);
    else backend.kernels.binary(op, av, bv, buffer);
    for (const temporary of [ac, bc]) if (temporary !== a && temporary !== b) temporary.dispose();
  });
  if (op === 'add' || op === 'sub') recordOp(op, [a, b], out, { alpha });
  else recordOp(op as Exclude<BinaryOp, 'add' | 'sub'>, [a, b], out);
  if (b !== right) b.dispose();
  return out;
}

/**
 * `a + b` with broadcasting (bool + bool counts in int32, where PyTorch gives
 * bool); with `alpha`, `a + alpha·b` in one pass (`torch.add(a, b, alpha=…)`).
 *
 * ```ts
 * const decayed = grad.add(param, { alpha: 1e-4 }); // grad + 1e-4·param
 * ```
 */
export const add = (a: Tensor, b: Tensor | Scalar, options: ScaledOptions = {}): Tensor => binary('add', a, b, options.alpha ?? 1);
/** `a - b` with broadcasting; with `alpha`, `a - alpha·b` in one pass. */
export const sub = (a: Tensor, b: Tensor | Scalar, options: ScaledOptions = {}): Tensor => binary('sub', a, b, options.alpha ?? 1);
/** `a * b` with broadcasting. */
export const mul = (a: Tensor, b: Tensor | Scalar): Tensor => binary('mul', a, b);
/** `a / b` with broadcasting; true division (integers give float32, as in PyTorch). */
export const div = (a: Tensor, b: Tensor | Scalar): Tensor => binary('div', a, b);
/** `a ** b` with broadcasting. */
export const pow = (a: Tensor, b: Tensor | Scalar): Tensor => binary('pow', a, b);
/**
 * ReLU's backward in one pass: `grad` where the ReLU's `output` is positive,
 * else 0 (PyTorch's `threshold_backward` at 0; a NaN output passes no gradient).
 *
 * ```ts
 * const dx = reluBackward(dy, y); // where(y.gt(0), dy, 0)
 * ```
 */
export const reluBackward = (grad: Tensor, output: Tensor | Scalar): Tensor => binary('reluBackward', grad, output);
/** Elementwise maximum; NaN wins, as in PyTorch. */
export const maximum = (a: Tensor, b: Tensor | Scalar): Tensor => binary('maximum', a, b);
/** Elementwise minimum; NaN wins, as in PyTorch. */
export const minimum = (a: Tensor, b: Tensor | Scalar): Tensor => binary('minimum', a, b);
/** `a == b` (bool). */
export const eq = (a: Tensor, b: Tensor | Scalar): Tensor => binary('eq', a, b);
/** `a != b` (bool). */
export const ne = (a: Tensor, b: Tensor | Scalar): Tensor => binary('ne', a, b);
/** `a < b` (bool). */
export const lt = (a: Tensor, b: Tensor | Scalar): Tensor => binary('lt', a, b);
/** `a <= b` (bool). */
export const le = (a: Tensor, b: Tensor | Scalar): Tensor => binary('le', a, b);
/** `a > b` (bool). */
export const gt = (a: Tensor, b: Tensor | Scalar): Tensor => binary('gt', a, b);
/** `a >= b` (bool). */
export const ge = (a: Tensor, b: Tensor | Scalar): Tensor => binary('ge', a, b);
/** Both nonzero (bool). */
export const logicalAnd = (a: Tensor, b: Tensor | Scalar): Tensor => binary('logicalAnd', a, b);
/** Either nonzero (bool). */
export const logicalOr = (a: Tensor, b: Tensor | Scalar): Tensor => binary('logicalOr', a, b);
/** Exactly one nonzero (bool). */
export const logicalXor = (a: Tensor, b: Tensor | Scalar): Tensor => binary('logicalXor', a, b);
