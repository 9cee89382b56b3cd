import { isFloating } from '../dtype.js';
import { normalizeDim } from '../shape.js';
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

/** Log-softmax along `dim`: `x − logsumexp(x)`, stable for large inputs. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('logSoftmax', dim, x.ndim);
  return scope(() => {
    const input = isFloating(x.dtype) ? x : cast(x, 'float32');
    if (input.ndim === 0) return input.sub(input);
    return input.sub(logsumexp(input, d, true));
  });
}
