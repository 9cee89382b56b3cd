import { cat, formatShape, scope, ShapeError, stack, ValueError, type Tensor } from '@fathom/core';
import { Module } from '../module.js';
import { dropout } from './dropout.js';
import { linear } from './linear.js';
import { checkSize, gruStep, lstmStep, registerRecurrentWeights, rnnStep, type LSTMState, type RNNNonlinearity } from './rnn-cells.js';

/** Options of {@link RNN}, {@link LSTM} and {@link GRU}, PyTorch's defaults. */
export interface RNNOptions {
  /** Stacked layers; layer k > 0 reads layer k − 1's output (default 1). */
  readonly numLayers?: number;
  /** Learn `bias_ih_l{k}` and `bias_hh_l{k}` (default true). */
  readonly bias?: boolean;
  /** Input and output are (N, T, ·) instead of (T, N, ·); states stay (numLayers·D, N, H) (default false). */
  readonly batchFirst?: boolean;
  /** Dropout probability on each layer's output except the last, in training mode only (default 0). */
  readonly dropout?: number;
  /**
   * Add a second direction per layer that reads the sequence from the last
   * step to the first, with its own `*_reverse` weights; outputs become 2H
   * wide and states count D = 2 directions per layer (default false).
   */
  readonly bidirectional?: boolean;
}

/**
 * What {@link RNN} and {@link GRU} return. D is 2 with `bidirectional`, else 1;
 * the forward direction fills output features [0, H), the reverse [H, 2H).
 */
export interface RNNOutput {
  /** The last layer's hidden state at every step: (T, N, D·H), (N, T, D·H) with batchFirst, or (T, D·H) unbatched. */
  readonly output: Tensor;
  /**
   * Every layer's and direction's hidden state after its last step: (numLayers·D, N, H),
   * or (numLayers·D, H) unbatched, ordered layer 0 forward, layer 0 reverse, layer 1 forward, …
   */
  readonly h: Tensor;
}

/** What {@link LSTM} returns: {@link RNNOutput} and the final cell states `c`, shaped and ordered as `h`. */
export interface LSTMOutput extends RNNOutput {
  /** Every layer's and direction's cell state after its last step: (numLayers·D, N, H), or (numLayers·D, H) unbatched. */
  readonly c: Tensor;
}

/** Recurrent state carried through one layer's time loop: h, and c for an LSTM, each (N, H). */
interface LayerState {
  readonly h: Tensor;
  readonly c?: Tensor;
}

/**
 * Layer stacking, parameters and shape handling shared by {@link RNN},
 * {@link LSTM} and {@link GRU} (PyTorch's `RNNBase`). Layer k owns
 * `weight_ih_l{k}` (gates·H, in for k = 0 else D·H), `weight_hh_l{k}`
 * (gates·H, H), `bias_ih_l{k}` and `bias_hh_l{k}` (gates·H), all U(−1/√H, 1/√H);
 * with `bidirectional` (D = 2) the same four again as `weight_ih_l{k}_reverse`, …,
 * registered (and drawn) right after the forward ones, PyTorch's state-dict order.
 *
 * Each layer and direction projects the input of every time step at once
 * (one matmul with `weight_ih` for all gates), then loops over time for the
 * hidden part; everything is core ops, so autograd differentiates it
 * (backpropagation through time). Each step runs in a `scope()` of its own,
 * so a forward over T steps holds per step only what backward reads (for an
 * LSTM the four gate activations, c, tanh(c) and h, each (N, H)), not every
 * intermediate until the caller's scope ends.
 */
export abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;

  constructor(readonly inputSize: number, readonly hiddenSize: number, gates: number, options: RNNOptions = {}) {
    super();
    const op = this.constructor.name;
    checkSize(op, 'inputSize', inputSize);
    checkSize(op, 'hiddenSize', hiddenSize);
    this.numLayers = options.numLayers ?? 1;
    checkSize(op, 'numLayers', this.numLayers);
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new ValueError(`${op}: dropout must be in [0, 1], got ${this.dropout}`);
    this.bidirectional = options.bidirectional ?? false;
    for (let k = 0; k < this.numLayers; k++) {
      for (let d = 0; d < this.directions; d++) {
        const features = k === 0 ? inputSize : this.directions * hiddenSize;
        registerRecurrentWeights((name, t) => this.registerParameter(name, t), parameterSuffix(k, d === 1), gates, features, hiddenSize, this.bias);
      }
    }
  }

  /** D: 2 with `bidirectional`, else 1. */
  private get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Layer k's `[weight_ih, weight_hh, bias_ih, bias_hh]`, the `_reverse` ones with `reverse` (biases null without `bias`). */
  layerWeights(k: number, reverse = false): [Tensor, Tensor, Tensor | null, Tensor | null] {
    const suffix = parameterSuffix(k, reverse);
    return [this.parameter(`weight_ih${suffix}`), this.parameter(`weight_hh${suffix}`), this.optionalParameter(`bias_ih${suffix}`), this.optionalParameter(`bias_hh${suffix}`)];
  }

  /** @internal One step of this kind of layer from projected input gates (N, gates·H). */
  protected abstract step(inputGates: Tensor, state: LayerState, weightHh: Tensor, biasHh: Tensor | null): LayerState;

  /**
   * Runs every layer over the sequence. `initial` holds (numLayers·D, N, H)
   * states (or (numLayers·D, H) unbatched), each defaulting to zeros; the
   * result has the output and the stacked final states, in the caller's layout.
   */
  protected run(input: Tensor, initial: readonly (Tensor | undefined)[]): { output: Tensor; states: Tensor[] } {
    const op = this.constructor.name;
    const batched = input.ndim === 3;
    if ((input.ndim !== 2 && input.ndim !== 3) || input.shape[input.ndim - 1] !== this.inputSize) {
      const layout = this.batchFirst ? 'N, T' : 'T, N';
      throw new ShapeError(`${op}: input must be (${layout}, ${this.inputSize}) or unbatched (T, ${this.inputSize}), got ${formatShape(input.shape)}`);
    }
    // PyTorch treats 2-D input as one unbatched sequence (T, in) whatever batchFirst says.
    let sequence = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1); // (T, N, in)
    const [steps, batch] = sequence.shape;
    if (steps === 0) throw new ShapeError(`${op}: input ${formatShape(input.shape)} has no time steps`);
    const stateCount = this.numLayers * this.directions;
    const stateShape = batched ? [stateCount, batch, this.hiddenSize] : [stateCount, this.hiddenSize];
    const states = initial.map((state) => {
      if (!state) return input.newZeros([stateCount, batch, this.hiddenSize]);
      if (state.ndim !== stateShape.length || state.shape.some((s, i) => s !== stateShape[i])) {
        throw new ShapeError(`${op}: initial state must be ${formatShape(stateShape)} for input ${formatShape(input.shape)}, got ${formatShape(state.shape)}`);
      }
      return batched ? state : state.unsqueeze(1); // (L·D, N, H)
    });

    const finals: Tensor[][] = states.map(() => []);
    for (let k = 0; k < this.numLayers; k++) {
      const last = k === this.numLayers - 1;
      const timeDim = last && batched && this.batchFirst ? 1 : 0;
      const directionOutputs: Tensor[] = [];
      for (let d = 0; d < this.directions; d++) {
        const index = k * this.directions + d; // PyTorch's state order: layer 0 forward, layer 0 reverse, layer 1 forward, …
        const initialState: LayerState = { h: states[0].select(0, index), c: states[1]?.select(0, index) }; // (N, H)
        // The projected input gates and the per-step states are let go of once stacked: what backward
        // needs of them, the graph holds itself.
        const { output, state } = scope(() => {
          const { outputs, state } = this.runDirection(sequence, this.layerWeights(k, d === 1), initialState, d === 1);
          return { output: stack(outputs, timeDim), state }; // (T, N, H) or (N, T, H)
        });
        directionOutputs.push(output);
        finals[0].push(state.h);
        if (state.c) finals[1]?.push(state.c);
      }
      sequence = directionOutputs.length === 1 ? directionOutputs[0] : cat(directionOutputs, -1); // (T, N, D·H) or (N, T, D·H)
      // As in PyTorch, dropout sees both directions' features together and skips the last layer.
      if (!last) sequence = dropout(sequence, this.dropout, this.training);
    }
    const output = batched ? sequence : sequence.squeeze(1); // (T, D·H) unbatched
    return { output, states: finals.map((layers) => (batched ? stack(layers, 0) : stack(layers, 0).squeeze(1))) }; // (L·D, N, H) or (L·D, H)
  }

  /**
   * One direction of one layer over the whole sequence (T, N, features).
   * The reverse direction steps from t = T − 1 down to 0 but, as PyTorch,
   * leaves its output for step t at position t, so both directions line up.
   */
  private runDirection(
    sequence: Tensor, [weightIh, weightHh, biasIh, biasHh]: [Tensor, Tensor, Tensor | null, Tensor | null], initial: LayerState, reverse: boolean,
  ): { outputs: Tensor[]; state: LayerState } {
    const [steps, batch, features] = sequence.shape;
    const inputGates = linear(sequence.reshape(steps * batch, features), weightIh, biasIh).reshape(steps, batch, -1); // (T, N, gates·H)
    const outputs: Tensor[] = new Array<Tensor>(steps); // each (N, H), in time order
    let state = initial;
    for (let i = 0; i < steps; i++) {
      const t = reverse ? steps - 1 - i : i;
      const previous = state;
      // One scope per step: a step's intermediates that backward does not need (the summed gates, the
      // products) are released at once, not when the caller's scope ends; the graph keeps the rest.
      state = scope(() => this.step(inputGates.select(0, t), previous, weightHh, biasHh));
      outputs[t] = state.h;
    }
    return { outputs, state };
  }
}

