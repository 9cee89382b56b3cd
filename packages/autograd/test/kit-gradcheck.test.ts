import { afterAll, describe, expect, it } from 'vitest';
import { isFloating, tensor, type Tensor } from '@fathom/core';
import { installGradientEngine } from '@fathom/core/backend';
import type { SampleInput } from '@fathom/core/testing';
import { differentiableSamples } from '../src/testing/index.js';
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

function build(input: SampleInput): Tensor {
  const { value } = input;
  return tensor(value.data, { shape: value.shape, dtype: isFloating(value.dtype) ? 'float64' : value.dtype, device: 'cpu' });
}

let checked = 0;
for (const { spec, samples } of differentiableSamples()) {
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
