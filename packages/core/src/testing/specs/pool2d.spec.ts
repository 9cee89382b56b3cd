import type { DType } from '../../dtype.js';
import {
  adaptiveAvgPool2d, adaptiveAvgPool2dGrad, avgPool2d, avgPool2dGrad, maxPool2d, maxPool2dGrad, maxPool2dWithIndices,
  type Pair, type Pool2dOptions, type Tensor,
} from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { randomRef, ref } from '../reference.js';

// ── Independent float64 references ─────────────────────────────────────────

interface Window {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
}

const asPair = (value: Pair): [number, number] => (typeof value === 'number' ? [value, value] : [value[0], value[1]]);

function windowOf(kernelSize: Pair, options: Pool2dOptions): Window {
  const kernel = asPair(kernelSize);
  return {
    kernel,
    stride: asPair(options.stride ?? kernel),
    padding: asPair(options.padding ?? 0),
    dilation: asPair(options.dilation ?? 1),
    ceilMode: options.ceilMode ?? false,
    countIncludePad: options.countIncludePad ?? true,
  };
}

/** PyTorch's `pooling_output_shape`: with ceil mode, the last window must start inside the input or its left padding. */
function pooledSize(size: number, w: Window, axis: 0 | 1): number {
  const span = size + 2 * w.padding[axis] - w.dilation[axis] * (w.kernel[axis] - 1) - 1;
  let out = (w.ceilMode ? Math.ceil(span / w.stride[axis]) : Math.floor(span / w.stride[axis])) + 1;
  if (w.ceilMode && (out - 1) * w.stride[axis] >= size + w.padding[axis]) out--;
  return out;
}

/** The geometry of an (…, H, W) tensor: planes pooled independently, then the plane size. */
function planesOf(shape: readonly number[]): { planes: number; height: number; width: number } {
  const height = shape[shape.length - 2];
  const width = shape[shape.length - 1];
  return { planes: shape.slice(0, -2).reduce((p, d) => p * d, 1), height, width };
}

/**
 * Max pooling as PyTorch's CPU kernel defines it: padding never wins (it is
 * skipped, not zero), a value replaces the max if it is larger or NaN, and the
 * index starts at the window's first element inside the input. Returns the
 * output and the flat in-plane indices `h·W + w`.
 */
function maxPoolReference(x: ReferenceTensor, w: Window): [ReferenceTensor, ReferenceTensor] {
  const { planes, height, width } = planesOf(x.shape);
  const outHeight = pooledSize(height, w, 0);
  const outWidth = pooledSize(width, w, 1);
  const shape = [...x.shape.slice(0, -2), outHeight, outWidth];
  const values = new Float64Array(planes * outHeight * outWidth);
  const indices = new Float64Array(values.length);
  for (let plane = 0; plane < planes; plane++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        let best = -Infinity;
        let bestIndex = -1;
        for (let kh = 0; kh < w.kernel[0]; kh++) {
          const h = oh * w.stride[0] - w.padding[0] + kh * w.dilation[0];
          if (h < 0 || h >= height) continue;
          for (let kw = 0; kw < w.kernel[1]; kw++) {
            const col = ow * w.stride[1] - w.padding[1] + kw * w.dilation[1];
            if (col < 0 || col >= width) continue;
            const index = h * width + col;
            const v = x.data[plane * height * width + index];
            if (bestIndex < 0) bestIndex = index;
            if (v > best || Number.isNaN(v)) {
              best = v;
              bestIndex = index;
            }
          }
        }
        const out = (plane * outHeight + oh) * outWidth + ow;
        values[out] = best;
        indices[out] = bestIndex;
      }
    }
  }
  return [{ shape, data: values, dtype: x.dtype }, { shape, data: indices, dtype: 'int32' }];
}

/** Routes each gradOut element to the input element its index names, adding where windows overlap. */
function maxPoolGradReference(gradOut: ReferenceTensor, indices: ReferenceTensor, inputShape: readonly number[]): ReferenceTensor {
  const { planes, height, width } = planesOf(inputShape);
  const perPlane = gradOut.data.length / Math.max(planes, 1);
  const data = new Float64Array(planes * height * width);
  for (let i = 0; i < gradOut.data.length; i++) {
    const plane = Math.floor(i / perPlane);
    data[plane * height * width + indices.data[i]] += gradOut.data[i];
  }
  return { shape: [...inputShape], data, dtype: gradOut.dtype };
}

