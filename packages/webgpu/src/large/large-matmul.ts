import { contiguousStrides, sizeOf } from '@fathom/core';
import type { BackendBuffer, View } from '@fathom/core/backend';
import { matmulKernel } from '../kernels/matmul.js';
import { wholeView, type LargeKernels, type SplitOperand } from './large-kernels.js';

/**
 * Kernels.matmul where a buffer is larger than one binding: the product is
 * split over the batch dims, M, N and K (iteration `[...B, M, N, K]`) so that
 * each block's piece of `a`, `b` and `out` fits a window; pieces of a split K
 * are summed into `out`. A classifier's large weight splits along its rows:
 * N forward (`x @ Wᵀ`), K for the input gradient, M for the weight gradient.
 */
export function largeMatmul(large: LargeKernels, a: View, b: View, out: BackendBuffer): void {
  const rank = a.shape.length;
  const batchShape = a.shape.slice(0, rank - 2);
  const [m, k] = a.shape.slice(rank - 2);
  const n = b.shape[rank - 1];
  const batchRank = batchShape.length;
  const shape = [...batchShape, m, n, k];
  const outShape = [...batchShape, m, n];
  const outStrides = contiguousStrides(outShape);
  const batchDims = batchShape.map((_, d) => d);
  const [M, N, K] = [batchRank, batchRank + 1, batchRank + 2];
  const aOperand: SplitOperand = { view: a, strides: [...a.strides.slice(0, batchRank), a.strides[rank - 2], 0, a.strides[rank - 1]], dims: [...batchDims, M, K] };
  const bOperand: SplitOperand = { view: b, strides: [...b.strides.slice(0, batchRank), 0, b.strides[rank - 1], b.strides[rank - 2]], dims: [...batchDims, K, N] };
  const outOperand: SplitOperand = { view: wholeView(out, outShape), strides: [...outStrides, 0], dims: [...batchDims, M, N] };
  if (sizeOf(outShape) === 0) return;
  if (k === 0) return large.fill(out, 0);
  const blocks = large.plan('matmul', shape, [aOperand, bOperand, outOperand]);
  const splitK = blocks.some((block) => block.shape[K] !== k);
  if (splitK) large.fill(out, 0);
  for (const block of blocks) {
    const aView = large.restrict(aOperand, block, 0);
    const bView = large.restrict(bOperand, block, 1);
    const target = large.restrict(outOperand, block, null);
    if (!splitK) {
      large.write(target, (buffer) => matmulKernel(large.run, aView, bView, buffer));
      continue;
    }
    const partial = large.run.allocate(out.dtype, sizeOf(target.shape));
    matmulKernel(large.run, aView, bView, partial);
    large.accumulate('add', target, partial);
    large.run.release(partial);
  }
}
