import type { AdaptivePool2dParams, BackendBuffer, Pool2dParams, View } from '../../backend.js';
import type { CpuBuffer } from '../cpu-buffer.js';
import type { FloatArray } from './gemm.js';

// First and one-past-last kernel taps t with start + t·dilation inside [0, size).
function firstTap(start: number, dilation: number): number {
  return start >= 0 ? 0 : Math.ceil(-start / dilation);
}
function endTap(start: number, dilation: number, kernel: number, size: number): number {
  return start >= size ? 0 : Math.min(kernel, Math.ceil((size - start) / dilation));
}

/**
 * Kernels.maxPool2d. Like PyTorch's CPU kernel: padding is never chosen, the
 * index starts at the first in-image tap, and a NaN replaces the running max
 * (so the last NaN in the window is reported).
 */
export function maxPool2dKernel(x: View, out: BackendBuffer, indices: BackendBuffer, p: Pool2dParams): void {
  const xData = (x.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const indexData = (indices as CpuBuffer).data as Int32Array;
  const { planes, inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth } = p;
  const inPlane = inHeight * inWidth;
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = x.offset + plane * inPlane;
    for (let oh = 0; oh < outHeight; oh++) {
      const hStart = oh * strideHeight - padHeight;
      const khFirst = firstTap(hStart, dilationHeight);
      const khEnd = endTap(hStart, dilationHeight, kernelHeight, inHeight);
      for (let ow = 0; ow < outWidth; ow++, o++) {
        const wStart = ow * strideWidth - padWidth;
        const kwFirst = firstTap(wStart, dilationWidth);
        const kwEnd = endTap(wStart, dilationWidth, kernelWidth, inWidth);
        let max = -Infinity;
        let index = (hStart + khFirst * dilationHeight) * inWidth + wStart + kwFirst * dilationWidth;
        for (let kh = khFirst; kh < khEnd; kh++) {
          const row = (hStart + kh * dilationHeight) * inWidth;
          for (let kw = kwFirst; kw < kwEnd; kw++) {
            const at = row + wStart + kw * dilationWidth;
            const v = xData[base + at];
            if (v > max || v !== v) {
              max = v;
              index = at;
            }
          }
        }
        outData[o] = max;
        indexData[o] = index;
      }
    }
  }
}

/** Kernels.maxPool2dGrad: zero-fills `out`, then adds each output gradient at its recorded input index. */
export function maxPool2dGradKernel(gradOut: View, indices: View, out: BackendBuffer, p: Pool2dParams): void {
  const gData = (gradOut.buffer as CpuBuffer).data as FloatArray;
  const indexData = (indices.buffer as CpuBuffer).data as Int32Array;
  const outData = (out as CpuBuffer).data as FloatArray;
  const inPlane = p.inHeight * p.inWidth;
  const outPlane = p.outHeight * p.outWidth;
  outData.fill(0, 0, p.planes * inPlane);
  for (let plane = 0; plane < p.planes; plane++) {
    const g = gradOut.offset + plane * outPlane;
    const ix = indices.offset + plane * outPlane;
    const base = plane * inPlane;
    for (let o = 0; o < outPlane; o++) outData[base + indexData[ix + o]] += gData[g + o];
  }
}

// The divisor of one window: with countIncludePad, the taps inside the padded
// input (PyTorch clips the window end to size + pad); otherwise the in-image taps.
function windowCount(start: number, dilation: number, kernel: number, size: number, pad: number, countIncludePad: boolean): number {
  if (!countIncludePad) return endTap(start, dilation, kernel, size) - firstTap(start, dilation);
  return endTap(start + pad, dilation, kernel, size + 2 * pad) - firstTap(start + pad, dilation);
}

/** Kernels.avgPool2d: the mean over in-image taps, divided as {@link Pool2dParams.countIncludePad} says. */
export function avgPool2dKernel(x: View, out: BackendBuffer, p: Pool2dParams): void {
  const xData = (x.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const { planes, inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth, countIncludePad } = p;
  const inPlane = inHeight * inWidth;
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = x.offset + plane * inPlane;
    for (let oh = 0; oh < outHeight; oh++) {
      const hStart = oh * strideHeight - padHeight;
      const khFirst = firstTap(hStart, dilationHeight);
      const khEnd = endTap(hStart, dilationHeight, kernelHeight, inHeight);
      const rows = windowCount(hStart, dilationHeight, kernelHeight, inHeight, padHeight, countIncludePad);
      for (let ow = 0; ow < outWidth; ow++, o++) {
        const wStart = ow * strideWidth - padWidth;
        const kwFirst = firstTap(wStart, dilationWidth);
        const kwEnd = endTap(wStart, dilationWidth, kernelWidth, inWidth);
        const count = rows * windowCount(wStart, dilationWidth, kernelWidth, inWidth, padWidth, countIncludePad);
        let sum = 0;
        for (let kh = khFirst; kh < khEnd; kh++) {
          const row = base + (hStart + kh * dilationHeight) * inWidth + wStart;
          for (let kw = kwFirst; kw < kwEnd; kw++) sum += xData[row + kw * dilationWidth];
        }
        // A window wholly in the padding averages nothing; PyTorch writes 0.
        outData[o] = count > 0 ? sum / count : 0;
      }
    }
  }
}