/**
 * Visits each average-pooling window as PyTorch's kernel defines it: the
 * window is first cut at the padded edge (its size there is the divisor when
 * padding counts), then at the input (whose count is the divisor when it
 * does not).
 */
function forEachAverageWindow(
  inputShape: readonly number[],
  w: Window,
  visit: (plane: number, out: number, rows: [number, number], cols: [number, number], divisor: number) => void,
): number[] {
  const { planes, height, width } = planesOf(inputShape);
  const outHeight = pooledSize(height, w, 0);
  const outWidth = pooledSize(width, w, 1);
  for (let plane = 0; plane < planes; plane++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        let h0 = oh * w.stride[0] - w.padding[0];
        let w0 = ow * w.stride[1] - w.padding[1];
        let h1 = Math.min(h0 + w.kernel[0], height + w.padding[0]);
        let w1 = Math.min(w0 + w.kernel[1], width + w.padding[1]);
        const padded = (h1 - h0) * (w1 - w0);
        h0 = Math.max(h0, 0);
        w0 = Math.max(w0, 0);
        h1 = Math.min(h1, height);
        w1 = Math.min(w1, width);
        const divisor = w.countIncludePad ? padded : (h1 - h0) * (w1 - w0);
        visit(plane, (plane * outHeight + oh) * outWidth + ow, [h0, h1], [w0, w1], divisor);
      }
    }
  }
  return [...inputShape.slice(0, -2), outHeight, outWidth];
}

function avgPoolReference(x: ReferenceTensor, w: Window): ReferenceTensor {
  const { height, width } = planesOf(x.shape);
  const sums: number[] = [];
  const shape = forEachAverageWindow(x.shape, w, (plane, out, [h0, h1], [w0, w1], divisor) => {
    let total = 0;
    for (let h = h0; h < h1; h++) for (let c = w0; c < w1; c++) total += x.data[(plane * height + h) * width + c];
    sums[out] = h0 >= h1 || w0 >= w1 ? 0 : total / divisor;
  });
  return { shape, data: Float64Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => sums[i]), dtype: x.dtype };
}

function avgPoolGradReference(gradOut: ReferenceTensor, inputShape: readonly number[], w: Window): ReferenceTensor {
  const { height, width } = planesOf(inputShape);
  const data = new Float64Array(inputShape.reduce((p, d) => p * d, 1));
  forEachAverageWindow(inputShape, w, (plane, out, [h0, h1], [w0, w1], divisor) => {
    for (let h = h0; h < h1; h++) for (let c = w0; c < w1; c++) data[(plane * height + h) * width + c] += gradOut.data[out] / divisor;
  });
  return { shape: [...inputShape], data, dtype: gradOut.dtype };
}

/** `torch.nn.AdaptiveAvgPool2d`: cell i covers rows ⌊i·H/OH⌋ to ⌈(i+1)·H/OH⌉ (exclusive), likewise columns. */
function forEachAdaptiveCell(
  inputShape: readonly number[],
  outSize: readonly [number, number],
  visit: (plane: number, out: number, rows: [number, number], cols: [number, number]) => void,
): number[] {
  const { planes, height, width } = planesOf(inputShape);
  const [outHeight, outWidth] = outSize;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < outHeight; i++) {
      for (let j = 0; j < outWidth; j++) {
        const rows: [number, number] = [Math.floor((i * height) / outHeight), Math.ceil(((i + 1) * height) / outHeight)];
        const cols: [number, number] = [Math.floor((j * width) / outWidth), Math.ceil(((j + 1) * width) / outWidth)];
        visit(plane, (plane * outHeight + i) * outWidth + j, rows, cols);
      }
    }
  }
  return [...inputShape.slice(0, -2), outHeight, outWidth];
}

function adaptiveReference(x: ReferenceTensor, outSize: readonly [number, number]): ReferenceTensor {
  const { height, width } = planesOf(x.shape);
  const means: number[] = [];
  const shape = forEachAdaptiveCell(x.shape, outSize, (plane, out, [h0, h1], [w0, w1]) => {
    let total = 0;
    for (let h = h0; h < h1; h++) for (let c = w0; c < w1; c++) total += x.data[(plane * height + h) * width + c];
    means[out] = total / ((h1 - h0) * (w1 - w0));
  });
  return { shape, data: Float64Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => means[i]), dtype: x.dtype };
}

