import { describe, expect, it } from 'vitest';
import { manualSeed, randn, uniform, zeros, type Tensor } from '@fathom/core';
import { assertClose, toleranceFor } from '@fathom/core/testing';
import { gradcheck, useAutograd } from '@fathom/autograd';
import { GRU, LSTM, RNN, type RNNBase, type RNNOptions } from '../src/layers/recurrent.js';
import { referenceRecurrent, type ReferenceCell, type ReferenceResult, type ReferenceWeights } from './recurrent-reference.js';

useAutograd();

const INPUT = 4;
const HIDDEN = 3;
const STEPS = 5;
const BATCH = 2;

/** A layer of `cell` kind and its forward pass with optional initial states (c0 only reaches an LSTM). */
function build(cell: ReferenceCell, options: RNNOptions): { layer: RNNBase; forward(x: Tensor, h0?: Tensor, c0?: Tensor): { output: Tensor; h: Tensor; c?: Tensor } } {
  if (cell === 'lstm') {
    const layer = new LSTM(INPUT, HIDDEN, options);
    return { layer, forward: (x, h0, c0) => layer.forward(x, h0, c0) };
  }
  const layer = cell === 'gru' ? new GRU(INPUT, HIDDEN, options) : new RNN(INPUT, HIDDEN, { ...options, nonlinearity: cell === 'rnn-relu' ? 'relu' : 'tanh' });
  return { layer, forward: (x, h0) => layer.forward(x, h0) };
}

async function weightsOf(layer: RNNBase): Promise<ReferenceWeights> {
  return Object.fromEntries(await Promise.all(layer.namedParameters().map(async ([name, p]) => [name, Float64Array.from(await p.data())] as const)));
}

/** A state as nested arrays of `shape`, zeros when none was given (the layers' default). */
async function stateArrays(t: Tensor | undefined, shape: number[]): Promise<unknown> {
  return (t ?? zeros(shape)).toArray();
}

const zeroMatrix = (rows: number, cols: number): number[][] => Array.from({ length: rows }, () => new Array<number>(cols).fill(0));

/** Runs the reference on each sequence of a batch and lays the results out as the layer does. */
async function expected(
  cell: ReferenceCell, weights: ReferenceWeights, numLayers: number, x: Tensor, batchFirst: boolean, h0?: Tensor, c0?: Tensor,
): Promise<{ output: number[]; h: number[]; c: number[] }> {
  const states = numLayers * 2;
  if (x.ndim === 2) {
    const [h, c] = [await stateArrays(h0, [states, HIDDEN]), await stateArrays(c0, [states, HIDDEN])] as number[][][];
    const result = referenceRecurrent(cell, weights, numLayers, 2, (await x.toArray()) as number[][], h, c);
    return { output: result.output.flat(), h: result.h.flat(), c: result.c.flat() };
  }
  const xs = (await x.toArray()) as number[][][]; // (T, N, in) or (N, T, in)
  const [h, c] = [await stateArrays(h0, [states, BATCH, HIDDEN]), await stateArrays(c0, [states, BATCH, HIDDEN])] as number[][][][]; // (L·D, N, H)
  const perSequence: ReferenceResult[] = Array.from({ length: BATCH }, (_, n) => {
    const sequence = batchFirst ? xs[n] : xs.map((row) => row[n]);
    return referenceRecurrent(cell, weights, numLayers, 2, sequence, h.map((layer) => layer[n]), c.map((layer) => layer[n]));
  });
  const output = batchFirst
    ? perSequence.map((r) => r.output) // (N, T, 2H)
    : Array.from({ length: STEPS }, (_, t) => perSequence.map((r) => r.output[t])); // (T, N, 2H)
  const stacked = (pick: (r: ReferenceResult) => number[][]) => Array.from({ length: states }, (_, s) => perSequence.map((r) => pick(r)[s])); // (L·D, N, H)
  return { output: output.flat(2), h: stacked((r) => r.h).flat(2), c: stacked((r) => r.c).flat(2) };
}

// TESTING.md tier T3 (RNN cells): the float32 layer against the float64 reference.
async function expectMatches(actual: Tensor, shape: number[], reference: number[], context: string): Promise<void> {
  assertClose(
    { shape: actual.shape, data: await actual.data(), dtype: 'float32' }, { shape, data: Float64Array.from(reference), dtype: 'float32' }, toleranceFor('cpu', 'T3'), context,
  );
}

interface ReferenceCase {
  readonly name: string;
  readonly cell: ReferenceCell;
  readonly options: RNNOptions;
  readonly unbatched?: boolean;
  readonly givenStates: boolean;
}

