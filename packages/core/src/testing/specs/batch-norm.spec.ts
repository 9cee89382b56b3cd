import type { DType } from '../../dtype.js';
import { batchNormTrain, batchNormTrainBackward } from '../../index.js';
import type { Layout, OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput } from '../op-spec.js';
import { randomRef, ref, storable } from '../reference.js';

// ── Independent float64 references ─────────────────────────────────────────

/** The flat indices of channel c's elements in an (N, C, …) tensor. */
function channelIndices(shape: readonly number[], c: number): number[] {
  const [outer, channels] = shape;
  const inner = shape.slice(2).reduce((p, s) => p * s, 1);
  const indices: number[] = [];
  for (let n = 0; n < outer; n++) for (let i = 0; i < inner; i++) indices.push((n * channels + c) * inner + i);
  return indices;
}

/** Each channel's mean and biased variance, in float64. */
function statisticsReference(x: ReferenceTensor): { mean: number[]; variance: number[] } {
  const mean: number[] = [], variance: number[] = [];
  for (let c = 0; c < x.shape[1]; c++) {
    const at = channelIndices(x.shape, c);
    const m = at.reduce((s, i) => s + x.data[i], 0) / at.length;
    mean.push(m);
    variance.push(at.reduce((s, i) => s + (x.data[i] - m) ** 2, 0) / at.length);
  }
  return { mean, variance };
}

/** [output, mean, variance] of training-mode batch normalization, in float64. */
function forwardReference(x: ReferenceTensor, weight: ReferenceTensor | null, bias: ReferenceTensor | null, eps: number): ReferenceTensor[] {
  const { mean, variance } = statisticsReference(x);
  const out = new Float64Array(x.data.length);
  for (let c = 0; c < x.shape[1]; c++) {
    const scale = (weight ? weight.data[c] : 1) / Math.sqrt(variance[c] + eps);
    for (const i of channelIndices(x.shape, c)) out[i] = (x.data[i] - mean[c]) * scale + (bias ? bias.data[c] : 0);
  }
  return [{ shape: x.shape, data: out, dtype: x.dtype }, ref([x.shape[1]], mean, x.dtype), ref([x.shape[1]], variance, x.dtype)];
}

/** [gradInput, gradWeight, gradBias] from the closed form, in float64, for the given (stored) statistics. */
function backwardReference(grad: ReferenceTensor, x: ReferenceTensor, mean: ReferenceTensor, variance: ReferenceTensor, weight: ReferenceTensor | null, eps: number): ReferenceTensor[] {
  const channels = x.shape[1];
  const dx = new Float64Array(x.data.length), dw: number[] = [], db: number[] = [];
  for (let c = 0; c < channels; c++) {
    const at = channelIndices(x.shape, c);
    const invstd = 1 / Math.sqrt(variance.data[c] + eps);
    const normalized = (i: number): number => (x.data[i] - mean.data[c]) * invstd;
    const sum = at.reduce((s, i) => s + grad.data[i], 0);
    const dot = at.reduce((s, i) => s + grad.data[i] * normalized(i), 0);
    db.push(sum);
    dw.push(dot);
    const scale = invstd * (weight ? weight.data[c] : 1);
    for (const i of at) dx[i] = scale * (grad.data[i] - sum / at.length - normalized(i) * (dot / at.length));
  }
  return [{ shape: x.shape, data: dx, dtype: x.dtype }, ref([channels], dw, x.dtype), ref([channels], db, x.dtype)];
}

// ── Samples ────────────────────────────────────────────────────────────────

const input = (value: ReferenceTensor, layout: Layout = 'contiguous'): SampleInput => ({ value, layout });

/** x around `centre` with a spread per channel, so the statistics differ by channel. */
function channelData(random: () => number, shape: number[], dtype: DType, centre: number): ReferenceTensor {
  const x = randomRef(random, shape, dtype);
  const spread = Array.from({ length: shape[1] }, () => 0.5 + 2 * random());
  const inner = shape.slice(2).reduce((p, s) => p * s, 1);
  const data = x.data.map((v, i) => storable(centre + v * spread[Math.floor(i / inner) % shape[1]], dtype));
  return ref(shape, data, dtype);
}

