import { pad, selectScatter, sliceScatter, slice, select, type Tensor } from '@fathom/core';
import type { GradientFormula } from '../formula.js';
import { sumToShape } from '../reduce-to-shape.js';

interface SliceAttrs {
  readonly dim: number;
  readonly start: number;
  readonly step: number;
}

function sliceEnd(attrs: SliceAttrs, length: number): number {
  return attrs.start + (length - 1) * attrs.step + 1;
}

/** Gradients of copies, casts and views: each puts the gradient back where the input's elements were. */
export const shapeFormulas: Record<string, GradientFormula> = {
  clone: { backward: (grad) => [grad] },
  cast: { backward: (grad, { inputDTypes }) => [grad.cast(inputDTypes[0])] },
  reshape: { backward: (grad, { inputShapes }) => [grad.reshape(inputShapes[0])] },
  permute: {
    backward: (grad, { attrs }) => {
      const dims = attrs.dims as readonly number[];
      const inverse = dims.map((_, i) => dims.indexOf(i));
      return [grad.permute(inverse)];
    },
  },
  expand: { backward: (grad, { inputShapes }) => [sumToShape(grad, inputShapes[0])] },
  slice: {
    backward: (grad, { inputShapes, attrs }) => {
      const a = attrs as unknown as SliceAttrs;
      const length = grad.shape[a.dim];
      if (length === 0) return [grad.newZeros(inputShapes[0])];
      return [sliceScatter(grad.newZeros(inputShapes[0]), grad, a.dim, a.start, sliceEnd(a, length), a.step)];
    },
    viewOf: (base, { attrs, outputShape }) => {
      const a = attrs as unknown as SliceAttrs;
      return slice(base, a.dim, a.start, sliceEnd(a, outputShape[a.dim]), a.step);
    },
  },
  select: {
    backward: (grad, { inputShapes, attrs }) => [selectScatter(grad.newZeros(inputShapes[0]), grad, attrs.dim as number, attrs.index as number)],
    viewOf: (base, { attrs }) => select(base, attrs.dim as number, attrs.index as number),
  },
  cat: {
    backward: (grad, { attrs, inputShapes }) => {
      const dim = attrs.dim as number;
      const sizes = attrs.sizes as readonly number[];
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
  pad: { backward: (grad, { attrs }) => [pad(grad, (attrs.padding as readonly number[]).map((p) => -p))] },
  sliceScatter: {
    backward: (grad, { attrs, inputShapes }) => {
      const { dim, start, end, step } = attrs as { dim: number; start?: number; end?: number; step: number };
      return [
        sliceScatter(grad, grad.newZeros(inputShapes[1]), dim, start, end, step),
        slice(grad, dim, start, end, step),
      ];
    },
  },
  selectScatter: {
    backward: (grad, { attrs, inputShapes }) => {
      const { dim, index } = attrs as { dim: number; index: number };
      return [selectScatter(grad, grad.newZeros(inputShapes[1]), dim, index), select(grad, dim, index)];
    },
  },
};

