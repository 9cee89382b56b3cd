import type { Backend } from '../backend.js';
import { isFloating } from '../dtype.js';
import { DTypeError, ShapeError } from '../errors.js';
import { broadcastShapes, formatShape } from '../shape.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { commonBackend } from './operand.js';
import { broadcastView, squeeze, unsqueeze } from './view.js';

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
  const k = a.shape[a.ndim - 1];
  const rightK = b.shape[b.ndim === 1 ? 0 : b.ndim - 2];
  if (rightK !== k) {
    throw new ShapeError(`matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (inner dimensions ${k} and ${rightK} differ)`);
  }
  if (a.ndim > 1 && b.ndim > 1) return matrixProduct(backend, a, b);
  // The 1-D rules are recorded views around a product of matrices, so the
  // gradient of `matmul` sees matrices only and each view brings its own.
  return scope(() => {
    const left = a.ndim === 1 ? unsqueeze(a, 0) : a; // (…, M, K), M = 1 for a 1-D a
    const right = b.ndim === 1 ? unsqueeze(b, 1) : b; // (…, K, N), N = 1 for a 1-D b
    const product = matrixProduct(backend, left, right); // (…, M, N)
    return squeeze(product, [...(a.ndim === 1 ? [-2] : []), ...(b.ndim === 1 ? [-1] : [])]);
  });
}

// The recorded primitive: (…, M, K) · (…, K, N) → (…, M, N), batch dims broadcast.
function matrixProduct(backend: Backend, left: Tensor, right: Tensor): Tensor {
  const m = left.shape[left.ndim - 2];
  const k = left.shape[left.ndim - 1];
  const n = right.shape[right.ndim - 1];
  const batch = broadcastShapes('matmul', left.shape.slice(0, -2), right.shape.slice(0, -2));
  const out = left.newZeros([...batch, m, n]);
  withoutRecording(() => scope(() => {
    backend.kernels.matmul(broadcastView(left, [...batch, m, k]), broadcastView(right, [...batch, k, n]), out.layout().buffer);
  }));
  return recordOp('matmul', [left, right], out);
}
