import { describe, expect, it } from 'vitest';
import { manualSeed, tensor, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { CharRNN, type CharRNNCell } from './char-rnn.js';

useAutograd();

const ints = (rows: number[][]): Tensor => tensor(rows, { dtype: 'int32' });

describe('CharRNN', () => {
  it.each([['gru', 3], ['rnn', 1]] as const)("a %s core has PyTorch's keys under its cell's name and carries h only", (cell: CharRNNCell, gates: number) => {
    const model = new CharRNN({ vocabSize: 10, cell, embeddingDim: 8, hiddenSize: 16, numLayers: 2 });
    const shapes = Object.fromEntries(Object.entries(model.stateDict()).map(([key, t]) => [key, t.shape]));
    expect(shapes).toEqual({
      'embedding.weight': [10, 8],
      [`${cell}.weight_ih_l0`]: [gates * 16, 8], [`${cell}.weight_hh_l0`]: [gates * 16, 16], [`${cell}.bias_ih_l0`]: [gates * 16], [`${cell}.bias_hh_l0`]: [gates * 16],
      [`${cell}.weight_ih_l1`]: [gates * 16, 16], [`${cell}.weight_hh_l1`]: [gates * 16, 16], [`${cell}.bias_ih_l1`]: [gates * 16], [`${cell}.bias_hh_l1`]: [gates * 16],
      'decoder.weight': [10, 16], 'decoder.bias': [10],
    });
    const out = model.forward(ints([[1, 2, 3], [4, 5, 6]]));
    expect(out.logits.shape).toEqual([2, 3, 10]);
    expect(out.h.shape).toEqual([2, 2, 16]);
    expect(out.c).toBeUndefined();
  });

  it('a GRU carries its state across windows: two halves equal one pass', async () => {
    manualSeed(5);
    const model = new CharRNN({ vocabSize: 6, cell: 'gru', embeddingDim: 4, hiddenSize: 5, numLayers: 2 }).eval();
    const whole = model.forward(ints([[0, 1, 2, 3, 4, 5], [5, 5, 1, 0, 2, 2]]));
    const first = model.forward(ints([[0, 1, 2, 3], [5, 5, 1, 0]]));
    const second = model.forward(ints([[4, 5], [2, 2]]), { h: first.h.detach() });
    const expected = Array.from(await whole.logits.slice(1, 4, 6).data());
    Array.from(await second.logits.data()).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-6));
  });

  it('names an unknown cell', () => {
    expect(() => new CharRNN({ vocabSize: 4, cell: 'transformer' as CharRNNCell })).toThrow('CharRNN: cell must be one of lstm, gru, rnn, got transformer');
  });
});
