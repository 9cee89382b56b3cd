import { describe, expect, it } from 'vitest';
import { expectClose, random } from '../../../test/support/arrays.js';
import type { Conv2dParams, View } from '../../backend.js';
import { conv2dInputGradKernel, conv2dKernel, conv2dWeightGradKernel } from './conv2d.js';



type Float = Float32Array | Float64Array;

function randomArray(length: number, seed: number, float64: boolean): Float {
  const next = random(seed);
  const out = float64 ? new Float64Array(length) : new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = next();
  return out;
}

// A contiguous view over `data` starting `offset` elements in (the elements before are junk).
function contiguous(data: Float, offset: number, shape: number[]): View {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((p, s) => p * s, 1));
  return { buffer: { dtype: data instanceof Float64Array ? 'float64' : 'float32', length: data.length, data } as View['buffer'], shape, strides, offset };
}

function outBuffer(length: number, float64: boolean) {
  // Pre-filled with junk: kernels must overwrite every element.
  const data = float64 ? new Float64Array(length).fill(3) : new Float32Array(length).fill(3);
  return { dtype: float64 ? 'float64' as const : 'float32' as const, length, data };
}

interface Geometry {
  batch: number; inChannels: number; inHeight: number; inWidth: number; outChannels: number;
  kernel: [number, number]; stride?: [number, number]; pad?: [number, number]; dilation?: [number, number]; groups?: number;
}

