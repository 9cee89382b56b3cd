import { describe, expect, it } from 'vitest';
import { manualSeed, randint, randn, tensor, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy, init, Linear, ReLU, Sequential, Sigmoid, type TensorModule } from '../src/index.js';
import { GradientNormRecorder, gradientNorms } from '../src/diagnostics.js';

useAutograd();

/** `depth` Linear layers of `width` units with `activation` between them (none after the last), PyTorch's default init. */
function deepMlp(activation: () => TensorModule, width: number, depth: number, classes: number): Sequential {
  const layers: TensorModule[] = [];
  for (let i = 0; i < depth - 1; i++) layers.push(new Linear(width, width), activation());
  layers.push(new Linear(width, classes));
  return new Sequential(...layers);
}

/** First-layer over last-layer gradient norm of a 10-layer, 32-wide MLP after one backward of a cross-entropy loss. */
async function firstOverLast(model: Sequential, seed: number): Promise<{ ratio: number; norms: number[] }> {
  manualSeed(seed);
  const x = randn([64, 32]);
  const y = randint(0, 10, [64]);
  crossEntropy(model.forward(x), y).backward();
  const norms = [...(await gradientNorms(model)).values()];
  expect(norms).toHaveLength(10);
  return { ratio: norms[0] / norms[norms.length - 1], norms };
}

describe('gradientNorms', () => {
  it('computes √Σg² per parameter and per module from hand-set gradients', async () => {
    const model = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
    const [w0, b0, w2, b2] = model.parameters();
    w0.grad = tensor([[3, 0], [0, 4]]); // ‖·‖ = 5
    b0.grad = tensor([12, 0]); // ‖·‖ = 12
    w2.grad = tensor([[1, 2]]); // ‖·‖ = √5
    b2.grad = null; // no gradient: left out
    expect([...(await gradientNorms(model, { by: 'parameter' }))]).toEqual([['0.weight', 5], ['0.bias', 12], ['2.weight', Math.sqrt(5)]]);
    expect([...(await gradientNorms(model))]).toEqual([['0', 13], ['2', Math.sqrt(5)]]); // √(25 + 144) = 13
  });

  it('matches norms computed from the gradients read back after a real backward', async () => {
    manualSeed(2);
    const model = new Sequential(new Linear(5, 4), new Sigmoid(), new Linear(4, 3));
    model.forward(randn([6, 5])).square().mean().backward();
    const norms = await gradientNorms(model, { by: 'parameter' });
    for (const [name, p] of model.namedParameters()) {
      const g = Array.from(await (p.grad as Tensor).data());
      expect(norms.get(name)).toBeCloseTo(Math.sqrt(g.reduce((s, v) => s + v * v, 0)), 6);
    }
  });

  it('shows the vanishing gradient: a deep sigmoid MLP against a deep ReLU MLP', async () => {
    // Same seed, same widths, same input and labels. First/last ratios at seed 0: sigmoid 2.9e-8,
    // ReLU (PyTorch's default init) 1.3e-3, ReLU with He init and zero biases 0.84; with the
    // weights drawn from seeds 0–7, sigmoid stayed within [2.1e-8, 3.6e-8], default-init ReLU
    // within [4.9e-4, 2.4e-3] and He-init ReLU within [0.52, 1.5]. The thresholds keep a wide margin.
    manualSeed(0);
    const sigmoid = await firstOverLast(deepMlp(() => new Sigmoid(), 32, 10, 10), 100);
    manualSeed(0);
    const relu = await firstOverLast(deepMlp(() => new ReLU(), 32, 10, 10), 100);
    manualSeed(0);
    const heRelu = deepMlp(() => new ReLU(), 32, 10, 10).apply((m) => {
      if (m instanceof Linear) {
        init.kaimingNormal(m.weight, { nonlinearity: 'relu' });
        init.zeros(m.bias!);
      }
    });
    const he = await firstOverLast(heRelu, 100);

    expect(sigmoid.ratio).toBeLessThan(1e-6);
    // σ′ ≤ 1/4: every sigmoid layer shrinks the gradient, so norms grow strictly from first to last layer.
    sigmoid.norms.slice(1).forEach((norm, i) => expect(norm).toBeGreaterThan(sigmoid.norms[i]));
    expect(relu.ratio).toBeGreaterThan(1e-4);
    expect(relu.ratio).toBeGreaterThan(1000 * sigmoid.ratio);
    // PyTorch's default Linear init (gain 1/√3 for ReLU) still decays; He init keeps the scale.
    expect(he.ratio).toBeGreaterThan(0.1);
    expect(he.ratio).toBeLessThan(10);
  });
});

describe('GradientNormRecorder', () => {
  it('collects norms over steps and prints them as a table', async () => {
    const model = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
    const [w0, b0, w2, b2] = model.parameters();
    const recorder = new GradientNormRecorder();
    w0.grad = tensor([[3, 0], [0, 4]]);
    b0.grad = tensor([0, 0]);
    await recorder.record(model, 0);
    w2.grad = tensor([[0.25, 0]]);
    b2.grad = tensor([0]);
    w0.grad = tensor([[0, 0], [0, 0]]);
    await recorder.record(model, 10);
    expect(recorder.steps).toEqual([0, 10]);
    expect([...recorder.history]).toEqual([['0', [5, 0]], ['2', [NaN, 0.25]]]);
    expect(recorder.toTable()).toBe([
      'layer   step 0  step 10',
      '-----------------------',
      '0      5.00e+0        0',
      '2           --  2.50e-1',
    ].join('\n'));
  });

  it('keeps at most maxColumns evenly spaced steps, first and last included', async () => {
    const model = new Linear(1, 1);
    const recorder = new GradientNormRecorder({ by: 'parameter' });
    for (let step = 0; step < 10; step++) {
      model.weight.grad = tensor([[step]]);
      await recorder.record(model);
    }
    const header = recorder.toTable({ maxColumns: 4 }).split('\n')[0];
    expect(header.split(/\s{2,}/)).toEqual(['parameter', 'step 0', 'step 3', 'step 6', 'step 9']);
    expect(recorder.history.get('weight')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