interface Case {
  readonly shape: number[];
  readonly weight?: boolean;
  readonly bias?: boolean;
  readonly centre?: number;
  readonly layout?: Layout;
  readonly dtype?: DType;
  readonly eps?: number;
  /** Running statistics updated with this momentum (forward only). */
  readonly momentum?: number;
}

const describe = ({ shape, weight = true, bias = true, centre = 0, layout = 'contiguous', dtype = 'float32', eps = 1e-5, momentum }: Case): string =>
  [
    `[${shape.join(',')}]`, layout, weight ? 'weight' : 'no weight', bias ? 'bias' : 'no bias', centre ? `around ${centre}` : '',
    dtype === 'float32' ? '' : dtype, eps === 1e-5 ? '' : `eps ${eps}`, momentum === undefined ? '' : `running statistics, momentum ${momentum}`,
  ].filter((p) => p !== '').join(', ');

/** Running statistics after one update towards a batch's mean and biased variance over `count` elements a channel, in float64. */
function runningReference(running: ReferenceTensor, statistic: ReferenceTensor, momentum: number, unbiasing: number): ReferenceTensor {
  return { ...running, data: running.data.map((r, c) => r * (1 - momentum) + momentum * unbiasing * statistic.data[c]) };
}

const CASES: readonly Case[] = [
  { shape: [4, 3] },
  { shape: [2, 3, 4, 5] },
  { shape: [3, 5, 7], weight: false },
  { shape: [2, 4, 3, 3], bias: false },
  { shape: [5, 2, 6], weight: false, bias: false, eps: 0.1 },
  // Statistics far from zero: the variance of the centred values, not E[x²] − E[x]².
  { shape: [4, 3, 5, 5], centre: 100 },
  // One element a channel: zero variance, the output is the bias.
  { shape: [1, 3, 1, 1] },
  // A ResNet-18 layer's size: many elements a channel, split over threads on a threaded device.
  { shape: [16, 64, 16, 16] },
  { shape: [8, 32, 2, 2] },
  // Views, not whole buffers: the separate ops' path on every device.
  { shape: [2, 3, 4, 5], layout: 'transposed' },
  { shape: [2, 3, 4, 6], layout: 'strided' },
  { shape: [2, 3, 4, 5], dtype: 'float64' },
  { shape: [4, 6, 3, 3], momentum: 0.1 },
  { shape: [16, 32, 4, 4], momentum: 0.3, bias: false },
  { shape: [2, 3, 4, 5], momentum: 0.1, layout: 'transposed' },
];

function forwardSamples(random: () => number): OpSample[] {
  return CASES.map((c) => {
    const { shape, weight = true, bias = true, centre = 0, layout = 'contiguous', dtype = 'float32', eps = 1e-5, momentum } = c;
    // Inputs: x, weight, bias (where present), then the running mean and variance (with a momentum).
    const inputs = [input(channelData(random, shape, dtype, centre), layout)];
    if (weight) inputs.push(input(randomRef(random, [shape[1]], dtype)));
    if (bias) inputs.push(input(randomRef(random, [shape[1]], dtype)));
    if (momentum !== undefined) inputs.push(input(randomRef(random, [shape[1]], dtype)), input(randomRef(random, [shape[1]], dtype, 0.5, 3)));
    const affine = Number(weight) + Number(bias);
    const split = <T>([x, ...rest]: readonly T[]): [T, T | null, T | null] => [x, weight ? rest[0] : null, bias ? rest[weight ? 1 : 0] : null];
    const count = shape.reduce((p, s) => p * s, 1) / shape[1];
    return {
      name: describe(c),
      inputs,
      run: (tensors) => {
        if (momentum === undefined) {
          const { output, mean, variance } = batchNormTrain(...split(tensors), eps);
          return [output, mean, variance];
        }
        const [runningMean, runningVar] = tensors.slice(1 + affine);
        const { output, mean, variance } = batchNormTrain(...split(tensors), eps, { mean: runningMean, variance: runningVar, momentum });
        return [output, mean, variance, runningMean, runningVar];
      },
      reference: (refs) => {
        const [output, mean, variance] = forwardReference(...split(refs), eps);
        if (momentum === undefined) return [output, mean, variance];
        const [runningMean, runningVar] = refs.slice(1 + affine);
        return [output, mean, variance, runningReference(runningMean, mean, momentum, 1), runningReference(runningVar, variance, momentum, count / (count - 1))];
      },
    };
  });
}

