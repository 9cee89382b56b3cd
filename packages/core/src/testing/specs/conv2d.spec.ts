import type { DType } from '../../dtype.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, type Conv2dOptions, type Tensor } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { randomRef } from '../reference.js';

// ── Independent float64 references ─────────────────────────────────────────

/** Geometry options without the bias (which is a sample input here). */
type Geometry = Omit<Conv2dOptions, 'bias'>;

interface Resolved {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

const asPair = (value: number | readonly [number, number]): [number, number] => (typeof value === 'number' ? [value, value] : [value[0], value[1]]);

/** PyTorch's option rules: 'valid' is no padding; 'same' pads d·(k − 1)/2 on each side (odd effective kernels, stride 1). */
function resolve(geometry: Geometry, kernel: readonly [number, number]): Resolved {
  const dilation = asPair(geometry.dilation ?? 1);
  const padding = geometry.padding ?? 0;
  let pads: [number, number];
  if (padding === 'valid') pads = [0, 0];
  else if (padding === 'same') pads = [(dilation[0] * (kernel[0] - 1)) / 2, (dilation[1] * (kernel[1] - 1)) / 2];
  else pads = asPair(padding);
  return { stride: asPair(geometry.stride ?? 1), padding: pads, dilation, groups: geometry.groups ?? 1 };
}

/** Output size of one spatial dim: ⌊(in + 2p − d(k − 1) − 1) / s⌋ + 1. */
const outputSize = (size: number, kernel: number, r: Resolved, axis: 0 | 1): number =>
  Math.floor((size + 2 * r.padding[axis] - r.dilation[axis] * (kernel - 1) - 1) / r.stride[axis]) + 1;

/** Offset of element (a, b, c, d) in a row-major 4-D shape. */
const at4 = (shape: readonly number[], a: number, b: number, c: number, d: number): number => ((a * shape[1] + b) * shape[2] + c) * shape[3] + d;

/**
 * Visits every term of the convolution sum: output (n, o, oh, ow), input
 * (n, ci, ih, iw) inside the unpadded input, weight (o, c, kh, kw).
 */
function forEachTerm(
  inputShape: readonly number[],
  weightShape: readonly number[],
  r: Resolved,
  visit: (outIndex: number, inIndex: number, weightIndex: number) => void,
): number[] {
  const [batch, inChannels, inHeight, inWidth] = inputShape;
  const [outChannels, perGroup, kernelHeight, kernelWidth] = weightShape;
  const outHeight = outputSize(inHeight, kernelHeight, r, 0);
  const outWidth = outputSize(inWidth, kernelWidth, r, 1);
  const outShape = [batch, outChannels, outHeight, outWidth];
  const outPerGroup = outChannels / r.groups;
  if (inChannels !== perGroup * r.groups) throw new Error('reference: channels do not match the groups');
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < outChannels; o++) {
      const group = Math.floor(o / outPerGroup);
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++) {
          for (let c = 0; c < perGroup; c++) {
            const ci = group * perGroup + c;
            for (let kh = 0; kh < kernelHeight; kh++) {
              const ih = oh * r.stride[0] - r.padding[0] + kh * r.dilation[0];
              if (ih < 0 || ih >= inHeight) continue;
              for (let kw = 0; kw < kernelWidth; kw++) {
                const iw = ow * r.stride[1] - r.padding[1] + kw * r.dilation[1];
                if (iw < 0 || iw >= inWidth) continue;
                visit(at4(outShape, n, o, oh, ow), at4(inputShape, n, ci, ih, iw), at4(weightShape, o, c, kh, kw));
              }
            }
          }
        }
      }
    }
  }
  return outShape;
}

const kernelOf = (weightShape: readonly number[]): [number, number] => [weightShape[2], weightShape[3]];

