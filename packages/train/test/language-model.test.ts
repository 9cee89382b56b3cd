import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualSeed, tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { TbpttBatcher } from '@fathom/datasets';
import { crossEntropy } from '@fathom/layers';
import { CharRNN } from '@fathom/models';
import { Adam, SGD } from '@fathom/optim';
import { evaluateLanguageModel, fitLanguageModel, readCheckpointInfo, type CaptureStatus, type LanguageModelStep } from '../src/index.js';

useAutograd();

const dirs: string[] = [];
afterAll(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fathom-lm-'));
  dirs.push(dir);
  return dir;
}

const VOCAB = 7;
// 2 streams of 10 ids: windows of 3 cover steps 0–2, 3–5, 6–8 (the last id is only a target).
const IDS = Int32Array.from([0, 3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 1, 0, 2, 6, 4, 3, 3, 2, 1]);
const STREAM = 10;

function smallModel(cell: 'lstm' | 'gru' = 'lstm', dropout = 0): CharRNN {
  manualSeed(11);
  return new CharRNN({ vocabSize: VOCAB, cell, embeddingDim: 3, hiddenSize: 4, numLayers: 2, dropout });
}

/** Per-position cross-entropy of one unrolled pass over each whole stream, from zeros: (B, L − 1). */
async function unrolledLosses(model: CharRNN): Promise<number[][]> {
  const input = tensor(Array.from({ length: 2 }, (_, b) => Array.from(IDS.subarray(b * STREAM, b * STREAM + STREAM - 1))), { dtype: 'int32' });
  const target = Array.from({ length: 2 }, (_, b) => Array.from(IDS.subarray(b * STREAM + 1, b * STREAM + STREAM)));
  const logits = model.forward(input).logits; // (2, 9, V)
  const losses = crossEntropy(logits.reshape(18, VOCAB), tensor(target.flat(), { dtype: 'int32' }), { reduction: 'none' });
  const values = Array.from(await losses.data());
  return [values.slice(0, 9), values.slice(9)];
}

