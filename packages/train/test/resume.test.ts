import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, randint, randn, registerBackend, unregisterBackend, type Backend, type Device } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { DataLoader, LabeledTensorDataset } from '@fathom/datasets';
import { crossEntropy, Dropout, Linear, ReLU, Sequential } from '@fathom/layers';
import { SGD, StepLR } from '@fathom/optim';
import { wasm } from '@fathom/wasm';
import { loadCheckpoint, readCheckpointInfo, saveCheckpoint } from '../src/index.js';

useAutograd();

// TESTING.md: a run resumed from a checkpoint continues exactly as an
// uninterrupted one — same losses bit for bit — on cpu and wasm. Everything
// a step depends on is in play: weights, SGD momentum and weight decay, a
// StepLR schedule, a shuffled loader stopped mid-epoch, and dropout drawing
// from the default generator.

const SAMPLES = 40;
const BATCH = 8; // 5 batches an epoch
const TOTAL_STEPS = 13;
const STOP_AT = 7; // mid-epoch 2

function makeRun(device: Device, seed: number) {
  manualSeed(seed);
  const model = new Sequential(new Linear(6, 16), new ReLU(), new Dropout(0.3), new Linear(16, 3)).to(device);
  const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
  const scheduler = new StepLR(optimizer, { stepSize: 1, gamma: 0.5 });
  manualSeed(2024); // the data is the same in every run
  const dataset = new LabeledTensorDataset(randn([SAMPLES, 6]), randint(0, 3, [SAMPLES], { dtype: 'int32' }));
  const loader = new DataLoader(dataset, { batchSize: BATCH, shuffle: true, seed: 11 });
  manualSeed(seed + 1); // dropout's stream; restored from the checkpoint on resume
  return { model, optimizer, scheduler, loader, device };
}

type Run = ReturnType<typeof makeRun>;

/** Trains until `run` has taken `until` steps in all, from `step`; returns the losses. */
async function train(run: Run, step: number, until: number): Promise<number[]> {
  const losses: number[] = [];
  while (step < until) {
    for await (const batch of run.loader) {
      const loss = crossEntropy(run.model.forward(batch.x.to(run.device)), batch.y.to(run.device));
      run.optimizer.zeroGrad();
      loss.backward();
      run.optimizer.step();
      losses.push(await loss.item());
      if (++step === until) break;
    }
    if (run.loader.position === 0) run.scheduler.step(); // an epoch ended
  }
  return losses;
}

const backends: [string, () => Promise<Backend | null>][] = [
  ['cpu', async () => null],
  ['wasm', async () => wasm()],
];

for (const [device, make] of backends) {
  describe(`resume on ${device}`, () => {
    let backend: Backend | null = null;
    beforeAll(async () => {
      backend = await make();
      if (backend) registerBackend(backend);
    });
    afterAll(() => {
      if (backend) {
        unregisterBackend(backend.name);
        backend.destroy();
      }
    });

    it('continues with the same losses, bit for bit, as a run that never stopped', async () => {
      const whole = await train(makeRun(device, 1), 0, TOTAL_STEPS);

      const dir = mkdtempSync(join(tmpdir(), 'fathom-resume-'));
      const path = join(dir, 'last.safetensors');
      const first = makeRun(device, 1);
      const before = await train(first, 0, STOP_AT);
      await saveCheckpoint(path, first, { epoch: first.loader.epoch, step: STOP_AT, metrics: { best: Infinity, losses: before }, metadata: { arch: 'mlp' } });

      // A fresh process would build everything anew, from another seed even.
      const resumed = makeRun(device, 99);
      const saved = await loadCheckpoint(path, resumed);
      expect(saved.step).toBe(STOP_AT);
      expect(saved.metrics).toEqual({ best: Infinity, losses: before });
      expect(resumed.loader.position).toBe(STOP_AT % (SAMPLES / BATCH));
      const after = await train(resumed, saved.step, TOTAL_STEPS);

      expect(before.length + after.length).toBe(TOTAL_STEPS);
      expect([...before, ...after]).toEqual(whole);
      expect(whole.every(Number.isFinite)).toBe(true);
      expect(readdirSync(dir)).toEqual(['last.safetensors']);
    });
  });
}

describe('checkpoint contents', () => {
  it('reads the progress and metadata without the tensors, and refuses plain weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fathom-info-'));
    const run = makeRun('cpu', 3);
    await train(run, 0, 2);
    await saveCheckpoint(join(dir, 'c.safetensors'), run, { epoch: 0, step: 2, metadata: { vocabulary: ['a', 'b'] } });
    const info = await readCheckpointInfo(join(dir, 'c.safetensors'));
    expect(info).toMatchObject({ version: 1, epoch: 0, step: 2, metadata: { vocabulary: ['a', 'b'] } });
    const { saveWeights } = await import('@fathom/io/node');
    await saveWeights(run.model, join(dir, 'w.safetensors'));
    await expect(loadCheckpoint(join(dir, 'w.safetensors'), run)).rejects.toThrow(/not a Fathom training checkpoint/);
  });

  it('refuses a checkpoint of another model, naming the keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fathom-other-'));
    const run = makeRun('cpu', 3);
    await saveCheckpoint(join(dir, 'c.safetensors'), { model: run.model }, { epoch: 0, step: 0 });
    const other = new Sequential(new Linear(6, 4));
    await expect(loadCheckpoint(join(dir, 'c.safetensors'), { model: other })).rejects.toThrow(/missing keys|unexpected keys|shape/);
  });
});
