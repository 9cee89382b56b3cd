import { isFloating } from '@fathom/core';
import { allSpecs, type OpSample, type OpSpec, type SampleInput } from '@fathom/core/testing';

// Which conformance-kit samples have a gradient worth checking, shared by the
// float64 gradcheck and the cross-backend float32 comparison.

/** Largest float input (in elements) worth 2·n evaluations of the op. */
const MAX_ELEMENTS = 160;
// Samples that are not functions of float inputs, outputs that carry no gradient, and the
// backward kernels themselves (conv2dInputGrad, …), which have no double backward yet, and
// optimizer updates, which change their parameter in place.
const NOT_DIFFERENTIABLE = /^(conv2dInputGrad|conv2dWeightGrad|batchNormTrainBackward|maxPool2dGrad|avgPool2dGrad|adaptiveAvgPool2dGrad|argmax|argmin|all|any|eq|ne|lt|le|gt|ge|logical\w*|oneHot|rand\w*|uniform|normal|bernoulli|randint|randperm|tensor|zeros|ones|full\w*|zerosLike|onesLike|arange|linspace|eye|maxPool2dWithIndices|sgdStep_)$/;
// Where finite differences straddle a kink they measure a jump, not a derivative.
const KINKS: Record<string, (v: number) => boolean> = {
  relu: (v) => Math.abs(v) < 1e-3,
  reluBackward: (v) => Math.abs(v) < 1e-3,
  leakyRelu: (v) => Math.abs(v) < 1e-3,
  elu: (v) => Math.abs(v) < 1e-3,
  abs: (v) => Math.abs(v) < 1e-3,
  sign: (v) => Math.abs(v) < 1e-3,
  floor: (v) => Math.abs(v - Math.round(v)) < 1e-3,
  ceil: (v) => Math.abs(v - Math.round(v)) < 1e-3,
  round: (v) => Math.abs(Math.abs(v % 1) - 0.5) < 1e-3,
};
// Ops whose gradient picks among equal values; a tie makes it one-sided.
const TIES = /^(max|min|maximum|minimum|maxPool2d|clamp|logsumexp|where)$/;

function floatValues(inputs: readonly SampleInput[]): number[] {
  return inputs.filter((i) => isFloating(i.value.dtype)).flatMap((i) => Array.from(i.value.data));
}

/** Why a sample's gradient is not checked, or null when it is. */
export function gradientSkipReason(op: string, sample: OpSample): string | null {
  if (NOT_DIFFERENTIABLE.test(op)) return 'not differentiable';
  if (sample.inputs.some((i) => i.layout && i.layout !== 'contiguous')) return 'layout variant of another sample';
  const values = floatValues(sample.inputs);
  if (values.length === 0) return 'no float input';
  if (values.length > MAX_ELEMENTS) return 'too large for finite differences';
  if (values.some((v) => !Number.isFinite(v) || Math.abs(v) > 1e4)) return 'non-finite or extreme inputs';
  if (KINKS[op] && values.some(KINKS[op])) return 'input at a kink';
  if (TIES.test(op)) {
    const sorted = [...values].sort((a, b) => a - b);
    if (sorted.some((v, i) => i > 0 && v - sorted[i - 1] < 1e-3)) return 'tied values';
  }
  return null;
}

/** Each spec of the kit with the samples whose gradients are checked (the same seeded draw every run). */
export function differentiableSamples(specs: readonly OpSpec[] = allSpecs): { spec: OpSpec; samples: OpSample[] }[] {
  return specs
    .map((spec) => {
      let state = 12345;
      const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
      return { spec, samples: spec.samples(random).filter((sample) => gradientSkipReason(spec.name, sample) === null) };
    })
    .filter(({ samples }) => samples.length > 0);
}
