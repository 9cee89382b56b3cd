import { describe, expect, it } from 'vitest';
import { collapseDims, foldMatmulBatches, splitReducedDims } from './kernel-geometry.js';

describe('collapseDims', () => {
  it('merges a contiguous operand into one dim', () => {
    expect(collapseDims([2, 3, 4], [[12, 4, 1]])).toEqual({ shape: [24], strides: [[1]] });
  });

  it('merges only where every operand is contiguous across the pair of dims', () => {
    // The second operand's rows are padded to 10 elements: dims 1 and 2 cannot merge for it, dims 0 and 1 can.
    expect(collapseDims([2, 3, 4], [[12, 4, 1], [30, 10, 1]])).toEqual({ shape: [6, 4], strides: [[4, 1], [10, 1]] });
    // A transpose of the last two dims merges nothing.
    expect(collapseDims([2, 3, 4], [[12, 4, 1], [12, 1, 3]])).toEqual({ shape: [2, 3, 4], strides: [[12, 4, 1], [12, 1, 3]] });
  });

  it('drops size-1 dims and keeps broadcast (zero-stride) dims apart from the others', () => {
    expect(collapseDims([2, 1, 3], [[3, 3, 1], [0, 0, 1]])).toEqual({ shape: [2, 3], strides: [[3, 1], [0, 1]] });
    // Two broadcast dims in a row merge (0 = 0·size).
    expect(collapseDims([2, 3, 4], [[0, 0, 1], [12, 4, 1]])).toEqual({ shape: [6, 4], strides: [[0, 1], [4, 1]] });
  });

  it('gives [1] with zero strides for a scalar or all-ones shape', () => {
    expect(collapseDims([], [[], []])).toEqual({ shape: [1], strides: [[0], [0]] });
    expect(collapseDims([1, 1], [[5, 7]])).toEqual({ shape: [1], strides: [[0]] });
  });

  it('keeps an empty dim', () => {
    expect(collapseDims([0, 3], [[3, 1]])).toEqual({ shape: [0], strides: [[1]] });
  });
});

describe('splitReducedDims', () => {
  it('splits kept and reduced dims in order, with their strides', () => {
    expect(splitReducedDims({ shape: [2, 3, 4], strides: [12, 4, 1] }, [1])).toEqual({
      keptShape: [2, 4], keptStrides: [12, 1], reducedShape: [3], reducedStrides: [4],
    });
    expect(splitReducedDims({ shape: [2, 3, 4], strides: [1, 2, 6] }, [2, 0])).toEqual({
      keptShape: [3], keptStrides: [2], reducedShape: [2, 4], reducedStrides: [1, 6],
    });
  });

  it('reduces everything or nothing', () => {
    expect(splitReducedDims({ shape: [2, 3], strides: [3, 1] }, [0, 1])).toEqual({ keptShape: [], keptStrides: [], reducedShape: [2, 3], reducedStrides: [3, 1] });
    expect(splitReducedDims({ shape: [2, 3], strides: [3, 1] }, [])).toEqual({ keptShape: [2, 3], keptStrides: [3, 1], reducedShape: [], reducedStrides: [] });
  });
});

describe('foldMatmulBatches', () => {
  it('reads a plain 2-d product as one batch', () => {
    expect(foldMatmulBatches({ shape: [3, 4], strides: [4, 1] }, { shape: [4, 5], strides: [5, 1] })).toEqual({
      m: 3, n: 5, k: 4, aRowStride: 4, aColStride: 1, bRowStride: 5, bColStride: 1,
      batchShape: [1], aBatchStrides: [0], bBatchStrides: [0], batches: 1,
    });
  });

  it('folds (B, T, C) @ (C, N) with a broadcast weight into one (B·T, C) @ (C, N) product', () => {
    // a (2, 3, 4) contiguous; b (4, 5) broadcast to (2, 4, 5) with a zero batch stride.
    expect(foldMatmulBatches({ shape: [2, 3, 4], strides: [12, 4, 1] }, { shape: [2, 4, 5], strides: [0, 5, 1] })).toEqual({
      m: 6, n: 5, k: 4, aRowStride: 4, aColStride: 1, bRowStride: 5, bColStride: 1,
      batchShape: [1], aBatchStrides: [0], bBatchStrides: [0], batches: 1,
    });
  });

  it('keeps batch dims where b varies, merging the contiguous ones', () => {
    // a (2, 3, 2, 4) and b (2, 3, 4, 5) both contiguous: the batch dims (2, 3) merge into 6.
    expect(foldMatmulBatches({ shape: [2, 3, 2, 4], strides: [24, 8, 4, 1] }, { shape: [2, 3, 4, 5], strides: [60, 20, 5, 1] })).toEqual({
      m: 2, n: 5, k: 4, aRowStride: 4, aColStride: 1, bRowStride: 5, bColStride: 1,
      batchShape: [6], aBatchStrides: [8], bBatchStrides: [20], batches: 6,
    });
  });

  it('stops folding where a does not continue its row stride', () => {
    // a is (2, 3, 4) read from a (3, 2, 4) buffer through a transpose of dims 0 and 1: strides (4, 8, 1).
    const geometry = foldMatmulBatches({ shape: [2, 3, 4], strides: [4, 8, 1] }, { shape: [2, 4, 5], strides: [0, 5, 1] });
    expect(geometry).toMatchObject({ m: 3, aRowStride: 8, batchShape: [2], aBatchStrides: [4], bBatchStrides: [0], batches: 2 });
  });

  it('takes the batch stride as the row stride of a single-row operand', () => {
    // a (4, 1, 3) with rows 3 apart: the four 1×3 products are one 4×3 product with row stride 3.
    expect(foldMatmulBatches({ shape: [4, 1, 3], strides: [3, 3, 1] }, { shape: [4, 3, 2], strides: [0, 2, 1] })).toMatchObject({
      m: 4, aRowStride: 3, batchShape: [1], batches: 1,
    });
  });

  it('folds only the inner broadcast dims, keeping an outer dim where b varies', () => {
    // a (2, 3, 1, 4) contiguous, b (2, 3, 4, 5) with strides (20, 0, 5, 1): dim 1 folds into M, dim 0 stays.
    expect(foldMatmulBatches({ shape: [2, 3, 1, 4], strides: [12, 4, 4, 1] }, { shape: [2, 3, 4, 5], strides: [20, 0, 5, 1] })).toEqual({
      m: 3, n: 5, k: 4, aRowStride: 4, aColStride: 1, bRowStride: 5, bColStride: 1,
      batchShape: [2], aBatchStrides: [12], bBatchStrides: [20], batches: 2,
    });
  });

  it('counts no batch for an empty batch dim', () => {
    expect(foldMatmulBatches({ shape: [0, 2, 3], strides: [6, 3, 1] }, { shape: [0, 3, 4], strides: [12, 4, 1] }).batches).toBe(0);
  });
});