/** `out[n,o,oh,ow] = bias[o] + Σ x[n, g·C/G + c, oh·s − p + kh·d, ow·s − p + kw·d] · w[o, c, kh, kw]`. */
function conv2dReference(x: ReferenceTensor, w: ReferenceTensor, bias: ReferenceTensor | undefined, geometry: Geometry): ReferenceTensor {
  const unbatched = x.shape.length === 3;
  const inputShape = unbatched ? [1, ...x.shape] : x.shape;
  const r = resolve(geometry, kernelOf(w.shape));
  const sums: number[] = [];
  const outShape = forEachTerm(inputShape, w.shape, r, (out, inp, wt) => {
    sums[out] = (sums[out] ?? 0) + x.data[inp] * w.data[wt];
  });
  const size = outShape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(size);
  const planeSize = outShape[2] * outShape[3];
  for (let i = 0; i < size; i++) {
    const o = Math.floor(i / planeSize) % outShape[1];
    data[i] = (sums[i] ?? 0) + (bias ? bias.data[o] : 0);
  }
  return { shape: unbatched ? outShape.slice(1) : outShape, data, dtype: x.dtype };
}

/** The gradient of the (linear) convolution with respect to its input: each term routes `gradOut · w` back to its input element. */
function inputGradReference(gradOut: ReferenceTensor, w: ReferenceTensor, inputShape: readonly number[], geometry: Geometry): ReferenceTensor {
  const data = new Float64Array(inputShape.reduce((p, d) => p * d, 1));
  forEachTerm(inputShape, w.shape, resolve(geometry, kernelOf(w.shape)), (out, inp, wt) => {
    data[inp] += gradOut.data[out] * w.data[wt];
  });
  return { shape: [...inputShape], data, dtype: gradOut.dtype };
}

/** The gradient with respect to the weight: each term adds `gradOut · x` to its weight element. */
function weightGradReference(x: ReferenceTensor, gradOut: ReferenceTensor, weightShape: readonly number[], geometry: Geometry): ReferenceTensor {
  const data = new Float64Array(weightShape.reduce((p, d) => p * d, 1));
  forEachTerm(x.shape, weightShape, resolve(geometry, kernelOf(weightShape)), (out, inp, wt) => {
    data[wt] += gradOut.data[out] * x.data[inp];
  });
  return { shape: [...weightShape], data, dtype: x.dtype };
}

// ── Cases ──────────────────────────────────────────────────────────────────

interface ConvCase {
  readonly name: string;
  readonly input: number[];
  readonly weight: number[];
  readonly geometry?: Geometry;
  readonly bias?: boolean;
  readonly inputLayout?: Layout;
  readonly weightLayout?: Layout;
  readonly dtype?: DType;
}

