import type { Shape } from './shape.js';

// The geometry every backend computes the same way before it runs a kernel:
// which dims can be merged, which are kept or reduced, how a batched matmul
// folds its batch dims. Pure functions of shapes and strides (in elements),
// shared so that the CPU, wasm and WebGPU backends never drift apart.

/** A shape and the strides (in elements) an operand is read with. */
export interface StridedShape {
  readonly shape: Shape;
  readonly strides: readonly number[];
}

/**
 * Merges dims that every operand walks contiguously (stride[i] = stride[i+1]·size[i+1])
 * and drops size-1 dims, so the kernels' inner loops run as long as possible.
 * The merged shape has at least one dim (`[1]` with zero strides for a scalar);
 * elements keep their row-major order.
 *
 * ```ts
 * collapseDims([2, 3, 4], [[12, 4, 1]]);       // { shape: [24], strides: [[1]] }
 * collapseDims([2, 3], [[3, 1], [1, 2]]);       // nothing merges: { shape: [2, 3], strides: [[3, 1], [1, 2]] }
 * ```
 */
export function collapseDims(shape: Shape, stridesList: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && stridesList.every((s, k) => outStrides[k][last] === s[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      stridesList.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      stridesList.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    stridesList.forEach((_, k) => outStrides[k].push(0));
  }
  return { shape: outShape, strides: outStrides };
}

/** The dims of a reduction's input split into those kept (in order) and those reduced (in order). */
export interface ReducedDims {
  readonly keptShape: number[];
  readonly keptStrides: number[];
  readonly reducedShape: number[];
  readonly reducedStrides: number[];
}

/**
 * Splits `x`'s dims into the kept ones and the `dims` reduced over (normalised,
 * non-negative), each list in `x`'s order with its strides.
 *
 * ```ts
 * splitReducedDims({ shape: [2, 3, 4], strides: [12, 4, 1] }, [1]);
 * // { keptShape: [2, 4], keptStrides: [12, 1], reducedShape: [3], reducedStrides: [4] }
 * ```
 */
export function splitReducedDims(x: StridedShape, dims: readonly number[]): ReducedDims {
  const keptShape: number[] = [], keptStrides: number[] = [], reducedShape: number[] = [], reducedStrides: number[] = [];
  x.shape.forEach((size, d) => {
    if (dims.includes(d)) {
      reducedShape.push(size);
      reducedStrides.push(x.strides[d]);
    } else {
      keptShape.push(size);
      keptStrides.push(x.strides[d]);
    }
  });
  return { keptShape, keptStrides, reducedShape, reducedStrides };
}

/**
 * A batched product `(…batch, M, K) · (…batch, K, N)` as a number of plain
 * `m×k · k×n` products: `batches` of them, batch element `i` (row-major over
 * `batchShape`) at `Σ coord·aBatchStrides` in a and `Σ coord·bBatchStrides` in
 * b (from each operand's offset), its output at `i·m·n` of a contiguous result.
 */
export interface MatmulGeometry {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly aRowStride: number;
  readonly aColStride: number;
  readonly bRowStride: number;
  readonly bColStride: number;
  /** The batch dims left after folding, merged where both operands allow (at least one dim). */
  readonly batchShape: number[];
  readonly aBatchStrides: number[];
  readonly bBatchStrides: number[];
  /** The product of `batchShape`. */
  readonly batches: number;
}

/**
 * The geometry of a batched matmul of `a` (…B, M, K) and `b` (…B, K, N), whose
 * batch dims are already broadcast to the same sizes (zero strides where
 * repeated). Batch dims where `b` repeats and `a` continues its row stride are
 * folded into M, so `(B, T, C) @ (C, N)` runs as one `(B·T, C) @ (C, N)`
 * product that packs the weight once (the output is contiguous, so its rows
 * follow on); the batch dims left are merged by {@link collapseDims}.
 *
 * ```ts
 * foldMatmulBatches({ shape: [2, 3, 4], strides: [12, 4, 1] }, { shape: [2, 4, 5], strides: [0, 5, 1] });
 * // m 6, n 5, k 4, batches 1
 * ```
 */
export function foldMatmulBatches(a: StridedShape, b: StridedShape): MatmulGeometry {
  const rank = a.shape.length;
  let m = a.shape[rank - 2];
  let aRowStride = a.strides[rank - 2];
  let batchDims = rank - 2;
  while (batchDims > 0) {
    const d = batchDims - 1;
    const size = a.shape[d];
    if (size !== 1 && b.strides[d] !== 0) break;
    if (size !== 1 && m !== 1 && a.strides[d] !== m * aRowStride) break;
    // A single row has no row stride of its own: the batch dim's becomes it.
    if (m === 1) aRowStride = a.strides[d];
    m *= size;
    batchDims--;
  }
  const batch = collapseDims(a.shape.slice(0, batchDims), [a.strides.slice(0, batchDims), b.strides.slice(0, batchDims)]);
  return {
    m,
    n: b.shape[rank - 1],
    k: a.shape[rank - 1],
    aRowStride,
    aColStride: a.strides[rank - 1],
    bRowStride: b.strides[rank - 2],
    bColStride: b.strides[rank - 1],
    batchShape: batch.shape,
    aBatchStrides: batch.strides[0],
    bBatchStrides: batch.strides[1],
    batches: batch.shape.reduce((p, s) => p * s, 1),
  };
}