describe('fitLanguageModel: truncated BPTT', () => {
  it('carries the hidden state across windows and resets it each pass: window losses equal an unrolled pass over each stream', async () => {
    for (const cell of ['lstm', 'gru'] as const) {
      const model = smallModel(cell);
      const unrolled = await unrolledLosses(model);
      const steps: LanguageModelStep[] = [];
      // lr 0: the weights never move, so every window is scored by the same model as the unrolled pass.
      await fitLanguageModel({
        model, optimizer: new SGD(model.parameters(), { lr: 0 }), train: new TbpttBatcher(IDS, { batchSize: 2, seqLength: 3 }),
        steps: 6, device: 'cpu', callbacks: { onStep: (record) => steps.push(record) },
      });
      expect(steps.map((s) => [s.epoch, s.batch])).toEqual([[0, 1], [0, 2], [0, 3], [1, 1], [1, 2], [1, 3]]);
      steps.forEach((record, i) => {
        const window = i % 3;
        const positions = [0, 1].flatMap((b) => unrolled[b].slice(window * 3, window * 3 + 3));
        const expected = positions.reduce((a, b) => a + b, 0) / positions.length;
        expect(Math.abs(record.loss - expected)).toBeLessThan(1e-5);
        expect(record.bpc).toBeCloseTo(record.loss / Math.LN2, 10);
      });
    }
  });

  it('stops gradients at the window edge: the second window\'s gradients are those of its loss from a constant initial state', async () => {
    const model = smallModel();
    const first = tensor([[0, 3, 1], [5, 1, 0]], { dtype: 'int32' });
    const second = tensor([[4, 1, 5], [2, 6, 4]], { dtype: 'int32' });
    const secondTarget = tensor([1, 5, 2, 6, 4, 3], { dtype: 'int32' });
    // The reference: window 1 from zeros, its final state copied into plain constant tensors, window 2 from them.
    const boundary = model.forward(first);
    const h0 = tensor(await boundary.h.toArray() as number[][][]);
    const c0 = tensor(await boundary.c!.toArray() as number[][][]);
    const truncated = crossEntropy(model.forward(second, { h: h0, c: c0 }).logits.reshape(6, VOCAB), secondTarget);
    const parameters = model.parameters();
    parameters.forEach((p) => { p.grad = null; });
    truncated.backward();
    const expected = await Promise.all(parameters.map(async (p) => Array.from(await p.grad!.data())));
    // The untruncated gradient of the same loss reaches into window 1 and differs.
    parameters.forEach((p) => { p.grad = null; });
    const whole = model.forward(tensor([[0, 3, 1, 4, 1, 5], [5, 1, 0, 2, 6, 4]], { dtype: 'int32' })).logits.slice(1, 3, 6);
    crossEntropy(whole.reshape(6, VOCAB), secondTarget).backward();
    const untruncated = Array.from(await parameters[0].grad!.data()); // the embedding's

    let atStep2: number[][] = [];
    await fitLanguageModel({
      model, optimizer: new SGD(parameters, { lr: 0 }), train: new TbpttBatcher(IDS, { batchSize: 2, seqLength: 3 }), steps: 2, device: 'cpu',
      callbacks: { onStep: (record) => { if (record.step === 2) atStep2 = parameters.map((p) => Array.from(p.grad!.dataSync())); } },
    });
    expect(atStep2).toHaveLength(parameters.length);
    atStep2.forEach((grad, i) => grad.forEach((g, j) => expect(Math.abs(g - expected[i][j])).toBeLessThan(1e-6)));
    const gap = Math.max(...untruncated.map((g, j) => Math.abs(g - expected[0][j])));
    expect(gap).toBeGreaterThan(1e-4);
  });

  it('resumes bit for bit: stopped after step 4 and resumed, the run ends with the weights and validations of one that never stopped', async () => {
    const train = new TbpttBatcher(IDS, { batchSize: 2, seqLength: 3 });
    const validation = new TbpttBatcher(IDS.subarray(0, 12), { batchSize: 2, seqLength: 2 });
    const run = async (dir: string, options: { readonly stopAt?: number; readonly resume?: boolean }) => {
      const model = smallModel('lstm', 0.3); // dropout: the random stream must resume too
      const optimizer = new Adam(model.parameters(), { lr: 0.05 });
      const controller = new AbortController();
      const result = await fitLanguageModel({
        model, optimizer, train, validation, steps: 8, evalEvery: 3, device: 'cpu', clipGradNorm: 1, checkpointDir: dir,
        resumeFrom: options.resume ? join(dir, 'last.safetensors') : undefined, signal: controller.signal,
        sample: async (step) => `sample at ${step}`,
        callbacks: { onStep: (record) => { if (record.step === options.stopAt) controller.abort(); } },
      });
      return { result, weights: await Promise.all(model.parameters().map(async (p) => Array.from(await p.data()))) };
    };
    const whole = await run(tempDir(), {});
    expect(whole.result.status).toBe('completed');
    expect(whole.result.evaluations.map((e) => e.step)).toEqual([3, 6, 8]); // each pass's end (3, 6), every 3, and the last
    const dir = tempDir();
    const stopped = await run(dir, { stopAt: 4 });
    expect(stopped.result.status).toBe('interrupted');
    expect((await readCheckpointInfo(join(dir, 'last.safetensors'))).step).toBe(4);
    const resumed = await run(dir, { resume: true });
    expect(resumed.result.step).toBe(8);
    expect(resumed.weights).toEqual(whole.weights);
    expect(resumed.result.evaluations.map((e) => [e.step, e.loss, e.sample])).toEqual(whole.result.evaluations.map((e) => [e.step, e.loss, e.sample]));
    expect(resumed.result.best).toEqual(whole.result.best);
  });

  it('with captureSteps replays the windows that start from a carried state, to the same losses and weights bit for bit', async () => {
    const train = new TbpttBatcher(IDS, { batchSize: 2, seqLength: 3 });
    const run = async (captureSteps: boolean) => {
      const model = smallModel('lstm');
      const optimizer = new Adam(model.parameters(), { lr: 0.05 });
      const losses: number[] = [];
      const statuses: CaptureStatus[] = [];
      await fitLanguageModel({
        model, optimizer, train, steps: 18, device: 'cpu', clipGradNorm: 1, captureSteps,
        callbacks: { onStep: (record) => { losses.push(record.loss); }, onCapture: (status) => { statuses.push(status); } },
      });
      return { losses, statuses, weights: await Promise.all(model.parameters().map(async (p) => Array.from(await p.data()))) };
    };
    const eager = await run(false);
    const captured = await run(true);
    // Windows 2 and 3 of each pass start from the carried state; the first starts from zeros and runs eagerly.
    expect(captured.statuses).toEqual([{ mode: 'replaying', reason: null }]);
    expect(captured.losses).toEqual(eager.losses);
    expect(captured.weights).toEqual(eager.weights);
  });
});

describe('evaluateLanguageModel', () => {
  it('scores every window with the state carried: the loss of an unrolled pass, in nats, bits and perplexity', async () => {
    const model = smallModel();
    const unrolled = (await unrolledLosses(model)).flat();
    const expected = unrolled.reduce((a, b) => a + b, 0) / unrolled.length;
    const result = await evaluateLanguageModel(model, new TbpttBatcher(IDS, { batchSize: 2, seqLength: 4 }), { device: 'cpu' });
    expect(result.tokens).toBe(18);
    expect(Math.abs(result.loss - expected)).toBeLessThan(1e-6);
    expect(result.bpc).toBeCloseTo(expected / Math.LN2, 6);
    expect(result.perplexity).toBeCloseTo(Math.exp(expected), 5);
    expect(model.training).toBe(true);
  });
});