const CASES: readonly ConvCase[] = [
  { name: 'basic [1,2,5,5] * [3,2,3,3]', input: [1, 2, 5, 5], weight: [3, 2, 3, 3] },
  { name: 'stride 2, padding 1', input: [2, 3, 7, 7], weight: [4, 3, 3, 3], geometry: { stride: 2, padding: 1 } },
  { name: 'stride 2 leaving rows unused', input: [1, 2, 8, 6], weight: [2, 2, 3, 3], geometry: { stride: 2 } },
  { name: 'padding 2', input: [1, 2, 5, 6], weight: [3, 2, 3, 3], geometry: { padding: 2 } },
  { name: "padding 'same' 3×3", input: [2, 2, 6, 5], weight: [3, 2, 3, 3], geometry: { padding: 'same' } },
  { name: "padding 'same' 5×5 with dilation 2", input: [1, 2, 9, 9], weight: [2, 2, 5, 5], geometry: { padding: 'same', dilation: 2 } },
  { name: "padding 'valid'", input: [1, 3, 6, 6], weight: [2, 3, 3, 3], geometry: { padding: 'valid' } },
  { name: 'dilation 2', input: [1, 2, 9, 8], weight: [3, 2, 3, 3], geometry: { dilation: 2 } },
  { name: 'dilation [2,1], stride [1,2], padding [1,0]', input: [2, 2, 8, 9], weight: [3, 2, 3, 3], geometry: { dilation: [2, 1], stride: [1, 2], padding: [1, 0] } },
  { name: 'groups 2', input: [1, 4, 6, 6], weight: [6, 2, 3, 3], geometry: { groups: 2, padding: 1 } },
  { name: 'depthwise', input: [2, 3, 5, 5], weight: [3, 1, 3, 3], geometry: { groups: 3, padding: 1 } },
  { name: 'depthwise with multiplier 2, stride 2', input: [1, 3, 7, 7], weight: [6, 1, 3, 3], geometry: { groups: 3, stride: 2, padding: 1 } },
  { name: 'rectangular 3×5 kernel', input: [1, 2, 7, 9], weight: [3, 2, 3, 5], geometry: { padding: [1, 2] } },
  { name: 'rectangular kernel, stride [2,1]', input: [1, 2, 8, 7], weight: [2, 2, 3, 5], geometry: { stride: [2, 1] } },
  { name: '1×1 kernel', input: [2, 4, 5, 5], weight: [3, 4, 1, 1] },
  { name: '1×1 kernel, stride 2', input: [1, 3, 5, 6], weight: [2, 3, 1, 1], geometry: { stride: 2 } },
  { name: 'kernel as large as the input', input: [1, 2, 3, 3], weight: [2, 2, 3, 3] },
  { name: 'bias', input: [2, 3, 5, 5], weight: [4, 3, 3, 3], geometry: { padding: 1 }, bias: true },
  { name: 'bias with groups and stride', input: [1, 4, 7, 7], weight: [4, 2, 3, 3], geometry: { groups: 2, stride: 2 }, bias: true },
  { name: '3-D unbatched input', input: [3, 5, 5], weight: [2, 3, 3, 3], geometry: { padding: 1 }, bias: true },
  { name: 'batch 0', input: [0, 3, 5, 5], weight: [2, 3, 3, 3], geometry: { padding: 1 } },
  { name: 'transposed input', input: [1, 2, 5, 6], weight: [3, 2, 3, 3], inputLayout: 'transposed', geometry: { padding: 1 } },
  { name: 'strided input, offset weight', input: [2, 2, 5, 6], weight: [3, 2, 3, 3], inputLayout: 'strided', weightLayout: 'offset' },
  { name: 'offset input, transposed weight', input: [1, 3, 6, 6], weight: [2, 3, 3, 2], inputLayout: 'offset', weightLayout: 'transposed', geometry: { stride: 2, padding: 1 } },
  { name: 'float64', input: [1, 2, 5, 5], weight: [3, 2, 3, 3], geometry: { padding: 1 }, bias: true, dtype: 'float64' },
  { name: 'larger [2,8,12,12] * [16,8,3,3]', input: [2, 8, 12, 12], weight: [16, 8, 3, 3], geometry: { padding: 1 } },
  // Stride-1 layers with few output channels, where a backend may skip
  // im2col (wasm's direct path): LeNet-5's two layers (the first on 16×16
  // planes, so that one plane fits the 256-element bindings webgpu's windows
  // run of the kit uses), rows of 13 with 5 output channels, so tiles of
  // columns and of channels end part-filled, and six images, which a weight
  // gradient may sum in more than one partial sum.
  { name: "LeNet-5's first layer, 1→6 channels 5×5, padding 2, on 16×16", input: [2, 1, 16, 16], weight: [6, 1, 5, 5], geometry: { padding: 2 } },
  { name: "LeNet-5's second layer, 6→16 channels 5×5, 14×14", input: [2, 6, 14, 14], weight: [16, 6, 5, 5] },
  { name: '3×3 stride 1, 3→5 channels, 11×13, padding 1, bias', input: [3, 3, 11, 13], weight: [5, 3, 3, 3], geometry: { padding: 1 }, bias: true },
  { name: '5×3 kernel, stride 1, 2→7 channels, six 7×9 images, padding [1,2]', input: [6, 2, 7, 9], weight: [7, 2, 5, 3], geometry: { padding: [1, 2] } },
  // Stride-1 input gradients a backend may scatter straight into dx (wasm, up
  // to 32 output channels a group): a 7-row kernel (rows in chunks), groups,
  // padding cropped off a padded dx, and rows of 6 that leave a part-filled
  // last tile; then 32 output channels over five images (a thread's share).
  { name: '7×5 kernel, stride 1, groups 2 of 2→3 channels, three 11×6 images, padding [1,2]', input: [3, 4, 11, 6], weight: [6, 2, 7, 5], geometry: { groups: 2, padding: [1, 2] } },
  { name: '5×5 stride 1, 3→32 channels, five 10×12 images', input: [5, 3, 10, 12], weight: [32, 3, 5, 5] },
  // 3×3 stride-1 shapes with ≥ 16 channels a group, where a backend may switch to
  // a fast algorithm (Winograd on wasm): odd sizes leave part-filled tiles at
  // the bottom and right edges, and paddings 0, 1, 2 give the input gradient
  // paddings 2, 1, 0.
  { name: '3×3 stride 1, 16 channels, odd 9×7, padding 1', input: [1, 16, 9, 7], weight: [16, 16, 3, 3], geometry: { padding: 1 } },
  { name: '3×3 stride 1, 16→24 channels, 7×9, no padding', input: [1, 16, 7, 9], weight: [24, 16, 3, 3] },
  { name: '3×3 stride 1, 24→16 channels, 13×14, padding 2', input: [1, 24, 13, 14], weight: [16, 24, 3, 3], geometry: { padding: 2 } },
  { name: '3×3 stride 1, groups 2 of 16 channels, 5×7, bias', input: [1, 32, 5, 7], weight: [32, 16, 3, 3], geometry: { groups: 2, padding: 1 }, bias: true },
  { name: '3×3 stride 1, 16 channels, strided input', input: [1, 16, 5, 6], weight: [16, 16, 3, 3], inputLayout: 'strided', geometry: { padding: 1 } },
  // A 2×3 output (one row of part-filled tiles), where a weight gradient may
  // still go the fast way, with 18 input channels (not a multiple of 4).
  { name: '3×3 stride 1, 18→20 channels, 2×3, padding 1', input: [3, 18, 2, 3], weight: [20, 18, 3, 3], geometry: { padding: 1 } },
  // Planes so small that most of a kernel's taps read padding (a ResNet's last
  // stage), where a backend may multiply tap by tap over only the positions
  // each tap reaches; with dilation 2 some taps reach none.
  { name: '3×3 padding 1 on 2×2 planes, 20→24 channels, five images', input: [5, 20, 2, 2], weight: [24, 20, 3, 3], geometry: { padding: 1 } },
  { name: '3×3 padding 1 on 1×1 planes, 6→5 channels, three images', input: [3, 6, 1, 1], weight: [5, 6, 3, 3], geometry: { padding: 1 } },
  { name: '3×3 dilation 2, padding 2 on 2×3 planes, 5→7 channels', input: [2, 5, 2, 3], weight: [7, 5, 3, 3], geometry: { padding: 2, dilation: 2 } },
  { name: '5×5 padding 2 on 2×2 planes, 6→8 channels', input: [4, 6, 2, 2], weight: [8, 6, 5, 5], geometry: { padding: 2 } },
];

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

