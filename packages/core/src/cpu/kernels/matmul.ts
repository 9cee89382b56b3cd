import type { BackendBuffer, View } from '../../backend.js';
import type { CpuBuffer } from '../cpu-buffer.js';
import { gemm, type FloatArray } from './gemm.js';

/**
 * Kernels.matmul: one {@link gemm} per batch element, reading both operands
 * through their strides (transposes and broadcast batch dims cost no copy).
 * Batch dims where `b` is broadcast and `a` continues its row stride are
 * folded into M first, so `(B, T, C) @ (C, N)` runs as one (B·T, C) @ (C, N)
 * product that packs the weight once.
 */
export function matmulKernel(a: View, b: View, out: BackendBuffer): void {
  const aData = (a.buffer as CpuBuffer).data as FloatArray;
  const bData = (b.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const rank = a.shape.length;
  let m = a.shape[rank - 2];
  const k = a.shape[rank - 1];
  const n = b.shape[rank - 1];
  let aRowStride = a.strides[rank - 2];
  const aColStride = a.strides[rank - 1];
  const bRowStride = b.strides[rank - 2];
  const bColStride = b.strides[rank - 1];

  let batchDims = rank - 2;
  while (batchDims > 0) {
    const d = batchDims - 1;
    const size = a.shape[d];
    if (size !== 1 && b.strides[d] !== 0) break;
    if (size !== 1 && m !== 1 && a.strides[d] !== m * aRowStride) break;
    if (m === 1) aRowStride = a.strides[d];
    m *= size;
    batchDims--;
  }

  const batchShape = a.shape.slice(0, batchDims);
  const batches = batchShape.reduce((p, s) => p * s, 1);
  if (batches === 0 || m === 0 || n === 0) return;
  const index = new Array<number>(batchDims).fill(0);
  let aOffset = a.offset;
  let bOffset = b.offset;
  for (let batch = 0; batch < batches; batch++) {
    gemm(m, n, k, aData, aOffset, aRowStride, aColStride, bData, bOffset, bRowStride, bColStride, outData, batch * m * n, false);
    // Odometer over the batch dims, carrying from the innermost.
    for (let d = batchDims - 1; d >= 0; d--) {
      index[d]++;
      aOffset += a.strides[d];
      bOffset += b.strides[d];
      if (index[d] < batchShape[d]) break;
      aOffset -= a.strides[d] * batchShape[d];
      bOffset -= b.strides[d] * batchShape[d];
      index[d] = 0;
    }
  }
}
