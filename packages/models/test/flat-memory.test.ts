import { afterAll, describe, expect, it } from 'vitest';
import { configureGarbageCollection, manualSeed, memoryStats, randint, randn, registerBackend, unregisterBackend, type Backend, type Device } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy } from '@fathom/layers';
import { SGD } from '@fathom/optim';
import { wasm } from '@fathom/wasm';
import { webgpuOrReason } from '@fathom/webgpu';
import { MLP } from '../src/index.js';

useAutograd();

// TESTING.md: the loop as PyTorch users write it — no scope(), no
// dispose(), the loss read every 50 steps — runs 5,000 steps with flat
// memory on every backend. Core collects garbage itself once enough device
// memory has churned; a low threshold here makes a small model collect
// often, as a large one does at the default 256 MiB.

const STEPS = 5000;
const READ_EVERY = 50;

async function run(device: Device): Promise<{ tensors: number[]; bytes: number[] }> {
  manualSeed(0);
  const model = new MLP({ inFeatures: 64, hiddenSizes: [64], numClasses: 10 }).to(device);
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = randn([32, 64], { device });
  const y = randint(0, 10, [32], { device });
  const tensors: number[] = [];
  const bytes: number[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const loss = crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    if (step % READ_EVERY === 0) {
      expect(Number.isFinite(await loss.item())).toBe(true);
      const stats = memoryStats(device);
      tensors.push(stats.tensors);
      bytes.push(stats.bytes);
    }
  }
  return { tensors, bytes };
}

function expectFlat(samples: readonly number[], what: string): void {
  const half = samples.length / 2;
  const early = Math.max(...samples.slice(0, half));
  const late = Math.max(...samples.slice(half));
  // Garbage comes and goes between collections (a sawtooth whose peaks wander by a few
  // percent with the timing of collections); what must not happen is growth with the step count.
  expect(late, `${what}: ${samples.join(' ')}`).toBeLessThanOrEqual(1.2 * early);
}

const backends: [string, () => Promise<Backend | { reason: string } | null>][] = [
  ['cpu', async () => null],
  ['wasm', () => wasm()],
  ['webgpu', async () => { const found = await webgpuOrReason(); return 'backend' in found ? found.backend : found; }],
];

describe('the canonical loop without scope or dispose', () => {
  configureGarbageCollection({ afterBytes: 4 * 2 ** 20 });
  afterAll(() => configureGarbageCollection({ afterBytes: 256 * 2 ** 20 }));

  for (const [name, make] of backends) {
    it(`runs ${STEPS} steps with flat memory on ${name}`, async (context) => {
      const made = await make();
      if (made && 'reason' in made) {
        if (process.env.CI) throw new Error(made.reason);
        context.skip();
        return;
      }
      if (made) registerBackend(made);
      try {
        const { tensors, bytes } = await run(name);
        expectFlat(tensors, `${name} live tensors every ${READ_EVERY} steps`);
        expectFlat(bytes, `${name} live bytes every ${READ_EVERY} steps`);
        // Without collection a step leaves ~40 tensors behind: 200,000 by the end.
        expect(Math.max(...tensors)).toBeLessThan(STEPS);
      } finally {
        if (made) {
          unregisterBackend(made.name);
          await made.destroy();
        }
      }
      // lavapipe runs the 5,000 steps in ~30 s alone, longer beside CI's other suites.
    }, 300_000);
  }
});
