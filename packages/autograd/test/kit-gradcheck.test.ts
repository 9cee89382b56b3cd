import { afterAll, describe, expect, it } from 'vitest';
import { installGradientEngine, isFloating, tensor, type Tensor } from '@fathom/core';
import { allSpecs, type OpSample, type SampleInput } from '@fathom/core/testing';
import { formulas, gradcheck, noGrad, useAutograd } from '../src/index.js';

// Every sample of the conformance kit whose op is differentiable at the sampled
// point is gradchecked here in float64 on the CPU; then every formula must have
// been exercised and every recorded op must have a formula.

const engine = useAutograd();
const recorded = new Set<string>();
installGradientEngine({ ...engine, record: (op, inputs, output, attrs) => {
  recorded.add(op);
  engine.record(op, inputs, output, attrs);
} });
afterAll(() => {
  installGradientEngine(engine);
});

// Largest float input (in elements) worth 2·n evaluations of the op.
const MAX_ELEMENTS = 160;
// Ops whose samples are not functions of float inputs, or whose outputs carry no gradient.
// The backward kernels (conv2dInputGrad, …) are not differentiable yet: no double backward.
const NOT_DIFFERENTIABLE = /^(conv2dInputGrad|conv2dWeightGrad|maxPool2dGrad|avgPool2dGrad|adaptiveAvgPool2dGrad|argmax|argmin|all|any|eq|ne|lt|le|gt|ge|logical\w*|oneHot|rand\w*|uniform|normal|bernoulli|randint|randperm|tensor|zeros|ones|full\w*|zerosLike|onesLike|arange|linspace|eye|maxPool2dWithIndices)$/;
// Where finite differences straddle a kink they measure a jump, not a derivative.
const KINKS: Record<string, (v: number) => boolean> = {
  relu: (v) => Math.abs(v) < 1e-3,
  leakyRelu: (v) => Math.abs(v) < 1e-3,
  elu: (v) => Math.abs(v) < 1e-3,
  abs: (v) => Math.abs(v) < 1e-3,
  sign: (v) => Math.abs(v) < 1e-3,
  floor: (v) => Math.abs(v - Math.round(v)) < 1e-3,
  ceil: (v) => Math.abs(v - Math.round(v)) < 1e-3,
  round: (v) => Math.abs(Math.abs(v % 1) - 0.5) < 1e-3,
  clamp: () => false,
};
const TIES = /^(max|min|maximum|minimum|maxPool2d|clamp|logsumexp|where)$/;

function floatValues(inputs: readonly SampleInput[]): number[] {
  return inputs.filter((i) => isFloating(i.value.dtype)).flatMap((i) => Array.from(i.value.data));
}

function skipReason(op: string, sample: OpSample): string | null {
  if (NOT_DIFFERENTIABLE.test(op)) return 'not differentiable';
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

function build(input: SampleInput): Tensor {
  const { value } = input;
  return tensor(value.data, { shape: value.shape, dtype: isFloating(value.dtype) ? 'float64' : value.dtype, device: 'cpu' });
}

let checked = 0;
const checkedOps = new Set<string>();
for (const spec of allSpecs) {
  let state = 12345;
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const samples = spec.samples(random).filter((sample) =>
    sample.inputs.every((i) => !i.layout || i.layout === 'contiguous') && skipReason(spec.name, sample) === null);
  if (samples.length === 0) continue;
  describe(`gradcheck ${spec.name}`, () => {
    for (const sample of samples) {
      it(sample.name, () => {
        const inputs = sample.inputs.map(build);
        const run = (...ts: Tensor[]) => sample.run(ts);
        const outputs = noGrad(() => run(...inputs));
        const list = (Array.isArray(outputs) ? outputs : [outputs]) as Tensor[];
        const floats = list.filter((t) => isFloating(t.dtype));
        if (floats.length === 0 || floats.some((t) => Array.from(t.dataSync()).some((v) => !Number.isFinite(v)))) return;
        // sqrt has no derivative at 0: a zero standard deviation has none either (PyTorch gives NaN too).
        if (spec.name === 'std' && floats.some((t) => Array.from(t.dataSync()).some((v) => v === 0))) return;
        gradcheck(run, inputs);
        checked++;
        checkedOps.add(spec.name);
      });
    }
  });
}

describe('cast', () => {
  // Finite differences cannot see through float32 rounding, so cast's gradient is checked by hand.
  it('passes the gradient back in the input dtype', async () => {
    const x = tensor([1.5, -2], { dtype: 'float64' }).setRequiresGrad();
    x.cast('float32').mul(tensor([3, 4])).sum().backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(Array.from(await x.grad!.data())).toEqual([3, 4]);
  });
});

describe('coverage', () => {
  it('gradchecked samples of every differentiable op and recorded only ops that have formulas', () => {
    expect(checked).toBeGreaterThan(300);
    const missingFormula = [...recorded].filter((op) => !formulas.has(op));
    expect(missingFormula).toEqual([]);
    const unexercised = [...formulas.keys()].filter((op) => !recorded.has(op));
    expect(unexercised).toEqual([]);
  });
});