function adaptiveGradReference(gradOut: ReferenceTensor, inputShape: readonly number[]): ReferenceTensor {
  const { height, width } = planesOf(inputShape);
  const outSize: [number, number] = [gradOut.shape[gradOut.shape.length - 2], gradOut.shape[gradOut.shape.length - 1]];
  const data = new Float64Array(inputShape.reduce((p, d) => p * d, 1));
  forEachAdaptiveCell(inputShape, outSize, (plane, out, [h0, h1], [w0, w1]) => {
    const share = gradOut.data[out] / ((h1 - h0) * (w1 - w0));
    for (let h = h0; h < h1; h++) for (let c = w0; c < w1; c++) data[(plane * height + h) * width + c] += share;
  });
  return { shape: [...inputShape], data, dtype: gradOut.dtype };
}

// ── Cases ──────────────────────────────────────────────────────────────────

interface PoolCase {
  readonly name: string;
  readonly input: number[];
  readonly kernel: Pair;
  readonly options?: Pool2dOptions;
  readonly layout?: Layout;
  readonly dtype?: DType;
  /** Fixed input values instead of random ones. */
  readonly values?: readonly number[];
}

const NAN = NaN;
const INF = Infinity;

const MAX_CASES: readonly PoolCase[] = [
  { name: 'kernel 2 on [1,1,4,4]', input: [1, 1, 4, 4], kernel: 2 },
  { name: 'kernel 3, stride 2, padding 1', input: [2, 3, 7, 7], kernel: 3, options: { stride: 2, padding: 1 } },
  { name: 'overlapping windows: kernel 3, stride 1', input: [1, 2, 6, 6], kernel: 3, options: { stride: 1 } },
  { name: 'stride ≠ kernel: kernel 2, stride 3', input: [1, 1, 8, 8], kernel: 2, options: { stride: 3 } },
  { name: 'dilation 2', input: [1, 2, 9, 9], kernel: 3, options: { dilation: 2 } },
  { name: 'dilation [2,1], padding 1', input: [1, 1, 8, 7], kernel: 3, options: { dilation: [2, 1], padding: 1, stride: 2 } },
  { name: 'ceilMode', input: [1, 1, 5, 5], kernel: 2, options: { ceilMode: true } },
  { name: 'ceilMode with padding', input: [1, 2, 6, 6], kernel: 3, options: { stride: 2, padding: 1, ceilMode: true } },
  { name: 'ceilMode where the last window would start in the padding', input: [1, 1, 5, 5], kernel: 2, options: { stride: 2, padding: 1, ceilMode: true } },
  { name: 'rectangular kernel [2,3], stride [1,2]', input: [1, 1, 5, 7], kernel: [2, 3], options: { stride: [1, 2] } },
  { name: '3-D input', input: [3, 6, 6], kernel: 2 },
  { name: 'negative inputs with padding (padding never wins)', input: [1, 1, 4, 4], kernel: 3, options: { stride: 1, padding: 1 }, values: Array.from({ length: 16 }, (_, i) => -1 - i) },
  { name: 'transposed input', input: [1, 2, 6, 5], kernel: 2, layout: 'transposed' },
  { name: 'strided input', input: [2, 1, 6, 6], kernel: 3, options: { stride: 2, padding: 1 }, layout: 'strided' },
  { name: 'offset input', input: [2, 2, 4, 4], kernel: 2, layout: 'offset' },
  { name: 'float64', input: [1, 2, 5, 5], kernel: 3, options: { stride: 2, padding: 1 }, dtype: 'float64' },
  { name: 'batch 0', input: [0, 2, 4, 4], kernel: 2 },
  { name: 'all −∞ window', input: [1, 1, 2, 4], kernel: 2, values: [-INF, -INF, 1, 2, -INF, -INF, 3, 4] },
  { name: 'ties give the first index', input: [1, 1, 4, 4], kernel: 2, options: { stride: 1 }, values: [1, 1, 0, 2, 1, 1, 2, 2, 0, 0, 0, 0, 3, 3, 3, 3] },
  // Rows of five 2×2 windows, wider than four (where a backend may compare
  // four windows at once) and with a column and a row left over.
  { name: 'kernel 2 on 11×11 planes', input: [2, 3, 11, 11], kernel: 2 },
  { name: 'ties, −∞ and the last tap winning across a row of four windows', input: [1, 1, 2, 8], kernel: 2, values: [1, 1, 2, 3, -INF, -INF, 0, 1, 1, 1, 4, 5, -INF, -INF, 2, 9] },
];

