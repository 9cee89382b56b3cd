import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualSeed, randn, tensor, memoryStats, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { DataLoader, LabeledTensorDataset } from '@fathom/datasets';
import { BatchNorm1d, crossEntropy, Dropout, Linear, ReLU, Sequential } from '@fathom/layers';
import { SGD, StepLR } from '@fathom/optim';
import { DivergenceError, evaluate, fit, topkCorrect, type CaptureStatus, type StepRecord } from '../src/index.js';

useAutograd();

/** Three Gaussian blobs in 4-D, 60 per class: separable, so a small MLP should reach high accuracy. */
function blobs(seed: number, perClass = 60): LabeledTensorDataset {
  manualSeed(seed);
  const centres = [[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]];
  const x = randn([3 * perClass, 4]).mul(0.7).add(tensor(centres.flatMap((c) => Array.from({ length: perClass }, () => c))));
  const y = tensor(new Int32Array(Array.from({ length: 3 * perClass }, (_, i) => Math.floor(i / perClass))));
  return new LabeledTensorDataset(x, y);
}

function makeRun(seed = 0, dropout = true, batchNorm = false) {
  const train = blobs(100);
  const val = blobs(200, 20);
  manualSeed(seed);
  const hidden = [new Linear(4, 16), ...(batchNorm ? [new BatchNorm1d(16)] : []), new ReLU(), ...(dropout ? [new Dropout(0.1)] : [])];
  const model = new Sequential(...hidden, new Linear(16, 3));
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const scheduler = new StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
  const trainLoader = new DataLoader(train, { batchSize: 32, shuffle: true, seed: 5 });
  const valLoader = new DataLoader(val, { batchSize: 25 });
  return { model, optimizer, scheduler, trainLoader, valLoader, device: 'cpu' as const, loss: (l: Tensor, y: Tensor) => crossEntropy(l, y) };
}

describe('fit', () => {
  it('trains, validates each epoch, keeps last and best, and reports every step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fathom-fit-'));
    const steps: StepRecord[] = [];
    const epochs: number[] = [];
    const run = makeRun();
    const result = await fit({
      ...run, epochs: 4, checkpointDir: dir, topk: [1, 2], confusionClasses: 3, keepMisclassified: 5,
      callbacks: { onStep: (s) => steps.push(s), onEpoch: (e) => { epochs.push(e.epoch); } },
    });
    expect(result.status).toBe('completed');
    expect(result.step).toBe(4 * 6); // 180 samples in batches of 32
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(steps[0].batch).toBe(1);
    expect(steps[5].batches).toBe(6);
    expect(steps.map((s) => s.lr).filter((lr, i, all) => i === 0 || lr !== all[i - 1])).toEqual([0.05, 0.025]);
    expect(epochs).toEqual([0, 1, 2, 3]);
    expect(result.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    expect(result.history[3].val!.accuracy.acc1).toBeGreaterThanOrEqual(0.95);
    expect(result.history[3].val!.accuracy.acc2).toBeGreaterThanOrEqual(result.history[3].val!.accuracy.acc1);
    expect(result.history[3].trainLoss).toBeLessThan(result.history[0].trainLoss);
    expect(result.evaluation!.confusion!.flat().reduce((a, b) => a + b)).toBe(60);
    expect(result.checkpoints).toEqual({ last: join(dir, 'last.safetensors'), best: join(dir, 'best.safetensors') });
    expect(result.best!.acc1).toBe(Math.max(...result.history.map((h) => h.val!.accuracy.acc1)));
  });

  it('with captureSteps replays the forward and backward passes and trains to the same losses and weights, bit for bit', async () => {
    const train = async (captureSteps: boolean) => {
      const run = makeRun(0, false);
      const losses: number[] = [];
      const statuses: CaptureStatus[] = [];
      await fit({ ...run, epochs: 3, captureSteps, callbacks: { onStep: (s) => { losses.push(s.loss); }, onCapture: (status) => { statuses.push(status); } } });
      return { losses, statuses, weights: run.model.parameters().map((p) => Array.from(p.dataSync())) };
    };
    const eager = await train(false);
    const captured = await train(true);
    expect(captured.statuses).toEqual([{ mode: 'replaying', reason: null }]);
    expect(captured.losses).toEqual(eager.losses); // every epoch's last batch (20 of 180) has other shapes and runs eagerly
    expect(captured.weights).toEqual(eager.weights);
  });

  it('with captureSteps replays BatchNorm, whose kernel moves the running statistics, to the same losses, weights and statistics', async () => {
    const train = async (captureSteps: boolean) => {
      const run = makeRun(0, false, true);
      const losses: number[] = [];
      const statuses: CaptureStatus[] = [];
      await fit({ ...run, epochs: 3, captureSteps, callbacks: { onStep: (s) => { losses.push(s.loss); }, onCapture: (status) => { statuses.push(status); } } });
      return { losses, statuses, state: Object.values(run.model.stateDict()).map((t) => Array.from(t.dataSync())) };
    };
    const eager = await train(false);
    const captured = await train(true);
    expect(captured.statuses).toEqual([{ mode: 'replaying', reason: null }]);
    expect(captured.losses).toEqual(eager.losses);
    expect(captured.state).toEqual(eager.state); // weights, running mean and variance, batches tracked
  });

  it('with captureSteps keeps a model with dropout eager and says why', async () => {
    const statuses: CaptureStatus[] = [];
    await fit({ ...makeRun(), epochs: 1, captureSteps: true, callbacks: { onCapture: (status) => { statuses.push(status); } } });
    expect(statuses).toHaveLength(1);
    expect(statuses[0].mode).toBe('eager');
    expect(statuses[0].reason).toMatch(/random draw/);
  });

  it('stops within one step on a NaN loss and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fathom-nan-'));
    const run = makeRun();
    let calls = 0;
    // Training step 8 (epoch 2's second batch) makes a NaN, as an exploding run would.
    const loss = (logits: Tensor, y: Tensor) => (run.model.training && ++calls === 8 ? crossEntropy(logits, y).mul(Number.NaN) : crossEntropy(logits, y));
    const before: Record<string, Buffer> = {};
    const error = await fit({
      ...run, loss, epochs: 3, checkpointDir: dir,
      callbacks: { onEpoch: () => { for (const name of ['last', 'best']) before[name] = readFileSync(join(dir, `${name}.safetensors`)); } },
    }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).step).toBe(8);
    expect((error as DivergenceError).epoch).toBe(1);
    expect((error as Error).message).toMatch(/loss is NaN.*detectAnomaly/);
    for (const name of ['last', 'best']) expect(readFileSync(join(dir, `${name}.safetensors`)).equals(before[name])).toBe(true);
  });

  it('interrupted mid-epoch, saves last and resumes to the same losses as an uninterrupted run', async () => {
    const record = (into: number[]) => ({ onStep: (s: StepRecord) => { into.push(s.loss); } });
    const whole: number[] = [];
    const uninterrupted = await fit({ ...makeRun(), epochs: 3, callbacks: record(whole) });

    const dir = mkdtempSync(join(tmpdir(), 'fathom-interrupt-'));
    const controller = new AbortController();
    const first: number[] = [];
    const stopped = await fit({
      ...makeRun(), epochs: 3, checkpointDir: dir, signal: controller.signal,
      callbacks: { onStep: (s) => { first.push(s.loss); if (s.step === 9) controller.abort(); } },
    });
    expect(stopped.status).toBe('interrupted');
    expect(stopped.step).toBe(9);
    const rest: number[] = [];
    const resumed = await fit({ ...makeRun(42), epochs: 3, checkpointDir: dir, resumeFrom: join(dir, 'last.safetensors'), callbacks: record(rest) });
    expect(resumed.status).toBe('completed');
    expect([...first, ...rest]).toEqual(whole);
    expect(resumed.history.map((h) => h.val!.accuracy.acc1)).toEqual(uninterrupted.history.map((h) => h.val!.accuracy.acc1));
    // The interrupted epoch's summary covers its batches from before the stop too (the checkpoint carries their sums).
    expect(resumed.history.map((h) => [h.trainLoss, h.trainAcc1])).toEqual(uninterrupted.history.map((h) => [h.trainLoss, h.trainAcc1]));
  });

  it('keeps memory flat across epochs', async () => {
    const run = makeRun();
    const counts: number[] = [];
    await fit({ ...run, epochs: 5, callbacks: { onEpoch: () => { counts.push(memoryStats().tensors); } } });
    expect(new Set(counts.slice(1)).size).toBe(1);
  });
});

