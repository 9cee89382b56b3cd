import type { BackendBuffer, View } from '../../backend.js';
import { foldMatmulBatches } from '../../kernel-geometry.js';
import type { CpuBuffer } from '../cpu-buffer.js';
import { gemm, type FloatArray } from './gemm.js';

/**
 * Kernels.matmul: one {@link gemm} per batch element, reading both operands
 * through their strides (transposes and broadcast batch dims cost no copy),
 * after {@link foldMatmulBatches} folded what batch dims it can into M (so
 * `(B, T, C) @ (C, N)` runs as one product that packs the weight once).
 */
export function matmulKernel(a: View, b: View, out: BackendBuffer): void {
  const aData = (a.buffer as CpuBuffer).data as FloatArray;
  const bData = (b.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const { m, n, k, aRowStride, aColStride, bRowStride, bColStride, batchShape, aBatchStrides, bBatchStrides, batches } = foldMatmulBatches(a, b);
  if (batches === 0 || m === 0 || n === 0) return;
  const batchDims = batchShape.length;
  const index = new Array<number>(batchDims).fill(0);
  let aOffset = a.offset;
  let bOffset = b.offset;
  for (let batch = 0; batch < batches; batch++) {
    gemm(m, n, k, aData, aOffset, aRowStride, aColStride, bData, bOffset, bRowStride, bColStride, outData, batch * m * n, false);
    // Odometer over the batch dims, carrying from the innermost.
    for (let d = batchDims - 1; d >= 0; d--) {
      index[d]++;
      aOffset += aBatchStrides[d];
      bOffset += bBatchStrides[d];
      if (index[d] < batchShape[d]) break;
      aOffset -= aBatchStrides[d] * batchShape[d];
      bOffset -= bBatchStrides[d] * batchShape[d];
      index[d] = 0;
    }
  }
}