// One NaN per window, so which of several NaNs PyTorch reports does not matter.
const NAN_CASES: readonly PoolCase[] = [
  { name: 'NaN in a window wins', input: [1, 1, 4, 4], kernel: 2, values: [1, 2, 3, 4, 5, NAN, 7, 8, 9, 10, 11, 12, 13, 14, 15, INF] },
  { name: 'NaN wins in one of four windows in a row', input: [1, 1, 2, 8], kernel: 2, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NAN, 12, 13, 14, 15, 16] },
];

const NAN_OVERLAPPING: PoolCase = {
  name: 'NaN wins in every overlapping window', input: [1, 1, 4, 4], kernel: 3, options: { stride: 1, padding: 1 },
  values: [1, 2, 3, 4, 5, NAN, 7, 8, 9, 10, 11, 12, 13, 14, NAN, 16],
};

const AVG_CASES: readonly PoolCase[] = [
  { name: 'kernel 2 on [1,1,4,4]', input: [1, 1, 4, 4], kernel: 2 },
  { name: 'kernel 3, stride 2, padding 1, countIncludePad', input: [2, 3, 7, 7], kernel: 3, options: { stride: 2, padding: 1 } },
  { name: 'kernel 3, stride 2, padding 1, countIncludePad false', input: [2, 3, 7, 7], kernel: 3, options: { stride: 2, padding: 1, countIncludePad: false } },
  { name: 'kernel 3, stride 1, padding 1, countIncludePad false', input: [1, 2, 5, 5], kernel: 3, options: { stride: 1, padding: 1, countIncludePad: false } },
  { name: 'overlapping windows', input: [1, 2, 6, 6], kernel: 3, options: { stride: 1 } },
  { name: 'stride ≠ kernel', input: [1, 1, 8, 8], kernel: 2, options: { stride: 3 } },
  { name: 'ceilMode', input: [1, 1, 5, 5], kernel: 2, options: { ceilMode: true } },
  { name: 'ceilMode with padding, countIncludePad', input: [1, 2, 6, 6], kernel: 3, options: { stride: 2, padding: 1, ceilMode: true } },
  { name: 'ceilMode with padding, countIncludePad false', input: [1, 2, 6, 6], kernel: 3, options: { stride: 2, padding: 1, ceilMode: true, countIncludePad: false } },
  { name: 'ceilMode, stride 2, padding 1 on 5×5', input: [1, 1, 5, 5], kernel: 2, options: { stride: 2, padding: 1, ceilMode: true } },
  { name: 'rectangular kernel [2,3], stride [2,1], padding [1,1]', input: [1, 1, 5, 7], kernel: [2, 3], options: { stride: [2, 1], padding: [1, 1] } },
  { name: '3-D input', input: [3, 6, 6], kernel: 2 },
  { name: 'transposed input', input: [1, 2, 6, 5], kernel: 2, layout: 'transposed' },
  { name: 'strided input', input: [2, 1, 6, 6], kernel: 3, options: { stride: 2, padding: 1 }, layout: 'strided' },
  { name: 'offset input', input: [2, 2, 4, 4], kernel: 2, layout: 'offset' },
  { name: 'float64', input: [1, 2, 5, 5], kernel: 3, options: { stride: 2, padding: 1 }, dtype: 'float64' },
  { name: 'batch 0', input: [0, 2, 4, 4], kernel: 2 },
];

interface AdaptiveCase {
  readonly name: string;
  readonly input: number[];
  readonly output: Pair;
  readonly layout?: Layout;
  readonly dtype?: DType;
}