describe('evaluate and top-k', () => {
  it('counts top-k hits, ties in the label\'s favour, a confusion matrix and the most confident mistakes', async () => {
    // Hand-made logits: row 0 right; row 1 label 2 ranked second; row 2 label 0 ranked third; row 3 a tie at the top.
    const logits = tensor([[5, 1, 0], [4, 0, 3], [1, 3, 2], [2, 2, 0]]);
    const labels = tensor(new Int32Array([0, 2, 0, 1]));
    expect(await topkCorrect(logits, labels, 1).item()).toBe(2); // rows 0 and 3 (tie)
    expect(await topkCorrect(logits, labels, 2).item()).toBe(3);
    expect(await topkCorrect(logits, labels, 3).item()).toBe(4);
    const model = new Sequential(new Linear(3, 3));
    // An identity layer: the logits are the inputs.
    model.loadStateDict({ '0.weight': tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]]), '0.bias': tensor([0, 0, 0]) });
    const loader = [{ x: logits, y: labels }];
    const result = await evaluate(model, (async function* () { yield* loader; })(), {
      device: 'cpu', loss: (l, y) => crossEntropy(l, y), topk: [1, 2], confusionClasses: 3, keepMisclassified: 2,
    });
    expect(result.samples).toBe(4);
    expect(result.accuracy).toEqual({ acc1: 0.5, acc2: 0.75 });
    // argmax picks the first of tied maxima (row 3 → class 0), as torch.argmax does.
    expect(result.confusion).toEqual([[1, 0, 0], [1, 0, 0], [0, 1, 0]].map((row, label) => (label === 2 ? [1, 0, 0] : label === 0 ? [1, 1, 0] : row)));
    const p = (row: number[], k: number) => Math.exp(row[k]) / row.reduce((s, v) => s + Math.exp(v), 0);
    expect(result.misclassified!.map((m) => [m.index, m.label, m.predicted])).toEqual([[1, 2, 0], [2, 0, 1]]);
    expect(result.misclassified![0].confidence).toBeCloseTo(p([4, 0, 3], 0), 6);
    // Mean cross-entropy written out: −log softmax of each row's label.
    const rows = [[5, 1, 0], [4, 0, 3], [1, 3, 2], [2, 2, 0]];
    const want = rows.reduce((s, row, i) => s - Math.log(p(row, [0, 2, 0, 1][i])), 0) / 4;
    expect(result.loss).toBeCloseTo(want, 6);
  });
});