/** The output shape of a case's convolution (4-D input). */
function outputShape(c: ConvCase): number[] {
  const r = resolve(c.geometry ?? {}, kernelOf(c.weight));
  return [c.input[0], c.weight[0], outputSize(c.input[2], c.weight[2], r, 0), outputSize(c.input[3], c.weight[3], r, 1)];
}

function conv2dSamples(random: () => number): OpSample[] {
  return CASES.map((c) => {
    const dtype = c.dtype ?? 'float32';
    const inputs = [input(randomRef(random, c.input, dtype), c.inputLayout), input(randomRef(random, c.weight, dtype), c.weightLayout)];
    if (c.bias) inputs.push(input(randomRef(random, [c.weight[0]], dtype)));
    return {
      name: c.name,
      inputs,
      run: ([x, w, b]: readonly Tensor[]) => conv2d(x, w, { ...c.geometry, bias: b }),
      reference: ([x, w, b]: readonly ReferenceTensor[]) => conv2dReference(x, w, b, c.geometry ?? {}),
    };
  });
}

/** The 4-D cases (the gradient kernels take batched shapes only). */
const GRADIENT_CASES = CASES.filter((c) => c.input.length === 4);

function inputGradSamples(random: () => number): OpSample[] {
  return GRADIENT_CASES.map((c) => {
    const dtype = c.dtype ?? 'float32';
    const gradShape = outputShape(c);
    // A case with a non-contiguous input gets a non-contiguous gradOut here.
    const gradLayout: Layout = c.inputLayout !== undefined && transposable(gradShape) ? 'transposed' : 'contiguous';
    return {
      name: c.name,
      inputs: [input(randomRef(random, gradShape, dtype), gradLayout), input(randomRef(random, c.weight, dtype), c.weightLayout)],
      run: ([gradOut, w]: readonly Tensor[]) => conv2dInputGrad(gradOut, w, c.input, c.geometry),
      reference: ([gradOut, w]: readonly ReferenceTensor[]) => inputGradReference(gradOut, w, c.input, c.geometry ?? {}),
    };
  });
}