function params(g: Geometry): Conv2dParams {
  const [kernelHeight, kernelWidth] = g.kernel;
  const [strideHeight, strideWidth] = g.stride ?? [1, 1];
  const [padHeight, padWidth] = g.pad ?? [0, 0];
  const [dilationHeight, dilationWidth] = g.dilation ?? [1, 1];
  return {
    batch: g.batch, inChannels: g.inChannels, inHeight: g.inHeight, inWidth: g.inWidth, outChannels: g.outChannels,
    outHeight: Math.floor((g.inHeight + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight) + 1,
    outWidth: Math.floor((g.inWidth + 2 * padWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth) + 1,
    kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth, groups: g.groups ?? 1,
  };
}

/**
 * Walks the definition of convolution: calls `visit(xIndex, wIndex, outIndex)`
 * once for every (output element, kernel tap) pair whose input lies inside
 * the image. The forward pass and both gradients are sums over these triples.
 */
function forEachTap(p: Conv2dParams, visit: (x: number, w: number, out: number) => void): void {
  const cg = p.inChannels / p.groups, og = p.outChannels / p.groups;
  for (let n = 0; n < p.batch; n++) {
    for (let o = 0; o < p.outChannels; o++) {
      const g = Math.floor(o / og);
      for (let oh = 0; oh < p.outHeight; oh++) {
        for (let ow = 0; ow < p.outWidth; ow++) {
          const out = ((n * p.outChannels + o) * p.outHeight + oh) * p.outWidth + ow;
          for (let c = 0; c < cg; c++) {
            for (let kh = 0; kh < p.kernelHeight; kh++) {
              for (let kw = 0; kw < p.kernelWidth; kw++) {
                const ih = oh * p.strideHeight - p.padHeight + kh * p.dilationHeight;
                const iw = ow * p.strideWidth - p.padWidth + kw * p.dilationWidth;
                if (ih < 0 || ih >= p.inHeight || iw < 0 || iw >= p.inWidth) continue;
                const x = ((n * p.inChannels + g * cg + c) * p.inHeight + ih) * p.inWidth + iw;
                const w = ((o * cg + c) * p.kernelHeight + kh) * p.kernelWidth + kw;
                visit(x, w, out);
              }
            }
          }
        }
      }
    }
  }
}

function sizes(p: Conv2dParams) {
  return {
    x: p.batch * p.inChannels * p.inHeight * p.inWidth,
    w: p.outChannels * (p.inChannels / p.groups) * p.kernelHeight * p.kernelWidth,
    out: p.batch * p.outChannels * p.outHeight * p.outWidth,
  };
}

function check(name: string, g: Geometry, float64 = false): void {
  const p = params(g);
  const size = sizes(p);
  const tol = float64 ? 1e-12 : 1e-5;
  // Operands start a few elements into their storage to exercise view offsets.
  const xData = randomArray(size.x + 2, 1 + size.x, float64);
  const wData = randomArray(size.w + 3, 2 + size.w, float64);
  const gData = randomArray(size.out + 1, 3 + size.out, float64);
  const x = contiguous(xData, 2, [p.batch, p.inChannels, p.inHeight, p.inWidth]);
  const w = contiguous(wData, 3, [p.outChannels, p.inChannels / p.groups, p.kernelHeight, p.kernelWidth]);
  const gradOut = contiguous(gData, 1, [p.batch, p.outChannels, p.outHeight, p.outWidth]);

  describe(name, () => {
    it('forward matches the direct definition', () => {
      const expected = new Float64Array(size.out);
      forEachTap(p, (xi, wi, oi) => (expected[oi] += xData[2 + xi] * wData[3 + wi]));
      const out = outBuffer(size.out, float64);
      conv2dKernel(x, w, out, p);
      expectClose(out.data, expected, tol, tol);
    });

    it('input gradient is Σ gradOut·w over the taps that read each input', () => {
      const expected = new Float64Array(size.x);
      forEachTap(p, (xi, wi, oi) => (expected[xi] += gData[1 + oi] * wData[3 + wi]));
      const out = outBuffer(size.x, float64);
      conv2dInputGradKernel(gradOut, w, out, p);
      expectClose(out.data, expected, tol, tol);
    });

    it('weight gradient is Σ gradOut·x over the taps that use each weight', () => {
      const expected = new Float64Array(size.w);
      forEachTap(p, (xi, wi, oi) => (expected[wi] += gData[1 + oi] * xData[2 + xi]));
      const out = outBuffer(size.w, float64);
      conv2dWeightGradKernel(x, gradOut, out, p);
      expectClose(out.data, expected, tol, tol);
    });
  });
}

describe('conv2d kernels', () => {
  check('3×3, padding 1', { batch: 2, inChannels: 3, inHeight: 9, inWidth: 8, outChannels: 5, kernel: [3, 3], pad: [1, 1] });
  check('3×3, no padding, float64', { batch: 2, inChannels: 3, inHeight: 7, inWidth: 6, outChannels: 4, kernel: [3, 3] }, true);
  check('3×3, stride 2, padding 1', { batch: 2, inChannels: 4, inHeight: 11, inWidth: 10, outChannels: 6, kernel: [3, 3], stride: [2, 2], pad: [1, 1] });
  check('5×5, padding 2, stride 2×1', { batch: 1, inChannels: 2, inHeight: 9, inWidth: 12, outChannels: 7, kernel: [5, 5], stride: [2, 1], pad: [2, 2] });
  check('3×3, dilation 2, padding 2', { batch: 2, inChannels: 3, inHeight: 10, inWidth: 9, outChannels: 4, kernel: [3, 3], pad: [2, 2], dilation: [2, 2] });
  check('rectangular 3×5, stride 1×2, padding 1×2, dilation 2×1', {
    batch: 2, inChannels: 3, inHeight: 10, inWidth: 13, outChannels: 5, kernel: [3, 5], stride: [1, 2], pad: [1, 2], dilation: [2, 1],
  });
  check('groups 2', { batch: 2, inChannels: 6, inHeight: 8, inWidth: 7, outChannels: 8, kernel: [3, 3], pad: [1, 1], groups: 2 });
  check('depthwise (groups = inChannels), channel multiplier 2', {
    batch: 3, inChannels: 5, inHeight: 9, inWidth: 9, outChannels: 10, kernel: [3, 3], stride: [2, 2], pad: [1, 1], groups: 5,
  });
  check('1×1 (the input is the column matrix)', { batch: 3, inChannels: 7, inHeight: 5, inWidth: 6, outChannels: 9, kernel: [1, 1] });
  check('1×1, groups 3', { batch: 2, inChannels: 6, inHeight: 4, inWidth: 5, outChannels: 9, kernel: [1, 1], groups: 3 });
  check('1×1, stride 2 (goes through im2col)', { batch: 2, inChannels: 4, inHeight: 7, inWidth: 6, outChannels: 3, kernel: [1, 1], stride: [2, 2] });
  check('kernel as large as the padded input', { batch: 1, inChannels: 2, inHeight: 3, inWidth: 4, outChannels: 3, kernel: [5, 6], pad: [1, 1] });
  check('large enough for several gemm blocks', { batch: 2, inChannels: 32, inHeight: 12, inWidth: 12, outChannels: 130, kernel: [3, 3], pad: [1, 1] });
  check('batch 0', { batch: 0, inChannels: 3, inHeight: 5, inWidth: 5, outChannels: 4, kernel: [3, 3], pad: [1, 1] });
});
