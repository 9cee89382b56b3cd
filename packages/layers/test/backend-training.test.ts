import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, randint, randn, registerBackend, scope, stack, unregisterBackend, type Backend, type Tensor } from '@fathom/core';
import { noGrad, useAutograd } from '@fathom/autograd';
import { Conv2d, crossEntropy, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/index.js';
import { backendOrReason, noBackend, type BackendName } from './backend-or-reason.js';

useAutograd();

// TESTING.md's model-level check, LeNet-sized: the same CNN from the same seed, trained by plain
// SGD on the same fixed batches, gives the same first-step loss on every backend (1e-5 relative)
// and stays within float32 drift (1e-3 relative) through the last step. The CPU in float32 is the
// reference. (SGD is written out here: @fathom/layers' tests do not depend on @fathom/optim.)

const STEPS = 50;
const BATCHES = 4;
const LEARNING_RATE = 0.05;

function leNet(): Sequential {
  return new Sequential(
    new Conv2d(1, 6, 5), // (N, 6, 24, 24)
    new ReLU(),
    new MaxPool2d(2), // (N, 6, 12, 12)
    new Conv2d(6, 16, 5), // (N, 16, 8, 8)
    new ReLU(),
    new MaxPool2d(2), // (N, 16, 4, 4)
    new Flatten(), // (N, 256)
    new Linear(256, 10), // (N, 10)
  );
}

/** The loss of every step of training a seeded LeNet on `device`, in float32. */
async function trainingLosses(device: string): Promise<Float64Array> {
  manualSeed(17);
  const model = leNet().to(device);
  const batches = Array.from({ length: BATCHES }, () => ({
    x: randn([8, 1, 28, 28]).to(device), // (8, 1, 28, 28)
    y: randint(0, 10, [8], { dtype: 'int32' }).to(device), // (8)
  }));
  const parameters = model.parameters();
  const losses: Tensor[] = [];
  for (let step = 0; step < STEPS; step++) {
    const { x, y } = batches[step % BATCHES];
    losses.push(scope(() => {
      model.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      noGrad(() => { for (const p of parameters) p.copy_(p.sub(p.grad!.mul(LEARNING_RATE))); });
      return loss.detach();
    }));
  }
  // Read once at the end, so a GPU is never made to wait inside the loop.
  const all = stack(losses);
  const values = Float64Array.from(await all.data());
  [all, ...losses, ...parameters, ...batches.flatMap(({ x, y }) => [x, y])].forEach((t) => t.dispose());
  model.zeroGrad();
  return values;
}

let cpuLosses: Promise<Float64Array> | null = null;
const reference = (): Promise<Float64Array> => (cpuLosses ??= trainingLosses('cpu'));

const relative = (a: number, e: number): number => Math.abs(a - e) / Math.abs(e);

describe('LeNet trained on the CPU', () => {
  it('learns the fixed batches (the comparison below is of a run that moves)', async () => {
    const losses = await reference();
    expect(losses.every(Number.isFinite)).toBe(true);
    // The mean loss over the last pass through the batches is well below the first pass's.
    const mean = (values: Float64Array) => values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean(losses.slice(-BATCHES))).toBeLessThan(mean(losses.slice(0, BATCHES)) / 1.5);
  });
});

for (const name of ['wasm', 'webgpu'] as const satisfies readonly BackendName[]) {
  const found = await backendOrReason(name);
  if (!('backend' in found)) {
    noBackend({ it }, name, found.reason);
    continue;
  }
  const backend: Backend = found.backend;
  describe(`LeNet trained on ${name} follows the CPU`, () => {
    beforeAll(() => { registerBackend(backend); });
    afterAll(async () => {
      unregisterBackend(backend.name);
      await backend.destroy();
    });

    it(`${STEPS} SGD steps: first loss within 1e-5, every later one within 1e-3 (relative)`, async () => {
      const expected = await reference();
      const actual = await trainingLosses(backend.name);
      expect(relative(actual[0], expected[0])).toBeLessThanOrEqual(1e-5);
      const worst = actual.reduce((w, a, i) => Math.max(w, relative(a, expected[i])), 0);
      expect(worst, `worst relative difference over ${STEPS} steps`).toBeLessThanOrEqual(1e-3);
    });

    it('the same seed on the same backend gives the same losses, bit for bit', async () => {
      const first = await trainingLosses(backend.name);
      expect(await trainingLosses(backend.name)).toEqual(first);
    });
  });
}
