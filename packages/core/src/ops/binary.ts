import type { BinaryOp } from '../backend.js';
import { isFloating, promoteTypes, type DType } from '../dtype.js';
import { DTypeError } from '../errors.js';
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

/**
 * Applies a binary primitive with PyTorch's broadcasting and type promotion.
 * Operands are cast to one compute dtype before the kernel sees them.
 */
export function binary(op: BinaryOp, left: Tensor, right: Tensor | Scalar): Tensor {
  const [a, b, promoted] = operands(left, right);
  const backend = commonBackend(op, [a, b]);
  const compute = computeDType(op, promoted);
  if (op === 'pow' && compute === 'int32' && typeof right === 'number' && right < 0) {
    throw new DTypeError('pow: integers to negative integer powers are not allowed (as in PyTorch); cast to float first');
  }
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = a.newZeros(shape, resultDType(op, compute));
  withoutRecording(() => {
    const ac = cast(a, compute);
    const bc = cast(b, compute);
    backend.kernels.binary(op, broadcastView(ac, shape), broadcastView(bc, shape), out.layout().buffer);
    for (const temporary of [ac, bc]) if (temporary !== a && temporary !== b) temporary.dispose();
  });
  recordOp(op, [a, b], out);
  if (b !== right) b.dispose();
  return out;
}

/** `a + b` with broadcasting (bool + bool counts in int32, where PyTorch gives bool). */
export const add = (a: Tensor, b: Tensor | Scalar): Tensor => binary('add', a, b);
/** `a - b` with broadcasting. */
export const sub = (a: Tensor, b: Tensor | Scalar): Tensor => binary('sub', a, b);
/** `a * b` with broadcasting. */
export const mul = (a: Tensor, b: Tensor | Scalar): Tensor => binary('mul', a, b);
/** `a / b` with broadcasting; true division (integers give float32, as in PyTorch). */
export const div = (a: Tensor, b: Tensor | Scalar): Tensor => binary('div', a, b);
/** `a ** b` with broadcasting. */
export const pow = (a: Tensor, b: Tensor | Scalar): Tensor => binary('pow', a, b);
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
