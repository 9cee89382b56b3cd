import type { Shape, Tensor } from '@fathom/core';
import type { ReduceAttrs, ReduceOp } from '@fathom/core/backend';
import type { FormulaFamily, GradientFormula } from '../formula.js';

// The reduced result (or its gradient) reshaped with size-1 dims where the reduced dims were, ready to broadcast.
function restoreDims(t: Tensor, inputShape: Shape, attrs: ReduceAttrs): Tensor {
  if (attrs.keepdim) return t;
  return t.reshape(inputShape.map((size, d) => (attrs.dims.includes(d) ? 1 : size)));
}

// amax/amin rule: the gradient is shared evenly among the elements equal to the extreme.
const extremum: GradientFormula<ReduceAttrs> = {
  save: ({ inputs, output }) => [inputs[0], output],
  backward: (grad, { saved, inputShapes, attrs }) => {
    const [x, out] = saved;
    const hits = x.eq(restoreDims(out, inputShapes[0], attrs)).cast(grad.dtype);
    const count = hits.sum([...attrs.dims], true);
    return [restoreDims(grad, inputShapes[0], attrs).mul(hits).div(count)];
  },
};

/**
 * Gradients of the reductions. `max`/`min` share the gradient evenly among
 * tied extremes (PyTorch's `amax` rule; our `max(dim)` returns values only).
 * `prod` uses `out / x`, which needs inputs without zeros.
 */
export const reduceFormulas: FormulaFamily<ReduceOp> = {
  sum: {
    backward: (grad, { inputShapes, attrs }) => [restoreDims(grad, inputShapes[0], attrs).expand(inputShapes[0])],
  },
  prod: {
    save: ({ inputs, output }) => [inputs[0], output],
    backward: (grad, { saved, inputShapes, attrs }) => [restoreDims(grad.mul(saved[1]), inputShapes[0], attrs).div(saved[0])],
  },
  max: extremum,
  min: extremum,
  // Write bool: never part of a graph.
  all: null,
  any: null,
};