/** `_l{k}`, or `_l{k}_reverse` for the reverse direction: PyTorch's parameter-name suffix. */
function parameterSuffix(k: number, reverse: boolean): string {
  return `_l${k}${reverse ? '_reverse' : ''}`;
}

/**
 * Multi-layer Elman RNN (`nn.RNN`): h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)
 * with act tanh (default) or relu.
 *
 * Shapes, with D = 2 if `bidirectional` else 1: input (T, N, in), or
 * (N, T, in) with `batchFirst`, or unbatched (T, in); optional h0
 * (numLayers·D, N, H) (unbatched (numLayers·D, H)), zeros by default.
 * Returns `{ output, h }`: output (T, N, D·H) / (N, T, D·H) / (T, D·H) and
 * h (numLayers·D, N, H) — `batchFirst` never changes h's layout.
 *
 * ```ts
 * const rnn = new RNN(10, 20, { numLayers: 2, nonlinearity: 'relu' });
 * const { output, h } = rnn.forward(randn([5, 3, 10])); // [5, 3, 20], [2, 3, 20]
 * ```
 */
export class RNN extends RNNBase {
  readonly nonlinearity: RNNNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions & { readonly nonlinearity?: RNNNonlinearity } = {}) {
    super(inputSize, hiddenSize, 1, options);
    this.nonlinearity = options.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') throw new ValueError(`RNN: unknown nonlinearity '${String(this.nonlinearity)}'`);
  }

  /** @internal */
  protected step(inputGates: Tensor, state: LayerState, weightHh: Tensor, biasHh: Tensor | null): LayerState {
    return { h: rnnStep(inputGates, state.h, weightHh, biasHh, this.nonlinearity) };
  }

  forward(input: Tensor, h0?: Tensor): RNNOutput {
    const { output, states } = this.run(input, [h0]);
    return { output, h: states[0] };
  }
}

/**
 * Multi-layer LSTM (`nn.LSTM`), gates i, f, g, o stacked in that order in
 * `weight_ih_l{k}` (4H, in) and `weight_hh_l{k}` (4H, H):
 * c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g), h_t = σ(o) ⊙ tanh(c_t).
 *
 * Shapes, with D = 2 if `bidirectional` else 1: input (T, N, in), or
 * (N, T, in) with `batchFirst`, or unbatched (T, in); optional h0 and c0
 * (numLayers·D, N, H) (unbatched (numLayers·D, H)), zeros by default.
 * Returns `{ output, h, c }`: output (T, N, D·H) / (N, T, D·H) / (T, D·H);
 * h and c (numLayers·D, N, H) whatever `batchFirst` says.
 *
 * ```ts
 * const lstm = new LSTM(10, 20, { numLayers: 2, batchFirst: true, bidirectional: true });
 * const { output, h, c } = lstm.forward(randn([3, 5, 10])); // [3, 5, 40], [4, 3, 20], [4, 3, 20]
 * ```
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super(inputSize, hiddenSize, 4, options);
  }

  /** @internal */
  protected step(inputGates: Tensor, state: LayerState, weightHh: Tensor, biasHh: Tensor | null): LayerState {
    return lstmStep(inputGates, state as LSTMState, weightHh, biasHh);
  }

  forward(input: Tensor, h0?: Tensor, c0?: Tensor): LSTMOutput {
    const { output, states } = this.run(input, [h0, c0]);
    return { output, h: states[0], c: states[1] };
  }
}

/**
 * Multi-layer GRU (`nn.GRU`), gates r, z, n stacked in that order in
 * `weight_ih_l{k}` (3H, in) and `weight_hh_l{k}` (3H, H):
 * n_t = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn)), h_t = (1 − z) ⊙ n_t + z ⊙ h_{t−1}.
 *
 * Shapes: as {@link RNN}: input (T, N, in) / (N, T, in) with `batchFirst` /
 * (T, in); optional h0 (numLayers·D, N, H). Returns `{ output, h }`.
 *
 * ```ts
 * const { output, h } = new GRU(10, 20).forward(randn([5, 3, 10])); // [5, 3, 20], [1, 3, 20]
 * ```
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super(inputSize, hiddenSize, 3, options);
  }

  /** @internal */
  protected step(inputGates: Tensor, state: LayerState, weightHh: Tensor, biasHh: Tensor | null): LayerState {
    return { h: gruStep(inputGates, state.h, weightHh, biasHh) };
  }

  forward(input: Tensor, h0?: Tensor): RNNOutput {
    const { output, states } = this.run(input, [h0]);
    return { output, h: states[0] };
  }
}