function weightGradSamples(random: () => number): OpSample[] {
  return GRADIENT_CASES.map((c) => {
    const dtype = c.dtype ?? 'float32';
    const gradLayout: Layout = c.weightLayout === 'offset' && outputShape(c)[0] > 0 ? 'offset' : 'contiguous';
    return {
      name: c.name,
      inputs: [input(randomRef(random, c.input, dtype), c.inputLayout), input(randomRef(random, outputShape(c), dtype), gradLayout)],
      run: ([x, gradOut]: readonly Tensor[]) => conv2dWeightGrad(x, gradOut, c.weight, c.geometry),
      reference: ([x, gradOut]: readonly ReferenceTensor[]) => weightGradReference(x, gradOut, c.weight, c.geometry ?? {}),
    };
  });
}

/** Whether the 'transposed' layout changes the strides of `shape` (its last two dims exceed 1). */
const transposable = (shape: readonly number[]): boolean => shape.length >= 2 && shape[shape.length - 1] > 1 && shape[shape.length - 2] > 1;

// ── Errors ─────────────────────────────────────────────────────────────────

function failing(name: string, inputs: SampleInput[], run: OpErrorCase['run'], kind: OpErrorCase['kind'], message: string): OpErrorCase {
  return { name, inputs, run, kind, message };
}