const ADAPTIVE_CASES: readonly AdaptiveCase[] = [
  { name: '7×7 → 3×3', input: [2, 3, 7, 7], output: 3 },
  { name: '5×5 → 1 (global average)', input: [2, 3, 5, 5], output: 1 },
  { name: '4×6 → 2×4', input: [1, 2, 4, 6], output: [2, 4] },
  { name: '10×7 → 3×4 (non-divisible)', input: [1, 2, 10, 7], output: [3, 4] },
  { name: '4×4 → 4×4 (identity)', input: [1, 1, 4, 4], output: 4 },
  { name: '3×3 → 5×5 (larger than the input)', input: [1, 1, 3, 3], output: 5 },
  { name: '3-D input, 6×6 → 4×4', input: [3, 6, 6], output: 4 },
  { name: 'transposed input', input: [1, 2, 5, 7], output: [2, 3], layout: 'transposed' },
  { name: 'strided input', input: [2, 1, 6, 6], output: 4, layout: 'strided' },
  { name: 'offset input', input: [2, 2, 5, 5], output: 2, layout: 'offset' },
  { name: 'float64', input: [1, 2, 7, 7], output: 3, dtype: 'float64' },
  { name: 'batch 0', input: [0, 2, 4, 4], output: 2 },
];

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

/** Whether `layout` changes the strides of `shape`; the gradient samples fall back to contiguous where it would not. */
function fits(layout: Layout, shape: readonly number[]): boolean {
  const n = shape.length;
  if (layout === 'transposed') return shape[n - 1] > 1 && shape[n - 2] > 1;
  if (layout === 'strided') return shape[n - 1] !== 1;
  if (layout === 'offset') return shape.every((d) => d > 0);
  return true;
}

function inputOf(random: () => number, c: PoolCase): ReferenceTensor {
  const dtype = c.dtype ?? 'float32';
  return c.values ? ref(c.input, c.values, dtype) : randomRef(random, c.input, dtype, -4, 4);
}

/** gradOut for a case: random values of the pooled shape, laid out like the case's input where that is possible. */
function gradOutFor(random: () => number, c: PoolCase | AdaptiveCase, shape: readonly number[]): SampleInput {
  const layout = c.layout && fits(c.layout, shape) ? c.layout : 'contiguous';
  return input(randomRef(random, shape, c.dtype ?? 'float32', -2, 2), layout);
}

function maxPoolSamples(random: () => number): OpSample[] {
  return [...MAX_CASES, ...NAN_CASES, NAN_OVERLAPPING].map((c) => ({
    name: c.name,
    inputs: [input(inputOf(random, c), c.layout)],
    run: ([x]: readonly Tensor[]) => maxPool2d(x, c.kernel, c.options),
    reference: ([x]: readonly ReferenceTensor[]) => maxPoolReference(x, windowOf(c.kernel, c.options ?? {}))[0],
  }));
}

function maxPoolWithIndicesSamples(random: () => number): OpSample[] {
  return [...MAX_CASES, ...NAN_CASES].map((c) => ({
    name: c.name,
    inputs: [input(inputOf(random, c), c.layout)],
    run: ([x]: readonly Tensor[]) => {
      const { output, indices } = maxPool2dWithIndices(x, c.kernel, c.options);
      return [output, indices];
    },
    reference: ([x]: readonly ReferenceTensor[]) => maxPoolReference(x, windowOf(c.kernel, c.options ?? {})),
  }));
}

