import { pad, selectScatter, sliceScatter, slice, select } from '@fathom/core';
import type { SliceAttrs } from '@fathom/core/backend';
import type { FormulaFamily } from '../formula.js';
import { sumToShape } from '../reduce-to-shape.js';

function sliceEnd(attrs: SliceAttrs, length: number): number {
  return attrs.start + (length - 1) * attrs.step + 1;
}

/** Gradients of copies, casts and views: each puts the gradient back where the input's elements were. */
export const shapeFormulas: FormulaFamily<
  'clone' | 'cast' | 'reshape' | 'permute' | 'expand' | 'slice' | 'select' | 'cat' | 'pad' | 'sliceScatter' | 'selectScatter'
> = {
  clone: { backward: (grad) => [grad] },
  cast: { backward: (grad, { inputDTypes }) => [grad.cast(inputDTypes[0])] },
  reshape: { backward: (grad, { inputShapes }) => [grad.reshape(inputShapes[0])] },
  permute: {
    backward: (grad, { attrs: { dims } }) => {
      const inverse = dims.map((_, i) => dims.indexOf(i));
      return [grad.permute(inverse)];
    },
  },
  expand: { backward: (grad, { inputShapes }) => [sumToShape(grad, inputShapes[0])] },
  slice: {
    backward: (grad, { inputShapes, attrs }) => {
      const length = grad.shape[attrs.dim];
      if (length === 0) return [grad.newZeros(inputShapes[0])];
      return [sliceScatter(grad.newZeros(inputShapes[0]), grad, attrs.dim, attrs.start, sliceEnd(attrs, length), attrs.step)];
    },
    viewOf: (base, { attrs, outputShape }) => slice(base, attrs.dim, attrs.start, sliceEnd(attrs, outputShape[attrs.dim]), attrs.step),
  },
  select: {
    backward: (grad, { inputShapes, attrs }) => [selectScatter(grad.newZeros(inputShapes[0]), grad, attrs.dim, attrs.index)],
    viewOf: (base, { attrs }) => select(base, attrs.dim, attrs.index),
  },
  cat: {
    backward: (grad, { attrs: { dim, sizes }, inputShapes }) => {
      let at = 0;
      return sizes.map((size, i) => {
        if (size === 0) return grad.newZeros(inputShapes[i]);
        const piece = grad.narrow(dim, at, size);
        at += size;
        return piece;
      });
    },
  },
  // The gradient of padding is the same window cropped back out: negated padding.
  pad: { backward: (grad, { attrs }) => [pad(grad, attrs.padding.map((p) => -p))] },
  sliceScatter: {
    backward: (grad, { attrs: { dim, start, end, step }, inputShapes }) => [
      sliceScatter(grad, grad.newZeros(inputShapes[1]), dim, start, end, step),
      slice(grad, dim, start, end, step),
    ],
  },
  selectScatter: {
    backward: (grad, { attrs: { dim, index }, inputShapes }) => [selectScatter(grad, grad.newZeros(inputShapes[1]), dim, index), select(grad, dim, index)],
  },
};

