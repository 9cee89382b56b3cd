import { coversBuffer } from '../backend.js';
import { isFloating } from '../dtype.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { normalizeDim, sizeOf } from '../shape.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { cast } from './copy.js';
import { logsumexp } from './reduce.js';

/**
 * Softmax along `dim`: `exp(x − logsumexp(x))`, which never overflows for
 * large inputs. Integers are computed as float32.
 *
 * ```ts
 * softmax(tensor([1000, 1000]), 0); // tensor([0.5, 0.5])
 * ```
 */
export function softmax(x: Tensor, dim: number): Tensor {
  return scope(() => logSoftmax(x, dim).exp());
}

/**
 * Log-softmax along `dim`: `x − logsumexp(x)`, stable for large inputs. One
 * pass where the device has a fused kernel (`Kernels.logSoftmax`), else the
 * composite; either way one graph node, whose gradient is
 * `g − softmax(x)·Σ g`, as PyTorch's.
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('logSoftmax', dim, x.ndim);
  return scope(() => {
    const input = isFloating(x.dtype) ? x : cast(x, 'float32');
    if (input.ndim === 0) return input.sub(input);
    const fused = input.backend.kernels.logSoftmax;
    const out = withoutRecording(() => {
      if (fused === undefined || !coversBuffer(input.layout())) return input.sub(logsumexp(input, d, true));
      const result = input.newZeros(input.shape);
      const params = { outer: sizeOf(input.shape.slice(0, d)), size: input.shape[d], inner: sizeOf(input.shape.slice(d + 1)) };
      fused.call(input.backend.kernels, input.storage.buffer, result.storage.buffer, params);
      result.attributeTo('logSoftmax');
      return result;
    });
    return recordOp('logSoftmax', [input], out, { dim: d });
  });
}
