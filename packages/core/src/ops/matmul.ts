import { isFloating } from '../dtype.js';
import { DTypeError, ShapeError } from '../errors.js';
import { broadcastShapes, formatShape } from '../shape.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { commonBackend } from './operand.js';
import { broadcastView, reshape, unsqueeze } from './view.js';

/**
 * Matrix product with `torch.matmul`'s rules: 1-D·1-D is a dot product, a
 * 1-D operand gains (then loses) a unit dim on the left or right, and leading
 * batch dims broadcast. Transposed operands are read through their strides.
 *
 * ```ts
 * matmul(randn([8, 3, 4]), randn([4, 5])); // shape [8, 3, 5]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const backend = commonBackend('matmul', [a, b]);
  if (a.dtype !== b.dtype || !isFloating(a.dtype)) {
    throw new DTypeError(`matmul: expects two float tensors of one dtype, got ${a.dtype} and ${b.dtype}`);
  }
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: both arguments need at least 1 dimension, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const result = withoutRecording(() => scope(() => {
    const left = a.ndim === 1 ? unsqueeze(a, 0) : a; // (…, M, K)
    const right = b.ndim === 1 ? unsqueeze(b, 1) : b; // (…, K, N)
    const m = left.shape[left.ndim - 2];
    const k = left.shape[left.ndim - 1];
    const n = right.shape[right.ndim - 1];
    if (right.shape[right.ndim - 2] !== k) {
      throw new ShapeError(
        `matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (inner dimensions ${k} and ${right.shape[right.ndim - 2]} differ)`,
      );
    }
    const batch = broadcastShapes('matmul', left.shape.slice(0, -2), right.shape.slice(0, -2));
    const out = a.newZeros([...batch, m, n]);
    backend.kernels.matmul(broadcastView(left, [...batch, m, k]), broadcastView(right, [...batch, k, n]), out.layout().buffer);
    let shape = [...batch, m, n];
    if (a.ndim === 1) shape = [...batch, n];
    if (b.ndim === 1) shape = a.ndim === 1 ? [...batch] : [...batch, m];
    return reshape(out, shape);
  }));
  return recordOp('matmul', [a, b], result);
}
