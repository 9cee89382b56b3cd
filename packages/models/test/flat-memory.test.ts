import { afterAll, describe, expect, it } from 'vitest';
import { configureGarbageCollection, manualSeed, memoryStats, randint, randn, registerBackend, unregisterBackend, type Backend, type Device, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy } from '@fathom/layers';
import { SGD } from '@fathom/optim';
import { wasm } from '@fathom/wasm';
import { webgpuOrReason } from '@fathom/webgpu';
import { CharLSTM, MLP, type CharLSTMState } from '../src/index.js';

useAutograd();

// TESTING.md: the loop as PyTorch users write it — no scope(), no
// dispose(), the loss read every 50 steps — runs 5,000 steps with flat
// memory on every backend. Core collects garbage itself once enough device
// memory has churned; a low threshold here makes a small model collect
// often, as a large one does at the default 256 MiB.

const STEPS = 5000;
const READ_EVERY = 50;
// 5,000 in CI, as the others (10,000 take ~2 minutes under CI's load); FLAT_MEMORY_LSTM_STEPS=10000 for the count.
const LSTM_STEPS = Number(process.env.FLAT_MEMORY_LSTM_STEPS ?? 5000);

/** Live tensors and bytes every {@link READ_EVERY} steps, with the loss read there as a user's loop reads it. */
class MemorySamples {
  readonly tensors: number[] = [];
  readonly bytes: number[] = [];
  constructor(private readonly device: Device) {}

  async after(step: number, loss: Tensor): Promise<void> {
    if (step % READ_EVERY !== 0) return;
    expect(Number.isFinite(await loss.item())).toBe(true);
    const stats = memoryStats(this.device);
    this.tensors.push(stats.tensors);
    this.bytes.push(stats.bytes);
  }
}

async function run(device: Device): Promise<MemorySamples> {
  manualSeed(0);
  const model = new MLP({ inFeatures: 64, hiddenSizes: [64], numClasses: 10 }).to(device);
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = randn([32, 64], { device });
  const y = randint(0, 10, [32], { device });
  const samples = new MemorySamples(device);
  for (let step = 1; step <= STEPS; step++) {
    const loss = crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    await samples.after(step, loss);
  }
  return samples;
}

/**
 * A char-LSTM trained with truncated BPTT as a PyTorch user writes it: the
 * state carried to the next window with `detach()`, nothing scoped or
 * disposed.
 */
async function runCharLstm(device: Device, steps: number): Promise<MemorySamples> {
  manualSeed(0);
  const model = new CharLSTM({ vocabSize: 20, embeddingDim: 8, hiddenSize: 32, numLayers: 1 }).to(device);
  const optimizer = new SGD(model.parameters(), { lr: 0.1 });
  const stream = randint(0, 20, [8, 8 * 16 + 1], { device }); // 8 streams, 16 windows of 8
  const samples = new MemorySamples(device);
  let state: CharLSTMState | undefined;
  for (let step = 1; step <= steps; step++) {
    const window = (step - 1) % 16;
    if (window === 0) state = undefined;
    const input = stream.slice(1, window * 8, window * 8 + 8);
    const target = stream.slice(1, window * 8 + 1, window * 8 + 9);
    const out = model.forward(input, state);
    const loss = crossEntropy(out.logits.reshape(64, 20), target.reshape(64));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    state = { h: out.h.detach(), c: out.c.detach() };
    await samples.after(step, loss);
  }
  return samples;
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

  it(`runs a char-LSTM with truncated BPTT (state carried and detached) ${LSTM_STEPS} steps with flat memory on wasm`, async () => {
    const backend = await wasm();
    registerBackend(backend);
    try {
      const { tensors, bytes } = await runCharLstm(backend.name, LSTM_STEPS);
      expectFlat(tensors, `wasm char-LSTM live tensors every ${READ_EVERY} steps`);
      expectFlat(bytes, `wasm char-LSTM live bytes every ${READ_EVERY} steps`);
      // Each step leaves 177 small tensors behind (8 LSTM steps forward and back) that weigh little, so
      // collections come seldom; without them 5,000 steps would end with 885,000.
      expect(Math.max(...tensors)).toBeLessThan(100_000);
    } finally {
      unregisterBackend(backend.name);
      await backend.destroy();
    }
  }, 300_000);
});