function backwardSamples(random: () => number): OpSample[] {
  return CASES.filter((c) => c.momentum === undefined).flatMap((c) => [true, false].filter((inputGrad) => inputGrad || c.shape.length === 4 && c.layout === undefined).map((inputGrad) => {
    const { shape, weight = true, centre = 0, layout = 'contiguous', dtype = 'float32', eps = 1e-5 } = c;
    const x = channelData(random, shape, dtype, centre);
    const { mean, variance } = statisticsReference(x);
    const stored = (values: number[]): SampleInput => input(ref([shape[1]], values.map((v) => storable(v, dtype)), dtype));
    const inputs = [input(randomRef(random, shape, dtype), layout), input(x, layout), stored(mean), stored(variance)];
    if (weight) inputs.push(input(randomRef(random, [shape[1]], dtype)));
    return {
      name: `${describe({ ...c, bias: true }).replace(', bias', '')}${inputGrad ? '' : ', no input gradient'}`,
      inputs,
      run: ([grad, xs, m, v, w]) => {
        const { gradInput, gradWeight, gradBias } = batchNormTrainBackward(grad, xs, m, v, w ?? null, eps, inputGrad);
        return inputGrad ? [gradInput!, gradWeight, gradBias] : [gradWeight, gradBias];
      },
      reference: ([grad, xs, m, v, w]) => {
        const all = backwardReference(grad, xs, m, v, w ?? null, eps);
        return inputGrad ? all : all.slice(1);
      },
    };
  }));
}

function errors(random: () => number): OpErrorCase[] {
  const r = (shape: number[], dtype: DType = 'float32'): SampleInput => input(randomRef(random, shape, dtype));
  return [
    { name: 'weight of the wrong length', inputs: [r([2, 3, 4]), r([4])], run: ([x, w]) => batchNormTrain(x, w, null, 1e-5), kind: 'ShapeError', message: 'weight must have shape [3]' },
    { name: 'no channel dim', inputs: [r([6])], run: ([x]) => batchNormTrain(x, null, null, 1e-5), kind: 'ShapeError', message: 'channel dim' },
    { name: 'int32 x', inputs: [r([2, 3], 'int32')], run: ([x]) => batchNormTrain(x, null, null, 1e-5), kind: 'DTypeError', message: 'float' },
    { name: 'negative eps', inputs: [r([2, 3])], run: ([x]) => batchNormTrain(x, null, null, -1), kind: 'ValueError', message: 'eps' },
    {
      name: 'momentum out of range', inputs: [r([2, 3]), r([3]), r([3])],
      run: ([x, m, v]) => batchNormTrain(x, null, null, 1e-5, { mean: m, variance: v, momentum: 1.5 }), kind: 'ValueError', message: 'momentum',
    },
    {
      name: 'running variance of the wrong length', inputs: [r([2, 3]), r([3]), r([4])],
      run: ([x, m, v]) => batchNormTrain(x, null, null, 1e-5, { mean: m, variance: v, momentum: 0.1 }), kind: 'ShapeError', message: 'running variance must have shape [3]',
    },
    { name: 'no elements a channel', inputs: [r([0, 3])], run: ([x]) => batchNormTrain(x, null, null, 1e-5), kind: 'ValueError', message: 'no elements' },
    {
      name: 'grad of another shape', inputs: [r([2, 3, 5]), r([2, 3, 4]), r([3]), r([3])],
      run: ([g, x, m, v]) => batchNormTrainBackward(g, x, m, v, null, 1e-5), kind: 'ShapeError', message: "must have x's shape",
    },
    {
      name: 'variance of the wrong length', inputs: [r([2, 3, 4]), r([2, 3, 4]), r([3]), r([2])],
      run: ([g, x, m, v]) => batchNormTrainBackward(g, x, m, v, null, 1e-5), kind: 'ShapeError', message: 'variance must have shape [3]',
    },
  ];
}

export const batchNormSpecs: OpSpec[] = [
  { name: 'batchNormTrain', tier: 'T3', samples: forwardSamples, errors },
  { name: 'batchNormTrainBackward', tier: 'T3', samples: backwardSamples },
];
