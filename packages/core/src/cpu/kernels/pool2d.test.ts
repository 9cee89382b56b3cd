import { describe, expect, it } from 'vitest';
import { expectClose, random } from '../../../test/support/arrays.js';
import type { AdaptivePool2dParams, Pool2dParams, View } from '../../backend.js';
import {
  adaptiveAvgPool2dGradKernel, adaptiveAvgPool2dKernel, avgPool2dGradKernel, avgPool2dKernel, maxPool2dGradKernel, maxPool2dKernel,
} from './pool2d.js';



type Data = Float32Array | Float64Array | Int32Array;

function randomArray(length: number, seed: number): Float32Array {
  const next = random(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = next();
  return out;
}

function dtypeOf(data: Data) {
  return data instanceof Int32Array ? 'int32' as const : data instanceof Float64Array ? 'float64' as const : 'float32' as const;
}

// A contiguous 1-D view of `length` elements starting at `offset` in `data`.
function flat(data: Data, offset: number, length: number): View {
  return { buffer: { dtype: dtypeOf(data), length: data.length, data } as View['buffer'], shape: [length], strides: [1], offset };
}

function outBuffer<T extends Data>(data: T) {
  return { dtype: dtypeOf(data), length: data.length, data };
}

interface Window {
  planes: number; inHeight: number; inWidth: number; kernel: [number, number];
  stride?: [number, number]; pad?: [number, number]; dilation?: [number, number];
  ceilMode?: boolean; countIncludePad?: boolean;
}

// Output sizes as PyTorch computes them, including ceil mode's rule that the last window starts inside the input or left padding.
function params(w: Window): Pool2dParams {
  const [kernelHeight, kernelWidth] = w.kernel;
  const [strideHeight, strideWidth] = w.stride ?? w.kernel;
  const [padHeight, padWidth] = w.pad ?? [0, 0];
  const [dilationHeight, dilationWidth] = w.dilation ?? [1, 1];
  const size = (n: number, k: number, s: number, p: number, d: number) => {
    const span = n + 2 * p - d * (k - 1) - 1;
    let out = (w.ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (w.ceilMode && (out - 1) * s >= n + p) out--;
    return out;
  };
  return {
    planes: w.planes, inHeight: w.inHeight, inWidth: w.inWidth,
    outHeight: size(w.inHeight, kernelHeight, strideHeight, padHeight, dilationHeight),
    outWidth: size(w.inWidth, kernelWidth, strideWidth, padWidth, dilationWidth),
    kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth,
    countIncludePad: w.countIncludePad ?? true,
  };
}

/** Each window's taps as (in-image flag, position inside the padded-and-clipped input flag, flat in-plane index). */
function windowTaps(p: Pool2dParams, oh: number, ow: number) {
  const taps: { inside: boolean; inPadded: boolean; index: number }[] = [];
  for (let kh = 0; kh < p.kernelHeight; kh++) {
    for (let kw = 0; kw < p.kernelWidth; kw++) {
      const h = oh * p.strideHeight - p.padHeight + kh * p.dilationHeight;
      const w = ow * p.strideWidth - p.padWidth + kw * p.dilationWidth;
      const inside = h >= 0 && h < p.inHeight && w >= 0 && w < p.inWidth;
      // PyTorch's count_include_pad divisor clips the window to the padded input, [-pad, size + pad).
      const inPadded = h < p.inHeight + p.padHeight && w < p.inWidth + p.padWidth;
      taps.push({ inside, inPadded, index: h * p.inWidth + w });
    }
  }
  return taps;
}

function referenceMaxPool(p: Pool2dParams, x: ArrayLike<number>) {
  const out = new Float64Array(p.planes * p.outHeight * p.outWidth);
  const indices = new Int32Array(out.length);
  let o = 0;
  for (let plane = 0; plane < p.planes; plane++) {
    for (let oh = 0; oh < p.outHeight; oh++) {
      for (let ow = 0; ow < p.outWidth; ow++, o++) {
        let best = -Infinity, at = -1;
        for (const tap of windowTaps(p, oh, ow)) {
          if (!tap.inside) continue;
          const v = x[plane * p.inHeight * p.inWidth + tap.index];
          if (at < 0 || v > best || Number.isNaN(v)) [best, at] = [v, tap.index];
        }
        out[o] = best;
        indices[o] = at;
      }
    }
  }
  return { out, indices };
}

function referenceAvgPool(p: Pool2dParams, x: ArrayLike<number>, gradOut?: ArrayLike<number>) {
  const out = new Float64Array(p.planes * p.outHeight * p.outWidth);
  const gradIn = new Float64Array(p.planes * p.inHeight * p.inWidth);
  let o = 0;
  for (let plane = 0; plane < p.planes; plane++) {
    for (let oh = 0; oh < p.outHeight; oh++) {
      for (let ow = 0; ow < p.outWidth; ow++, o++) {
        const taps = windowTaps(p, oh, ow);
        const inside = taps.filter((t) => t.inside);
        const divisor = p.countIncludePad ? taps.filter((t) => t.inPadded).length : inside.length;
        for (const t of inside) {
          out[o] += x[plane * p.inHeight * p.inWidth + t.index] / divisor;
          if (gradOut) gradIn[plane * p.inHeight * p.inWidth + t.index] += gradOut[o] / divisor;
        }
      }
    }
  }
  return { out, gradIn };
}

function runMax(p: Pool2dParams, x: Float32Array) {
  const length = p.planes * p.outHeight * p.outWidth;
  const out = outBuffer(new Float32Array(length).fill(9));
  const indices = outBuffer(new Int32Array(length).fill(-7));
  maxPool2dKernel(flat(x, 0, x.length), out, indices, p);
  return { out: out.data, indices: indices.data };
}

const windows: [string, Window][] = [
  ['2×2 stride 2', { planes: 3, inHeight: 6, inWidth: 8, kernel: [2, 2] }],
  ['3×3 stride 2 padding 1', { planes: 2, inHeight: 7, inWidth: 9, kernel: [3, 3], stride: [2, 2], pad: [1, 1] }],
  ['3×3 stride 1 padding 1', { planes: 2, inHeight: 5, inWidth: 6, kernel: [3, 3], stride: [1, 1], pad: [1, 1] }],
  ['ceil mode, last window hangs over the edge', { planes: 2, inHeight: 7, inWidth: 8, kernel: [3, 3], stride: [2, 2], ceilMode: true }],
  ['ceil mode with padding', { planes: 2, inHeight: 8, inWidth: 8, kernel: [4, 3], stride: [3, 2], pad: [2, 1], ceilMode: true }],
  ['rectangular 2×3, stride 1×2', { planes: 4, inHeight: 5, inWidth: 9, kernel: [2, 3], stride: [1, 2] }],
  ['dilation 2, padding 1', { planes: 2, inHeight: 9, inWidth: 8, kernel: [3, 3], stride: [1, 2], pad: [1, 1], dilation: [2, 2] }],
];

describe('maxPool2dKernel / maxPool2dGradKernel', () => {
  it('takes the max of each 2×2 block with flat in-plane indices (hand-derived)', () => {
    const x = new Float32Array(Array.from({ length: 16 }, (_, i) => i));
    const { out, indices } = runMax(params({ planes: 1, inHeight: 4, inWidth: 4, kernel: [2, 2] }), x);
    expect([...out]).toEqual([5, 7, 13, 15]);
    expect([...indices]).toEqual([5, 7, 13, 15]);
  });

  for (const [name, w] of windows) {
    it(`${name}: values, indices and gradient match the definition`, () => {
      const p = params(w);
      const x = randomArray(p.planes * p.inHeight * p.inWidth, p.outHeight * 7 + p.outWidth);
      const reference = referenceMaxPool(p, x);
      const { out, indices } = runMax(p, x);
      expectClose(out, reference.out, 1e-6, 1e-6);
      expect([...indices]).toEqual([...reference.indices]);

      const gradOut = randomArray(out.length + 2, 99);
      const gradIn = outBuffer(new Float32Array(x.length).fill(4));
      maxPool2dGradKernel(flat(gradOut, 2, out.length), flat(indices, 0, out.length), gradIn, p);
      const expected = new Float64Array(x.length);
      const plane = p.outHeight * p.outWidth;
      reference.indices.forEach((at, o) => (expected[Math.floor(o / plane) * p.inHeight * p.inWidth + at] += gradOut[2 + o]));
      expectClose(gradIn.data, expected);
    });
  }

  it('never picks padding even when every input is negative', () => {
    const p = params({ planes: 1, inHeight: 3, inWidth: 3, kernel: [3, 3], stride: [1, 1], pad: [1, 1] });
    const x = new Float32Array(9).fill(-5);
    x[4] = -1;
    const { out, indices } = runMax(p, x);
    expect([...out]).toEqual(new Array(9).fill(-1));
    expect([...indices]).toEqual(new Array(9).fill(4));
  });

  it('propagates NaN as PyTorch does (a NaN in the window wins), and -Infinity windows report their first element', () => {
    const p = params({ planes: 1, inHeight: 2, inWidth: 4, kernel: [2, 2] });
    const x = new Float32Array([1, NaN, -Infinity, -Infinity, 7, 2, -Infinity, -Infinity]);
    const { out, indices } = runMax(p, x);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(indices[0]).toBe(1);
    expect(out[1]).toBe(-Infinity);
    expect(indices[1]).toBe(2);
  });
});

describe('avgPool2dKernel / avgPool2dGradKernel', () => {
  for (const countIncludePad of [true, false]) {
    for (const [name, w] of windows) {
      if (w.dilation) continue; // PyTorch's avg_pool2d has no dilation
      it(`${name}, countIncludePad ${countIncludePad}: output and gradient match the definition`, () => {
        const p = params({ ...w, countIncludePad });
        const x = randomArray(p.planes * p.inHeight * p.inWidth, p.outHeight * 5 + p.outWidth);
        const gradOut = randomArray(p.planes * p.outHeight * p.outWidth + 1, 17);
        const reference = referenceAvgPool(p, x, gradOut.subarray(1));

        const out = outBuffer(new Float32Array(p.planes * p.outHeight * p.outWidth).fill(9));
        avgPool2dKernel(flat(x, 0, x.length), out, p);
        expectClose(out.data, reference.out);

        const gradIn = outBuffer(new Float32Array(x.length).fill(4));
        avgPool2dGradKernel(flat(gradOut, 1, out.data.length), gradIn, p);
        expectClose(gradIn.data, reference.gradIn);
      });
    }
  }

  it('divides corner windows by 9 or by the in-image count (hand-derived)', () => {
    const x = new Float32Array(9).fill(1);
    const base = { planes: 1, inHeight: 3, inWidth: 3, kernel: [3, 3] as [number, number], stride: [2, 2] as [number, number], pad: [1, 1] as [number, number] };
    const included = outBuffer(new Float32Array(4));
    avgPool2dKernel(flat(x, 0, 9), included, params({ ...base, countIncludePad: true }));
    expectClose(included.data, [4 / 9, 4 / 9, 4 / 9, 4 / 9]);
    const excluded = outBuffer(new Float32Array(4));
    avgPool2dKernel(flat(x, 0, 9), excluded, params({ ...base, countIncludePad: false }));
    expectClose(excluded.data, [1, 1, 1, 1]);
  });

  it('with ceil mode, countIncludePad counts the window only up to the padded edge', () => {
    // 5 wide, kernel 3, stride 2, padding 1, ceil mode: windows start at -1, 1, 3; the last covers
    // columns 3, 4, 5 where 5 is right padding, so it divides by 3 per row (PyTorch clips to size + pad).
    const p = params({ planes: 1, inHeight: 1, inWidth: 5, kernel: [1, 3], stride: [1, 2], pad: [0, 1], ceilMode: true });
    expect(p.outWidth).toBe(3);
    const x = new Float32Array([1, 2, 3, 4, 5]);
    const out = outBuffer(new Float32Array(3));
    avgPool2dKernel(flat(x, 0, 5), out, p);
    expectClose(out.data, [(0 + 1 + 2) / 3, (2 + 3 + 4) / 3, (4 + 5) / 3]);
  });

  it('hangs a ceil-mode window past the padded edge and divides by the clipped window', () => {
    // 4 wide, kernel 3, stride 2, no padding, ceil mode: windows at 0 and 2; the second covers 2, 3 and
    // a column past the input, which count_include_pad does not count (nothing to include there).
    const p = params({ planes: 1, inHeight: 1, inWidth: 4, kernel: [1, 3], stride: [1, 2], ceilMode: true });
    expect(p.outWidth).toBe(2);
    const x = new Float32Array([1, 2, 3, 4]);
    for (const countIncludePad of [true, false]) {
      const out = outBuffer(new Float32Array(2));
      avgPool2dKernel(flat(x, 0, 4), out, { ...p, countIncludePad });
      expectClose(out.data, [2, 3.5]);
    }
  });
});

describe('adaptiveAvgPool2dKernel / adaptiveAvgPool2dGradKernel', () => {
  function referenceAdaptive(p: AdaptivePool2dParams, x: ArrayLike<number>, gradOut: ArrayLike<number>) {
    const out = new Float64Array(p.planes * p.outHeight * p.outWidth);
    const gradIn = new Float64Array(x.length);
    let o = 0;
    for (let plane = 0; plane < p.planes; plane++) {
      for (let i = 0; i < p.outHeight; i++) {
        for (let j = 0; j < p.outWidth; j++, o++) {
          const [h0, h1] = [Math.floor((i * p.inHeight) / p.outHeight), Math.ceil(((i + 1) * p.inHeight) / p.outHeight)];
          const [w0, w1] = [Math.floor((j * p.inWidth) / p.outWidth), Math.ceil(((j + 1) * p.inWidth) / p.outWidth)];
          const count = (h1 - h0) * (w1 - w0);
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const at = (plane * p.inHeight + h) * p.inWidth + w;
              out[o] += x[at] / count;
              gradIn[at] += gradOut[o] / count;
            }
          }
        }
      }
    }
    return { out, gradIn };
  }

  const cases: [number, number, number, number][] = [[8, 8, 1, 1], [7, 9, 3, 4], [5, 5, 5, 5], [10, 6, 4, 6], [3, 4, 5, 7], [13, 11, 6, 2]];
  for (const [inHeight, inWidth, outHeight, outWidth] of cases) {
    it(`${inHeight}×${inWidth} → ${outHeight}×${outWidth}: output and gradient match the definition`, () => {
      const p: AdaptivePool2dParams = { planes: 3, inHeight, inWidth, outHeight, outWidth };
      const x = randomArray(p.planes * inHeight * inWidth, inHeight * 13 + outWidth);
      const gradOut = randomArray(p.planes * outHeight * outWidth + 3, 5);
      const reference = referenceAdaptive(p, x, gradOut.subarray(3));

      const out = outBuffer(new Float32Array(p.planes * outHeight * outWidth).fill(9));
      adaptiveAvgPool2dKernel(flat(x, 0, x.length), out, p);
      expectClose(out.data, reference.out);

      const gradIn = outBuffer(new Float32Array(x.length).fill(4));
      adaptiveAvgPool2dGradKernel(flat(gradOut, 3, out.data.length), gradIn, p);
      expectClose(gradIn.data, reference.gradIn);
    });
  }
});
