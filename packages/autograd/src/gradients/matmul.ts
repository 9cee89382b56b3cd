import { matmul, type Tensor } from '@fathom/core';
import type { FormulaFamily } from '../formula.js';
import { sumToShape } from '../reduce-to-shape.js';

/**
 * Gradient of matmul on matrices, (…, M, K) · (…, K, N): multiply by the
 * transposed other operand and sum broadcast batch dims away. Core records
 * the product of matrices only; a 1-D operand's promotion and the squeeze of
 * the result are recorded views, with their own gradients.
 */
export const matmulFormulas: FormulaFamily<'matmul'> = {
  matmul: {
    save: ({ inputs }) => [inputs[0], inputs[1]],
    backward: (grad, { saved, inputShapes, needsGrad }) => {
      const [a, b] = saved; // (…, M, K), (…, K, N); grad (…, M, N)
      return [
        needsGrad[0] ? sumToShape(matmul(grad, b.transpose(-1, -2)), inputShapes[0]) : null,
        needsGrad[1] ? sumToShape(gradOfRight(a, b, grad), inputShapes[1]) : null,
      ];
    },
  },
};

// True for the transpose of a contiguous matrix, e.g. the `weight.t()` of linear.
function isTransposedMatrix(t: Tensor): boolean {
  return t.ndim === 2 && t.strides[0] === 1 && t.strides[1] === t.shape[0];
}

/**
 * aᵀ·g, the gradient of the right operand. For `x.matmul(w.t())` it is
 * computed as (gᵀ·a)ᵀ: the same numbers, laid out so that the transpose's own
 * backward hands `w` a contiguous gradient rather than a strided one, which
 * every accumulation into `w.grad` would otherwise walk column by column.
 */
function gradOfRight(a: Tensor, b: Tensor, g: Tensor): Tensor {
  if (isTransposedMatrix(b) && g.ndim === 2) return matmul(g.transpose(0, 1), a).transpose(0, 1); // (K, N) view of an (N, K) result
  return matmul(a.transpose(-1, -2), g);
}
