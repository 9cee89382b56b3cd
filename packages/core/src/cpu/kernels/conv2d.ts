import type { BackendBuffer, Conv2dParams, View } from '../../backend.js';
import type { CpuBuffer } from '../cpu-buffer.js';
import { gemm, type FloatArray } from './gemm.js';

// The column matrix of one image and group, (Cg·kH·kW, OH·OW), reused across
// calls (grow-only). Float64 keeps float64 convolutions exact.
let columns = new Float64Array(0);

function columnScratch(length: number): Float64Array {
  if (columns.length < length) columns = new Float64Array(length);
  return columns;
}

// 1×1, stride 1, no padding: the input planes already are the column matrix.
function isPointwise(p: Conv2dParams): boolean {
  return p.kernelHeight === 1 && p.kernelWidth === 1 && p.strideHeight === 1 && p.strideWidth === 1 && p.padHeight === 0 && p.padWidth === 0;
}

/**
 * Unfolds `channels` input planes starting at `x[offset]` into `cols`:
 * row (c, kh, kw), column (oh, ow) holds the input under that kernel tap for
 * that output position, 0 in the padding.
 */
function im2col(x: FloatArray, offset: number, channels: number, p: Conv2dParams, cols: Float64Array): void {
  const { inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth } = p;
  const plane = inHeight * inWidth;
  let d = 0;
  for (let c = 0; c < channels; c++) {
    const base = offset + c * plane;
    for (let kh = 0; kh < kernelHeight; kh++) {
      for (let kw = 0; kw < kernelWidth; kw++) {
        const wShift = kw * dilationWidth - padWidth;
        // Output columns whose input column iw = ow·s + wShift lies in [0, inWidth).
        const owStart = Math.min(outWidth, Math.max(0, Math.ceil(-wShift / strideWidth)));
        const owEnd = Math.max(owStart, Math.min(outWidth, Math.ceil((inWidth - wShift) / strideWidth)));
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padHeight;
          if (ih < 0 || ih >= inHeight) {
            cols.fill(0, d, d + outWidth);
            d += outWidth;
            continue;
          }
          const row = base + ih * inWidth + wShift;
          let ow = 0;
          for (; ow < owStart; ow++) cols[d++] = 0;
          if (strideWidth === 1) for (; ow < owEnd; ow++) cols[d++] = x[row + ow];
          else for (let s = row + ow * strideWidth; ow < owEnd; ow++, s += strideWidth) cols[d++] = x[s];
          for (; ow < outWidth; ow++) cols[d++] = 0;
        }
      }
    }
  }
}

/** Adds each entry of `cols` (laid out as {@link im2col} writes it) back onto the input position it was read from. */
function col2im(cols: Float64Array, channels: number, p: Conv2dParams, x: FloatArray, offset: number): void {
  const { inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth } = p;
  const plane = inHeight * inWidth;
  let d = 0;
  for (let c = 0; c < channels; c++) {
    const base = offset + c * plane;
    for (let kh = 0; kh < kernelHeight; kh++) {
      for (let kw = 0; kw < kernelWidth; kw++) {
        const wShift = kw * dilationWidth - padWidth;
        const owStart = Math.min(outWidth, Math.max(0, Math.ceil(-wShift / strideWidth)));
        const owEnd = Math.max(owStart, Math.min(outWidth, Math.ceil((inWidth - wShift) / strideWidth)));
        for (let oh = 0; oh < outHeight; oh++, d += outWidth) {
          const ih = oh * strideHeight + kh * dilationHeight - padHeight;
          if (ih < 0 || ih >= inHeight) continue;
          const row = base + ih * inWidth + wShift;
          for (let ow = owStart, s = row + owStart * strideWidth; ow < owEnd; ow++, s += strideWidth) x[s] += cols[d + ow];
        }
      }
    }
  }
}

/**
 * Kernels.conv2d: per image and group, `out (Og, OH·OW) = W_g (Og, Cg·kH·kW) · cols (Cg·kH·kW, OH·OW)`.
 */
export function conv2dKernel(x: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  const xData = (x.buffer as CpuBuffer).data as FloatArray;
  const wData = (weight.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const { batch, inChannels, inHeight, inWidth, outChannels, outHeight, outWidth, kernelHeight, kernelWidth, groups } = p;
  const groupIn = inChannels / groups; // Cg
  const groupOut = outChannels / groups; // Og
  const taps = groupIn * kernelHeight * kernelWidth; // K = Cg·kH·kW
  const outPlane = outHeight * outWidth;
  const inPlane = inHeight * inWidth;
  const pointwise = isPointwise(p);
  const cols = pointwise ? columns : columnScratch(taps * outPlane);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      const xOffset = x.offset + (n * inChannels + g * groupIn) * inPlane;
      const wOffset = weight.offset + g * groupOut * taps;
      const outOffset = (n * outChannels + g * groupOut) * outPlane;
      if (pointwise) {
        gemm(groupOut, outPlane, taps, wData, wOffset, taps, 1, xData, xOffset, outPlane, 1, outData, outOffset, false);
      } else {
        im2col(xData, xOffset, groupIn, p, cols);
        gemm(groupOut, outPlane, taps, wData, wOffset, taps, 1, cols, 0, outPlane, 1, outData, outOffset, false);
      }
    }
  }
}