const cases: ReferenceCase[] = [
  { name: 'LSTM, 2 layers, (T, N, in), given h0 and c0', cell: 'lstm', options: { numLayers: 2 }, givenStates: true },
  { name: 'LSTM, 2 layers, batchFirst, zero states', cell: 'lstm', options: { numLayers: 2, batchFirst: true }, givenStates: false },
  { name: 'LSTM, 2 layers, unbatched (T, in) (batchFirst ignored), given h0 and c0', cell: 'lstm', options: { numLayers: 2, batchFirst: true }, unbatched: true, givenStates: true },
  { name: 'GRU, 2 layers, (T, N, in), zero state', cell: 'gru', options: { numLayers: 2 }, givenStates: false },
  { name: 'GRU, 2 layers, batchFirst, given h0', cell: 'gru', options: { numLayers: 2, batchFirst: true }, givenStates: true },
  { name: 'RNN tanh, 2 layers, batchFirst, given h0', cell: 'rnn-tanh', options: { numLayers: 2, batchFirst: true }, givenStates: true },
  { name: 'RNN relu, 2 layers, (T, N, in), no bias, zero state', cell: 'rnn-relu', options: { numLayers: 2, bias: false }, givenStates: false },
];

describe('bidirectional RNN, LSTM and GRU match a float64 reference', () => {
  cases.forEach(({ name, cell, options, unbatched = false, givenStates }, i) => {
    it(name, async () => {
      manualSeed(40 + i);
      const { layer, forward } = build(cell, { ...options, bidirectional: true });
      const numLayers = options.numLayers ?? 1;
      const inputShape = unbatched ? [STEPS, INPUT] : options.batchFirst ? [BATCH, STEPS, INPUT] : [STEPS, BATCH, INPUT];
      const stateShape = unbatched ? [numLayers * 2, HIDDEN] : [numLayers * 2, BATCH, HIDDEN];
      const x = randn(inputShape);
      const h0 = givenStates ? randn(stateShape).mul(0.5) : undefined;
      const c0 = givenStates && cell === 'lstm' ? randn(stateShape).mul(0.5) : undefined;
      const result = forward(x, h0, c0);
      const reference = await expected(cell, await weightsOf(layer), numLayers, x, options.batchFirst ?? false, h0, c0);
      await expectMatches(result.output, [...inputShape.slice(0, -1), 2 * HIDDEN], reference.output, `${name}: output`);
      await expectMatches(result.h, stateShape, reference.h, `${name}: h`);
      if (cell === 'lstm') await expectMatches(result.c!, stateShape, reference.c, `${name}: c`);
    });
  });

  it('dropout acts on both directions\' features between layers, in training only, never on the last layer', async () => {
    manualSeed(50);
    const lstm = new LSTM(INPUT, HIDDEN, { numLayers: 2, bidirectional: true, dropout: 1 });
    const x = randn([STEPS, BATCH, INPUT]);
    const weights = await weightsOf(lstm);
    const full = await expected('lstm', weights, 2, x, false);
    // With p = 1 layer 1 reads zeros in both directions: a 1-layer reference with layer 1's weights on a zero (T, 2H) input.
    const layer1 = Object.fromEntries(Object.entries(weights).filter(([k]) => k.includes('_l1')).map(([k, w]) => [k.replace('_l1', '_l0'), w]));
    const onZeros = referenceRecurrent('lstm', layer1, 1, 2, zeroMatrix(STEPS, 2 * HIDDEN), zeroMatrix(2, HIDDEN), zeroMatrix(2, HIDDEN));
    const trained = lstm.forward(x);
    await expectMatches(trained.output, [STEPS, BATCH, 2 * HIDDEN], Array.from({ length: STEPS }, (_, t) => Array.from({ length: BATCH }, () => onZeros.output[t])).flat(2), 'output with dropout 1');
    expect(Array.from(await trained.output.data()).some((v) => v !== 0)).toBe(true);
    // Layer 0's final states (both directions) come before the dropout.
    await expectMatches(trained.h.narrow(0, 0, 2), [2, BATCH, HIDDEN], full.h.slice(0, 2 * BATCH * HIDDEN), 'layer 0 h with dropout 1');
    lstm.eval();
    await expectMatches(lstm.forward(x).output, [STEPS, BATCH, 2 * HIDDEN], full.output, 'output in eval mode');
  });
});

