import { describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, randn, scope, tensor, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy } from '@fathom/layers';
import { Adam } from '@fathom/optim';
import { CharLSTM, type CharLSTMState } from './char-lstm.js';

useAutograd();

const ints = (rows: number[][]): Tensor => tensor(rows, { dtype: 'int32' });

describe('CharLSTM', () => {
  it("has PyTorch's keys and shapes", () => {
    const model = new CharLSTM({ vocabSize: 10, embeddingDim: 8, hiddenSize: 16, numLayers: 2 });
    const shapes = Object.fromEntries(Object.entries(model.stateDict()).map(([key, t]) => [key, t.shape]));
    expect(shapes).toEqual({
      'embedding.weight': [10, 8],
      'lstm.weight_ih_l0': [64, 8], 'lstm.weight_hh_l0': [64, 16], 'lstm.bias_ih_l0': [64], 'lstm.bias_hh_l0': [64],
      'lstm.weight_ih_l1': [64, 16], 'lstm.weight_hh_l1': [64, 16], 'lstm.bias_ih_l1': [64], 'lstm.bias_hh_l1': [64],
      'decoder.weight': [10, 16], 'decoder.bias': [10],
    });
    // 10·8 + (64·8 + 64·16 + 2·64) + (64·16 + 64·16 + 2·64) + 16·10 + 10 = 80 + 1,664 + 2,176 + 170
    expect(model.parameters().reduce((n, p) => n + p.numel, 0)).toBe(4_090);
  });

  it('maps (N, T) tokens to (N, T, V) logits and (numLayers, N, H) states', () => {
    const model = new CharLSTM({ vocabSize: 10, embeddingDim: 8, hiddenSize: 16, numLayers: 2 });
    const { logits, h, c } = model.forward(ints([[1, 2, 3, 4, 5, 6, 7], [0, 9, 8, 7, 6, 5, 4], [3, 3, 3, 3, 3, 3, 3]]));
    expect(logits.shape).toEqual([3, 7, 10]);
    expect(h.shape).toEqual([2, 3, 16]);
    expect(c.shape).toEqual([2, 3, 16]);
  });

  it('carries state across windows: two halves with the state passed on equal one pass', async () => {
    manualSeed(3);
    const model = new CharLSTM({ vocabSize: 6, embeddingDim: 4, hiddenSize: 5, numLayers: 2, dropout: 0.3 }).eval();
    const whole = model.forward(ints([[0, 1, 2, 3, 4, 5], [5, 5, 1, 0, 2, 2]]));
    const first = model.forward(ints([[0, 1, 2, 3], [5, 5, 1, 0]]));
    const second = model.forward(ints([[4, 5], [2, 2]]), { h: first.h.detach(), c: first.c.detach() });
    const expected = Array.from(await whole.logits.slice(1, 4, 6).data());
    const actual = Array.from(await second.logits.data());
    expect(actual).toHaveLength(2 * 2 * 6);
    actual.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-6));
    const finalH = Array.from(await whole.h.data());
    Array.from(await second.h.data()).forEach((v, i) => expect(Math.abs(v - finalH[i])).toBeLessThanOrEqual(1e-6));
  });

  it('names bad tokens and bad options', () => {
    const model = new CharLSTM({ vocabSize: 10, embeddingDim: 8, hiddenSize: 16, numLayers: 1 });
    expect(() => model.forward(tensor([1, 2, 3], { dtype: 'int32' }))).toThrow('CharLSTM: tokens must be (N, T), got [3]');
    expect(() => model.forward(randn([2, 3]))).toThrow('CharLSTM: tokens must be int32 token indices, got float32');
    expect(() => new CharLSTM({ vocabSize: 0 })).toThrow('CharLSTM: vocabSize must be a positive integer, got 0');
    const wrongState = { h: randn([2, 1, 16]), c: randn([2, 1, 16]) };
    expect(() => model.forward(ints([[1, 2]]), wrongState)).toThrow(/initial state must be \[1,1,16\]/);
  });

  it('learns a periodic string with truncated BPTT, state carried and detached, memory flat', () => {
    manualSeed(0);
    // "hello world " repeated: 8 distinct characters, so a model that knows nothing scores ln 8 ≈ 2.08.
    // After 'l' comes 'l', 'o' or 'd' and after 'o' comes ' ' or 'r', so the LSTM must remember context.
    const period = 'hello world ';
    const vocabulary = [...new Set(period)];
    expect(vocabulary).toHaveLength(8);
    const streams = 4;
    const streamLength = 121; // 120 inputs and their next characters
    const window = 12;
    const text = Array.from({ length: streams * streamLength }, (_, i) => vocabulary.indexOf(period[i % period.length]));
    // Four parallel streams (N = 4) that start at different phases of the period.
    const rows = Array.from({ length: streams }, (_, s) => text.slice(s * 133 % text.length).concat(text).slice(0, streamLength));

    const model = new CharLSTM({ vocabSize: 8, embeddingDim: 8, hiddenSize: 32, numLayers: 1 });
    const optimizer = new Adam(model.parameters(), { lr: 0.02 });
    const epochs = 10;
    const epochLosses: number[] = [];
    let firstLoss: number | undefined;
    let before = memoryStats();
    for (let epoch = 0; epoch < epochs; epoch++) {
      let state: CharLSTMState | undefined;
      let total = 0;
      for (let start = 0; start + window < streamLength; start += window) {
        const inputs = ints(rows.map((r) => r.slice(start, start + window))); // (N, T)
        const targets = tensor(rows.flatMap((r) => r.slice(start + 1, start + window + 1)), { dtype: 'int32' }); // (N·T)
        const next = scope(() => {
          const { logits, h, c } = model.forward(inputs, state);
          const loss = crossEntropy(logits.reshape(streams * window, 8), targets);
          optimizer.zeroGrad();
          loss.backward();
          optimizer.step();
          const value = loss.dataSync()[0];
          if (firstLoss === undefined) firstLoss = value;
          total += value;
          return { h: h.detach(), c: c.detach() };
        });
        state?.h.dispose();
        state?.c.dispose();
        inputs.dispose();
        targets.dispose();
        state = next;
      }
      state?.h.dispose();
      state?.c.dispose();
      epochLosses.push(total / 10); // 10 windows of 12 per epoch
      if (epoch === 0) before = memoryStats();
    }
    const after = memoryStats();
    expect(after.tensors).toBeLessThanOrEqual(before.tensors);
    expect(after.bytes).toBeLessThanOrEqual(before.bytes);
    expect(firstLoss).toBeGreaterThan(0.9 * Math.log(8));
    // A model that sees only the current character cannot beat the bigram entropy
    // (3·ln 3 + 2·ln 2) / 12 ≈ 0.39 per character (three 'l's, two 'o's per period); the LSTM must.
    expect(epochLosses.at(-1)!).toBeLessThan(0.2);
  });
});
