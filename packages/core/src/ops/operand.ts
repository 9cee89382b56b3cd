import type { Backend } from '../backend.js';
import { isFloating, type DType } from '../dtype.js';
import { DeviceError, DTypeError, ShapeError } from '../errors.js';
import { formatShape, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** A plain number (or boolean) used where a tensor operand is accepted. */
export type Scalar = number | boolean;

/** Resolves a possibly negative dim (see `normalizeDim`). */
export const resolveDim = normalizeDim;

/** The backend all `tensors` share; a {@link DeviceError} naming both devices otherwise. */
export function commonBackend(op: string, tensors: readonly Tensor[]): Backend {
  const backend = tensors[0].backend;
  for (const t of tensors) {
    if (t.backend !== backend) {
      throw new DeviceError(`${op}: expected all tensors on one device, got '${tensors[0].device}' and '${t.device}'; move one with .to()`);
    }
  }
  return backend;
}

/** The dtype a scalar operand takes beside a tensor of `dtype` (a "weak" type, as in PyTorch: 2 * float32 stays float32, 2.5 * int32 becomes float32). */
export function scalarResultType(dtype: DType, value: Scalar): DType {
  if (typeof value === 'boolean') return dtype;
  if (Number.isInteger(value)) {
    return dtype === 'bool' ? 'int32' : dtype;
  }
  return isFloating(dtype) ? dtype : 'float32';
}

/** `value` as a 0-d tensor of `dtype` on `like`'s device. */
export function scalarTensor(like: Tensor, value: Scalar, dtype: DType): Tensor {
  return like.newFull([], Number(value), dtype);
}

/**
 * Refuses, naming `op` and the operand, any of the named per-channel
 * operands (nulls skipped) that is not `x`'s dtype or not of shape [C],
 * where C is `x`'s dim 1: a {@link DTypeError} or a {@link ShapeError}. Batch
 * norm's and channelAffine's vectors, and those of ops built on them.
 *
 * ```ts
 * checkPerChannel('myNorm', x, { weight, bias }); // x (N, C, …), weight and bias (C) or null
 * ```
 */
export function checkPerChannel(op: string, x: Tensor, perChannel: Readonly<Record<string, Tensor | null | undefined>>): void {
  const channels = x.shape[1];
  for (const [name, t] of Object.entries(perChannel)) {
    if (!t) continue;
    if (t.dtype !== x.dtype) throw new DTypeError(`${op}: ${name} must be x's dtype (${x.dtype}), got ${t.dtype}`);
    if (t.ndim !== 1 || t.shape[0] !== channels) throw new ShapeError(`${op}: ${name} must have shape [${channels}], got ${formatShape(t.shape)}`);
  }
}