// PyTorch's documented naming (torch.nn.LSTM / torch.nn.GRU, "Variables"): per layer the forward
// direction's weights, then the same names with `_reverse`; layer k > 0 reads 2H features.
const LSTM_KEYS: [string, number[]][] = [
  ['weight_ih_l0', [12, 4]], ['weight_hh_l0', [12, 3]], ['bias_ih_l0', [12]], ['bias_hh_l0', [12]],
  ['weight_ih_l0_reverse', [12, 4]], ['weight_hh_l0_reverse', [12, 3]], ['bias_ih_l0_reverse', [12]], ['bias_hh_l0_reverse', [12]],
  ['weight_ih_l1', [12, 6]], ['weight_hh_l1', [12, 3]], ['bias_ih_l1', [12]], ['bias_hh_l1', [12]],
  ['weight_ih_l1_reverse', [12, 6]], ['weight_hh_l1_reverse', [12, 3]], ['bias_ih_l1_reverse', [12]], ['bias_hh_l1_reverse', [12]],
];
const GRU_NO_BIAS_KEYS: [string, number[]][] = [
  ['weight_ih_l0', [9, 4]], ['weight_hh_l0', [9, 3]], ['weight_ih_l0_reverse', [9, 4]], ['weight_hh_l0_reverse', [9, 3]],
  ['weight_ih_l1', [9, 6]], ['weight_hh_l1', [9, 3]], ['weight_ih_l1_reverse', [9, 6]], ['weight_hh_l1_reverse', [9, 3]],
];

describe('bidirectional parameters follow PyTorch', () => {
  const shapes = (state: Record<string, Tensor>) => Object.entries(state).map(([k, t]) => [k, [...t.shape]]);

  it('state-dict keys, shapes and order', () => {
    expect(shapes(new LSTM(4, 3, { numLayers: 2, bidirectional: true }).stateDict())).toEqual(LSTM_KEYS);
    expect(shapes(new GRU(4, 3, { numLayers: 2, bidirectional: true, bias: false }).stateDict())).toEqual(GRU_NO_BIAS_KEYS);
    const rnn = new RNN(4, 3, { bidirectional: true });
    expect(rnn.namedParameters().map(([k]) => k)).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse']);
  });

  it('draws every parameter from U(−1/√H, 1/√H) in PyTorch\'s order', async () => {
    manualSeed(8);
    const state = new LSTM(4, 3, { numLayers: 2, bidirectional: true }).stateDict();
    manualSeed(8);
    const bound = 1 / Math.sqrt(3);
    for (const [key, shape] of LSTM_KEYS) {
      expect(Array.from(await state[key].data()), key).toEqual(Array.from(await uniform(shape, -bound, bound).data()));
    }
  });

  it('layerWeights(k, true) returns the _reverse parameters', () => {
    const gru = new GRU(4, 3, { bidirectional: true });
    const byName = Object.fromEntries(gru.namedParameters());
    expect(gru.layerWeights(0, true)).toEqual([byName.weight_ih_l0_reverse, byName.weight_hh_l0_reverse, byName.bias_ih_l0_reverse, byName.bias_hh_l0_reverse]);
  });

  it('initial states must hold numLayers·2 entries', () => {
    const lstm = new LSTM(4, 3, { numLayers: 2, bidirectional: true });
    expect(() => lstm.forward(randn([5, 2, 4]), randn([2, 2, 3]))).toThrow('LSTM: initial state must be [4,2,3] for input [5,2,4], got [2,2,3]');
    expect(() => lstm.forward(randn([5, 4]), randn([4, 2, 3]))).toThrow('LSTM: initial state must be [4,3] for input [5,4], got [4,2,3]');
  });
});

describe('bidirectional gradients pass gradcheck in float64', () => {
  manualSeed(22);
  const f64 = (shape: number[]) => randn(shape, { dtype: 'float64' });

  it('LSTM, 2 layers, batchFirst: input and initial states', () => {
    const lstm = new LSTM(3, 2, { numLayers: 2, batchFirst: true, bidirectional: true }).to('float64');
    gradcheck((x, h0, c0) => {
      const { output, h, c } = lstm.forward(x, h0, c0);
      return [output, h, c];
    }, [f64([2, 4, 3]), f64([4, 2, 2]), f64([4, 2, 2])]);
  });

  it('GRU, 2 layers, (T, N, in): input and initial state', () => {
    const gru = new GRU(3, 2, { numLayers: 2, bidirectional: true }).to('float64');
    gradcheck((x, h0) => {
      const { output, h } = gru.forward(x, h0);
      return [output, h];
    }, [f64([4, 2, 3]), f64([4, 2, 2])]);
  });
});