/** Kernels.conv2dWithBias: conv2d, then `bias[o]` added to each output of channel o, rounded as a separate add rounds it. */
export function conv2dWithBiasKernel(x: View, weight: View, bias: View, out: BackendBuffer, p: Conv2dParams): void {
  conv2dKernel(x, weight, out, p);
  const biasData = (bias.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const plane = p.outHeight * p.outWidth;
  for (let n = 0; n < p.batch; n++) {
    for (let o = 0; o < p.outChannels; o++) {
      const value = biasData[bias.offset + o * bias.strides[0]];
      const start = (n * p.outChannels + o) * plane;
      for (let i = start; i < start + plane; i++) outData[i] += value;
    }
  }
}

/**
 * Kernels.conv2dInputGrad: per image and group, `cols = W_gᵀ · gradOut_g`,
 * then each column entry is added back onto the input it was read from.
 */
export function conv2dInputGradKernel(gradOut: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  const gData = (gradOut.buffer as CpuBuffer).data as FloatArray;
  const wData = (weight.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const { batch, inChannels, inHeight, inWidth, outChannels, outHeight, outWidth, kernelHeight, kernelWidth, groups } = p;
  const groupIn = inChannels / groups;
  const groupOut = outChannels / groups;
  const taps = groupIn * kernelHeight * kernelWidth;
  const outPlane = outHeight * outWidth;
  const inPlane = inHeight * inWidth;
  const pointwise = isPointwise(p);
  if (!pointwise) outData.fill(0, 0, batch * inChannels * inPlane);
  const cols = pointwise ? columns : columnScratch(taps * outPlane);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      const gOffset = gradOut.offset + (n * outChannels + g * groupOut) * outPlane;
      const wOffset = weight.offset + g * groupOut * taps;
      const xOffset = (n * inChannels + g * groupIn) * inPlane;
      // W_gᵀ (K, Og): element (t, o) of W_g (Og, K) is at o·K + t.
      if (pointwise) {
        gemm(taps, outPlane, groupOut, wData, wOffset, 1, taps, gData, gOffset, outPlane, 1, outData, xOffset, false);
      } else {
        gemm(taps, outPlane, groupOut, wData, wOffset, 1, taps, gData, gOffset, outPlane, 1, cols, 0, false);
        col2im(cols, groupIn, p, outData, xOffset);
      }
    }
  }
}

/**
 * Kernels.conv2dWeightGrad: per group, `dW_g (Og, K) = Σ_n gradOut_{n,g} (Og, OH·OW) · cols_{n,g}ᵀ (OH·OW, K)`.
 */
export function conv2dWeightGradKernel(x: View, gradOut: View, out: BackendBuffer, p: Conv2dParams): void {
  const xData = (x.buffer as CpuBuffer).data as FloatArray;
  const gData = (gradOut.buffer as CpuBuffer).data as FloatArray;
  const outData = (out as CpuBuffer).data as FloatArray;
  const { batch, inChannels, inHeight, inWidth, outChannels, outHeight, outWidth, kernelHeight, kernelWidth, groups } = p;
  const groupIn = inChannels / groups;
  const groupOut = outChannels / groups;
  const taps = groupIn * kernelHeight * kernelWidth;
  const outPlane = outHeight * outWidth;
  const inPlane = inHeight * inWidth;
  const pointwise = isPointwise(p);
  outData.fill(0, 0, outChannels * taps);
  const cols = pointwise ? columns : columnScratch(taps * outPlane);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      const xOffset = x.offset + (n * inChannels + g * groupIn) * inPlane;
      const gOffset = gradOut.offset + (n * outChannels + g * groupOut) * outPlane;
      const wOffset = g * groupOut * taps;
      // colsᵀ (OH·OW, K): element (q, t) of cols (K, OH·OW) is at t·OH·OW + q.
      if (pointwise) {
        gemm(groupOut, taps, outPlane, gData, gOffset, outPlane, 1, xData, xOffset, 1, outPlane, outData, wOffset, true);
      } else {
        im2col(xData, xOffset, groupIn, p, cols);
        gemm(groupOut, taps, outPlane, gData, gOffset, outPlane, 1, cols, 0, 1, outPlane, outData, wOffset, true);
      }
    }
  }
}
