import { matmul, type Tensor } from '@fathom/core';
import type { GradientFormula } from '../formula.js';
import { sumToShape } from '../reduce-to-shape.js';

/**
 * Gradient of matmul with its 1-D and broadcast rules: promote 1-D operands
 * to matrices as the forward did, multiply by the transposed other operand,
 * sum broadcast batch dims away, and drop the added unit dims again.
 */
export const matmulFormulas: Record<string, GradientFormula> = {
  matmul: {
    save: ({ inputs }) => [inputs[0], inputs[1]],
    backward: (grad, { saved, inputShapes, needsGrad }) => {
      const [a, b] = saved;
      const a2 = a.ndim === 1 ? a.unsqueeze(0) : a; // (…, M, K)
      const b2 = b.ndim === 1 ? b.unsqueeze(1) : b; // (…, K, N)
      let g: Tensor = grad;
      if (a.ndim === 1) g = g.unsqueeze(b.ndim === 1 ? 0 : -2);
      if (b.ndim === 1) g = g.unsqueeze(-1); // (…, M, N)
      const gradA = needsGrad[0] ? sumToShape(matmul(g, b2.transpose(-1, -2)), a2.shape).reshape(inputShapes[0]) : null;
      const gradB = needsGrad[1] ? sumToShape(gradOfRight(a2, b2, g), b2.shape).reshape(inputShapes[1]) : null;
      return [gradA, gradB];
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