/** Kernels.avgPool2dGrad: zero-fills `out`, then spreads each output gradient evenly over its window's in-image taps. */
export function avgPool2dGradKernel(gradOut: View, out: BackendBuffer, p: Pool2dParams): void {
  const gData = (gradOut.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const { planes, inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth, countIncludePad } = p;
  const inPlane = inHeight * inWidth;
  outData.fill(0, 0, planes * inPlane);
  let o = gradOut.offset;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * inPlane;
    for (let oh = 0; oh < outHeight; oh++) {
      const hStart = oh * strideHeight - padHeight;
      const khFirst = firstTap(hStart, dilationHeight);
      const khEnd = endTap(hStart, dilationHeight, kernelHeight, inHeight);
      const rows = windowCount(hStart, dilationHeight, kernelHeight, inHeight, padHeight, countIncludePad);
      for (let ow = 0; ow < outWidth; ow++, o++) {
        const wStart = ow * strideWidth - padWidth;
        const kwFirst = firstTap(wStart, dilationWidth);
        const kwEnd = endTap(wStart, dilationWidth, kernelWidth, inWidth);
        const count = rows * windowCount(wStart, dilationWidth, kernelWidth, inWidth, padWidth, countIncludePad);
        if (count === 0) continue;
        const share = gData[o] / count;
        for (let kh = khFirst; kh < khEnd; kh++) {
          const row = base + (hStart + kh * dilationHeight) * inWidth + wStart;
          for (let kw = kwFirst; kw < kwEnd; kw++) outData[row + kw * dilationWidth] += share;
        }
      }
    }
  }
}

// Adaptive pooling bins: cell i covers [⌊i·size/out⌋, ⌈(i+1)·size/out⌉), in integers.
function binStart(i: number, size: number, out: number): number {
  return Math.floor((i * size) / out);
}
function binEnd(i: number, size: number, out: number): number {
  return Math.floor(((i + 1) * size + out - 1) / out);
}

/** Kernels.adaptiveAvgPool2d. */
export function adaptiveAvgPool2dKernel(x: View, out: BackendBuffer, p: AdaptivePool2dParams): void {
  const xData = (x.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const { planes, inHeight, inWidth, outHeight, outWidth } = p;
  const inPlane = inHeight * inWidth;
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = x.offset + plane * inPlane;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = binStart(oh, inHeight, outHeight);
      const h1 = binEnd(oh, inHeight, outHeight);
      for (let ow = 0; ow < outWidth; ow++, o++) {
        const w0 = binStart(ow, inWidth, outWidth);
        const w1 = binEnd(ow, inWidth, outWidth);
        let sum = 0;
        for (let h = h0; h < h1; h++) {
          const row = base + h * inWidth;
          for (let w = w0; w < w1; w++) sum += xData[row + w];
        }
        const count = (h1 - h0) * (w1 - w0);
        // An empty input (H or W = 0) gives empty bins; PyTorch's mean of nothing is NaN.
        outData[o] = sum / count;
      }
    }
  }
}

/** Kernels.adaptiveAvgPool2dGrad: zero-fills `out`, then spreads each output gradient evenly over its bin. */
export function adaptiveAvgPool2dGradKernel(gradOut: View, out: BackendBuffer, p: AdaptivePool2dParams): void {
  const gData = (gradOut.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const { planes, inHeight, inWidth, outHeight, outWidth } = p;
  const inPlane = inHeight * inWidth;
  outData.fill(0, 0, planes * inPlane);
  let o = gradOut.offset;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * inPlane;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = binStart(oh, inHeight, outHeight);
      const h1 = binEnd(oh, inHeight, outHeight);
      for (let ow = 0; ow < outWidth; ow++, o++) {
        const w0 = binStart(ow, inWidth, outWidth);
        const w1 = binEnd(ow, inWidth, outWidth);
        const share = gData[o] / ((h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) {
          const row = base + h * inWidth;
          for (let w = w0; w < w1; w++) outData[row + w] += share;
        }
      }
    }
  }
}