function maxPoolGradSamples(random: () => number): OpSample[] {
  const cases = MAX_CASES.filter((c) => c.values === undefined);
  return cases.map((c) => {
    // Indices come from the reference on a random input: valid, and overlapping where the windows overlap.
    const [output, indices] = maxPoolReference(inputOf(random, c), windowOf(c.kernel, c.options ?? {}));
    return {
      name: c.name,
      inputs: [gradOutFor(random, c, output.shape), input(indices)],
      run: ([gradOut, index]: readonly Tensor[]) => maxPool2dGrad(gradOut, index, c.input, c.kernel, c.options),
      reference: ([gradOut, index]: readonly ReferenceTensor[]) => maxPoolGradReference(gradOut, index, c.input),
    };
  }).concat([(() => {
    // Every window of a constant-free ramp picks its bottom-right element; kernel 3 stride 1 shares them heavily.
    const c: PoolCase = { name: 'overlapping windows pick the same element', input: [1, 1, 4, 4], kernel: 3, options: { stride: 1, padding: 1 } };
    const x = ref(c.input, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const [output, indices] = maxPoolReference(x, windowOf(c.kernel, c.options ?? {}));
    return {
      name: c.name,
      inputs: [input(ref(output.shape, Array.from({ length: output.data.length }, (_, i) => i + 1))), input(indices)],
      run: ([gradOut, index]: readonly Tensor[]) => maxPool2dGrad(gradOut, index, c.input, c.kernel, c.options),
      reference: ([gradOut, index]: readonly ReferenceTensor[]) => maxPoolGradReference(gradOut, index, c.input),
    };
  })()]);
}

function avgPoolSamples(random: () => number): OpSample[] {
  return AVG_CASES.map((c) => ({
    name: c.name,
    inputs: [input(inputOf(random, c), c.layout)],
    run: ([x]: readonly Tensor[]) => avgPool2d(x, c.kernel, c.options),
    reference: ([x]: readonly ReferenceTensor[]) => avgPoolReference(x, windowOf(c.kernel, c.options ?? {})),
  }));
}

function avgPoolGradSamples(random: () => number): OpSample[] {
  return AVG_CASES.map((c) => {
    const w = windowOf(c.kernel, c.options ?? {});
    const { height, width } = planesOf(c.input);
    const shape = [...c.input.slice(0, -2), pooledSize(height, w, 0), pooledSize(width, w, 1)];
    return {
      name: c.name,
      inputs: [gradOutFor(random, c, shape)],
      run: ([gradOut]: readonly Tensor[]) => avgPool2dGrad(gradOut, c.input, c.kernel, c.options),
      reference: ([gradOut]: readonly ReferenceTensor[]) => avgPoolGradReference(gradOut, c.input, w),
    };
  });
}

function adaptiveSamples(random: () => number): OpSample[] {
  return ADAPTIVE_CASES.map((c) => ({
    name: c.name,
    inputs: [input(randomRef(random, c.input, c.dtype ?? 'float32', -4, 4), c.layout)],
    run: ([x]: readonly Tensor[]) => adaptiveAvgPool2d(x, c.output),
    reference: ([x]: readonly ReferenceTensor[]) => adaptiveReference(x, asPair(c.output)),
  }));
}

function adaptiveGradSamples(random: () => number): OpSample[] {
  return ADAPTIVE_CASES.map((c) => {
    const shape = [...c.input.slice(0, -2), ...asPair(c.output)];
    return {
      name: c.name,
      inputs: [gradOutFor(random, c, shape)],
      run: ([gradOut]: readonly Tensor[]) => adaptiveAvgPool2dGrad(gradOut, c.input),
      reference: ([gradOut]: readonly ReferenceTensor[]) => adaptiveGradReference(gradOut, c.input),
    };
  });
}

// ── Errors ─────────────────────────────────────────────────────────────────

function failing(name: string, inputs: SampleInput[], run: OpErrorCase['run'], kind: OpErrorCase['kind'], message: string): OpErrorCase {
  return { name, inputs, run, kind, message };
}

function poolErrors(op: 'maxPool2d' | 'avgPool2d'): (random: () => number) => OpErrorCase[] {
  const pool = op === 'maxPool2d' ? maxPool2d : avgPool2d;
  return (random) => {
    const r = (shape: number[], dtype: DType = 'float32'): SampleInput => input(randomRef(random, shape, dtype));
    return [
      failing('padding 2 with kernel 3', [r([1, 1, 6, 6])], ([x]) => pool(x, 3, { padding: 2 }), 'ValueError', 'half the kernel'),
      failing('padding [0,2] with kernel [3,3]', [r([1, 1, 6, 6])], ([x]) => pool(x, [3, 3], { padding: [0, 2] }), 'ValueError', 'half the kernel'),
      failing('2-D input', [r([6, 6])], ([x]) => pool(x, 2), 'ShapeError', '[6,6]'),
      failing('5-D input', [r([1, 1, 1, 6, 6])], ([x]) => pool(x, 2), 'ShapeError', '(N, C, H, W)'),
      failing('int32 input', [r([1, 1, 4, 4], 'int32')], ([x]) => pool(x, 2), 'DTypeError', 'int32'),
      failing('kernel larger than the input', [r([1, 1, 2, 2])], ([x]) => pool(x, 3), 'ShapeError', 'does not fit'),
      failing('kernel 0', [r([1, 1, 4, 4])], ([x]) => pool(x, 0), 'ValueError', 'kernelSize'),
      failing('stride 0', [r([1, 1, 4, 4])], ([x]) => pool(x, 2, { stride: 0 }), 'ValueError', 'stride'),
    ];
  };
}

function maxPoolWithIndicesErrors(random: () => number): OpErrorCase[] {
  return [
    failing('2-D input', [input(randomRef(random, [6, 6]))], ([x]) => maxPool2dWithIndices(x, 2), 'ShapeError', '[6,6]'),
    failing('padding 2 with kernel 3', [input(randomRef(random, [1, 1, 6, 6]))], ([x]) => maxPool2dWithIndices(x, 3, { padding: 2 }), 'ValueError', 'half the kernel'),
  ];
}

function maxPoolGradErrors(random: () => number): OpErrorCase[] {
  const indices = ref([1, 1, 2, 2], [0, 2, 8, 10], 'int32');
  return [
    failing('gradOut and indices of different shapes', [input(randomRef(random, [1, 1, 2, 3])), input(indices)],
      ([g, i]) => maxPool2dGrad(g, i, [1, 1, 4, 4], 2), 'ShapeError', 'indices'),
    failing('int32 gradOut', [input(randomRef(random, [1, 1, 2, 2], 'int32')), input(indices)],
      ([g, i]) => maxPool2dGrad(g, i, [1, 1, 4, 4], 2), 'DTypeError', 'int32'),
    failing('2-D input shape', [input(randomRef(random, [2, 2])), input(ref([2, 2], [0, 2, 8, 10], 'int32'))],
      ([g, i]) => maxPool2dGrad(g, i, [4, 4], 2), 'ShapeError', '[4,4]'),
  ];
}

function avgPoolGradErrors(random: () => number): OpErrorCase[] {
  return [
    failing('2-D input shape', [input(randomRef(random, [2, 2]))], ([g]) => avgPool2dGrad(g, [4, 4], 2), 'ShapeError', '[4,4]'),
    failing('int32 gradOut', [input(randomRef(random, [1, 1, 2, 2], 'int32'))], ([g]) => avgPool2dGrad(g, [1, 1, 4, 4], 2), 'DTypeError', 'int32'),
  ];
}

function adaptiveErrors(random: () => number): OpErrorCase[] {
  return [
    failing('2-D input', [input(randomRef(random, [6, 6]))], ([x]) => adaptiveAvgPool2d(x, 2), 'ShapeError', '[6,6]'),
    failing('output size 0', [input(randomRef(random, [1, 1, 6, 6]))], ([x]) => adaptiveAvgPool2d(x, 0), 'ValueError', 'outputSize'),
    failing('int32 input', [input(randomRef(random, [1, 1, 4, 4], 'int32'))], ([x]) => adaptiveAvgPool2d(x, 2), 'DTypeError', 'int32'),
  ];
}

function adaptiveGradErrors(random: () => number): OpErrorCase[] {
  return [
    failing('2-D input shape', [input(randomRef(random, [2, 2]))], ([g]) => adaptiveAvgPool2dGrad(g, [4, 4]), 'ShapeError', '[4,4]'),
    failing('int32 gradOut', [input(randomRef(random, [1, 1, 2, 2], 'int32'))], ([g]) => adaptiveAvgPool2dGrad(g, [1, 1, 4, 4]), 'DTypeError', 'int32'),
  ];
}

export const pool2dSpecs: OpSpec[] = [
  { name: 'maxPool2d', tier: 'T1', samples: maxPoolSamples, errors: poolErrors('maxPool2d') },
  { name: 'maxPool2dWithIndices', tier: 'T1', samples: maxPoolWithIndicesSamples, errors: maxPoolWithIndicesErrors },
  { name: 'maxPool2dGrad', tier: 'T3', samples: maxPoolGradSamples, errors: maxPoolGradErrors },
  { name: 'avgPool2d', tier: 'T3', samples: avgPoolSamples, errors: poolErrors('avgPool2d') },
  { name: 'avgPool2dGrad', tier: 'T3', samples: avgPoolGradSamples, errors: avgPoolGradErrors },
  { name: 'adaptiveAvgPool2d', tier: 'T3', samples: adaptiveSamples, errors: adaptiveErrors },
  { name: 'adaptiveAvgPool2dGrad', tier: 'T3', samples: adaptiveGradSamples, errors: adaptiveGradErrors },
];
