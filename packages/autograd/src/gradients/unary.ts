import { erf, exp, reluBackward, where, type Tensor } from '@fathom/core';
import type { UnaryAttrs, UnaryOp } from '@fathom/core/backend';
import type { FormulaFamily, GradientFormula } from '../formula.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

// Formulas that need the input x: d/dx from x alone.
function fromInput(derivative: (x: Tensor, attrs: UnaryAttrs) => Tensor): GradientFormula<UnaryAttrs> {
  return {
    save: ({ inputs }) => [inputs[0]],
    backward: (grad, { saved, attrs }) => [grad.mul(derivative(saved[0], attrs))],
  };
}

// Formulas cheaper from the output y = f(x).
function fromOutput(derivative: (y: Tensor) => Tensor): GradientFormula {
  return {
    save: ({ output }) => [output],
    backward: (grad, { saved }) => [grad.mul(derivative(saved[0]))],
  };
}

const zero: GradientFormula = { backward: (grad) => [grad.newZeros(grad.shape)] };

/**
 * Gradients of the elementwise unary ops. Subgradients at kinks follow
 * PyTorch: relu and leakyRelu use the negative side at 0 (relu'(0) = 0),
 * abs'(0) = 0, clamp passes the gradient where min ≤ x ≤ max; sign, floor,
 * ceil and round have zero gradient.
 */
export const unaryFormulas: FormulaFamily<UnaryOp> = {
  neg: { backward: (grad) => [grad.neg()] },
  abs: fromInput((x) => x.sign()),
  sign: zero,
  floor: zero,
  ceil: zero,
  round: zero,
  exp: fromOutput((y) => y),
  expm1: fromOutput((y) => y.add(1)),
  log: { save: ({ inputs }) => [inputs[0]], backward: (grad, { saved }) => [grad.div(saved[0])] },
  log1p: { save: ({ inputs }) => [inputs[0]], backward: (grad, { saved }) => [grad.div(saved[0].add(1))] },
  sqrt: { save: ({ output }) => [output], backward: (grad, { saved }) => [grad.div(saved[0].mul(2))] },
  rsqrt: fromOutput((y) => y.pow(3).mul(-0.5)),
  reciprocal: fromOutput((y) => y.square().neg()),
  square: fromInput((x) => x.mul(2)),
  sin: fromInput((x) => x.cos()),
  cos: fromInput((x) => x.sin().neg()),
  tanh: fromOutput((y) => y.square().neg().add(1)),
  sigmoid: fromOutput((y) => y.mul(y.neg().add(1))),
  // From the output, as PyTorch's threshold_backward: y > 0 exactly where x > 0,
  // the next layer keeps y anyway (so x can go after the forward pass), and one
  // select replaces a compare, a cast and a multiply.
  relu: { save: ({ output }) => [output], backward: (grad, { saved }) => [reluBackward(grad, saved[0])] },
  leakyRelu: fromInput((x, attrs) => where(x.gt(0), 1, attrs.params.alpha).cast(x.dtype)),
  elu: {
    save: ({ inputs, output }) => [inputs[0], output],
    // For x ≤ 0, d/dx alpha·(e^x − 1) = alpha·e^x = y + alpha.
    backward: (grad, { saved, attrs }) => [grad.mul(where(saved[0].gt(0), 1, saved[1].add(attrs.params.alpha)))],
  },
  clamp: fromInput((x, attrs) => x.ge(attrs.params.min).logicalAnd(x.le(attrs.params.max)).cast(x.dtype)),
  // d/dx x·Φ(x) = Φ(x) + x·φ(x).
  gelu: fromInput((x) => erf(x.mul(Math.SQRT1_2)).add(1).mul(0.5).add(x.mul(exp(x.square().mul(-0.5))).mul(SQRT_2_OVER_PI / 2))),
  softplus: fromInput((x) => x.sigmoid()),
  silu: fromInput((x) => {
    const s = x.sigmoid();
    return s.add(x.mul(s).mul(s.neg().add(1)));
  }),
  erf: fromInput((x) => exp(x.square().neg()).mul(2 / Math.sqrt(Math.PI))),
  // Writes bool: never part of a graph.
  logicalNot: null,
};