function conv2dErrors(random: () => number): OpErrorCase[] {
  const r = (shape: number[], dtype: DType = 'float32'): SampleInput => input(randomRef(random, shape, dtype));
  return [
    failing('3 input channels, weight for 2', [r([1, 3, 5, 5]), r([4, 2, 3, 3])], ([x, w]) => conv2d(x, w), 'ShapeError', '[1,3,5,5]'),
    failing('channel mismatch names the weight', [r([1, 3, 5, 5]), r([4, 2, 3, 3])], ([x, w]) => conv2d(x, w), 'ShapeError', '[4,2,3,3]'),
    failing('kernel larger than the input', [r([1, 1, 2, 2]), r([1, 1, 3, 3])], ([x, w]) => conv2d(x, w), 'ShapeError', 'larger than'),
    failing('dilated kernel larger than the input', [r([1, 1, 4, 4]), r([1, 1, 3, 3])], ([x, w]) => conv2d(x, w, { dilation: 2 }), 'ShapeError', 'larger than'),
    failing('int32 input', [r([1, 1, 4, 4], 'int32'), r([1, 1, 3, 3], 'int32')], ([x, w]) => conv2d(x, w), 'DTypeError', 'int32'),
    failing('float32 input, float64 weight', [r([1, 1, 4, 4]), r([1, 1, 3, 3], 'float64')], ([x, w]) => conv2d(x, w), 'DTypeError', 'float64'),
    failing('out channels not divisible by groups', [r([1, 4, 5, 5]), r([3, 2, 3, 3])], ([x, w]) => conv2d(x, w, { groups: 2 }), 'ShapeError', 'groups'),
    failing("padding 'same' with stride 2", [r([1, 1, 5, 5]), r([1, 1, 3, 3])], ([x, w]) => conv2d(x, w, { padding: 'same', stride: 2 }), 'ValueError', 'same'),
    failing('bias of the wrong size', [r([1, 2, 5, 5]), r([3, 2, 3, 3]), r([2])], ([x, w, b]) => conv2d(x, w, { bias: b }), 'ShapeError', 'bias'),
    failing('2-D input', [r([5, 5]), r([1, 1, 3, 3])], ([x, w]) => conv2d(x, w), 'ShapeError', '[5,5]'),
    failing('3-D weight', [r([1, 1, 5, 5]), r([1, 3, 3])], ([x, w]) => conv2d(x, w), 'ShapeError', '[1,3,3]'),
    failing('stride 0', [r([1, 1, 5, 5]), r([1, 1, 3, 3])], ([x, w]) => conv2d(x, w, { stride: 0 }), 'ValueError', 'stride'),
  ];
}

function inputGradErrors(random: () => number): OpErrorCase[] {
  const r = (shape: number[], dtype: DType = 'float32'): SampleInput => input(randomRef(random, shape, dtype));
  return [
    failing('gradOut of the wrong shape', [r([1, 3, 4, 4]), r([3, 2, 3, 3])], ([g, w]) => conv2dInputGrad(g, w, [1, 2, 5, 5]), 'ShapeError', 'gradOut'),
    failing('channel mismatch', [r([1, 3, 3, 3]), r([3, 2, 3, 3])], ([g, w]) => conv2dInputGrad(g, w, [1, 3, 5, 5]), 'ShapeError', '[1,3,5,5]'),
    failing('int32 gradOut', [r([1, 3, 3, 3], 'int32'), r([3, 2, 3, 3], 'int32')], ([g, w]) => conv2dInputGrad(g, w, [1, 2, 5, 5]), 'DTypeError', 'int32'),
  ];
}

function weightGradErrors(random: () => number): OpErrorCase[] {
  const r = (shape: number[], dtype: DType = 'float32'): SampleInput => input(randomRef(random, shape, dtype));
  return [
    failing('gradOut of the wrong shape', [r([1, 2, 5, 5]), r([1, 3, 5, 5])], ([x, g]) => conv2dWeightGrad(x, g, [3, 2, 3, 3]), 'ShapeError', 'gradOut'),
    failing('channel mismatch', [r([1, 3, 5, 5]), r([1, 3, 3, 3])], ([x, g]) => conv2dWeightGrad(x, g, [3, 2, 3, 3]), 'ShapeError', '[3,2,3,3]'),
    failing('int32 input', [r([1, 2, 5, 5], 'int32'), r([1, 3, 3, 3], 'int32')], ([x, g]) => conv2dWeightGrad(x, g, [3, 2, 3, 3]), 'DTypeError', 'int32'),
  ];
}

export const conv2dSpecs: OpSpec[] = [
  { name: 'conv2d', tier: 'T3', samples: conv2dSamples, errors: conv2dErrors },
  { name: 'conv2dInputGrad', tier: 'T3', samples: inputGradSamples, errors: inputGradErrors },
  { name: 'conv2dWeightGrad', tier: 'T3', samples: weightGradSamples, errors: weightGradErrors },
];
