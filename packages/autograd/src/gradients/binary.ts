import { reluBackward, where, type Tensor } from '@fathom/core';
import type { BinaryOp } from '@fathom/core/backend';
import type { FormulaFamily, GradientFormula } from '../formula.js';
import { sumToShape } from '../reduce-to-shape.js';

const both = (save: 'inputs' | 'inputs+output') => ({ inputs, output }: { inputs: readonly Tensor[]; output: Tensor }) =>
  save === 'inputs' ? [inputs[0], inputs[1]] : [inputs[0], inputs[1], output];

// Ties split the gradient evenly between the operands, as PyTorch's maximum/minimum.
function extremum(pick: 'gt' | 'lt'): GradientFormula {
  return {
    save: both('inputs'),
    backward: (grad, { saved, inputShapes }) => {
      const [a, b] = saved;
      const tie = a.eq(b).cast(grad.dtype).mul(0.5);
      const toA = a[pick](b).cast(grad.dtype).add(tie);
      const toB = b[pick](a).cast(grad.dtype).add(tie);
      return [sumToShape(grad.mul(toA), inputShapes[0]), sumToShape(grad.mul(toB), inputShapes[1])];
    },
  };
}

/** Gradients of the broadcasting binary ops, each summed back to its operand's shape. */
export const binaryFormulas: FormulaFamily<BinaryOp | 'where'> = {
  // a ± alpha·b: b's gradient is ±alpha·grad.
  add: {
    backward: (grad, { inputShapes, attrs }) =>
      [sumToShape(grad, inputShapes[0]), sumToShape(attrs.alpha === 1 ? grad : grad.mul(attrs.alpha), inputShapes[1])],
  },
  sub: {
    backward: (grad, { inputShapes, attrs }) =>
      [sumToShape(grad, inputShapes[0]), sumToShape(attrs.alpha === 1 ? grad.neg() : grad.mul(-attrs.alpha), inputShapes[1])],
  },
  mul: {
    save: both('inputs'),
    backward: (grad, { saved, inputShapes, needsGrad }) => [
      needsGrad[0] ? sumToShape(grad.mul(saved[1]), inputShapes[0]) : null,
      needsGrad[1] ? sumToShape(grad.mul(saved[0]), inputShapes[1]) : null,
    ],
  },
  div: {
    save: both('inputs+output'),
    backward: (grad, { saved, inputShapes, needsGrad }) => {
      const [, b, out] = saved;
      return [
        needsGrad[0] ? sumToShape(grad.div(b), inputShapes[0]) : null,
        needsGrad[1] ? sumToShape(grad.mul(out).div(b).neg(), inputShapes[1]) : null,
      ];
    },
  },
  pow: {
    save: both('inputs+output'),
    backward: (grad, { saved, inputShapes, needsGrad }) => {
      const [a, b, out] = saved;
      // d/da a^b = b·a^(b−1); where b = 0 the derivative is 0 even at a = 0 (PyTorch masks it).
      const toBase = where(b.eq(0), 0, b.mul(a.pow(b.sub(1))));
      // d/db a^b = a^b·ln a; PyTorch defines it as 0 where a = 0 and b ≥ 0.
      const toExponent = where(a.eq(0).logicalAnd(b.ge(0)), 0, out.mul(a.log()));
      return [
        needsGrad[0] ? sumToShape(grad.mul(toBase), inputShapes[0]) : null,
        needsGrad[1] ? sumToShape(grad.mul(toExponent), inputShapes[1]) : null,
      ];
    },
  },
  maximum: extremum('gt'),
  minimum: extremum('lt'),
  // Linear in the gradient; the output only selects (its derivative is 0 almost everywhere, as PyTorch's).
  reluBackward: {
    save: ({ inputs }) => [inputs[1]],
    backward: (grad, { saved, inputShapes }) => [sumToShape(reluBackward(grad, saved[0]), inputShapes[0]), null],
  },
  where: {
    save: ({ inputs }) => [inputs[0]],
    backward: (grad, { saved, inputShapes }) => {
      const condition = saved[0];
      return [null, sumToShape(where(condition, grad, 0), inputShapes[1]), sumToShape(where(condition, 0, grad), inputShapes[2])];
    },
  },
  // Comparisons and logical ops write bool: never part of a graph.
  eq: null,
  ne: null,
  lt: null,
  le: null,
  gt: null,
  ge: null,
  logicalAnd: null,
  logicalOr: null,
  logicalXor: null,
};
