import { formatShape, ShapeError, ValueError, zeros, type Tensor } from '@fathom/core';
import { Module } from '../module.js';
import { uniform } from '../init.js';
import { linear } from './linear.js';

// One time step of each recurrent cell, written once and shared by the cells
// and the multi-layer RNN/LSTM/GRU. Each step takes the input part of the
// gates already projected (`inputGates = x·W_ihᵀ + b_ih`), so a layer can
// project every time step with one matmul and loop only over the hidden part.

/** The elementwise nonlinearity of an Elman RNN. */
export type RNNNonlinearity = 'tanh' | 'relu';

/** Hidden and cell state of an LSTM. */
export interface LSTMState {
  /** Hidden state. */
  readonly h: Tensor;
  /** Cell state. */
  readonly c: Tensor;
}

/** `act(inputGates + h·W_hhᵀ + b_hh)`: one step of an Elman RNN. inputGates (N, H), h (N, H). */
export function rnnStep(inputGates: Tensor, h: Tensor, weightHh: Tensor, biasHh: Tensor | null, nonlinearity: RNNNonlinearity = 'tanh'): Tensor {
  const preActivation = inputGates.add(linear(h, weightHh, biasHh)); // (N, H)
  return nonlinearity === 'relu' ? preActivation.relu() : preActivation.tanh();
}

/**
 * One LSTM step, PyTorch's gate order i, f, g, o along the 4H axis:
 * c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h' = σ(o) ⊙ tanh(c'). inputGates (N, 4H), h and c (N, H).
 */
export function lstmStep(inputGates: Tensor, state: LSTMState, weightHh: Tensor, biasHh: Tensor | null): LSTMState {
  const gates = inputGates.add(linear(state.h, weightHh, biasHh)); // (N, 4H)
  const [inputGate, forgetGate, cellGate, outputGate] = gates.chunk(4, -1); // each (N, H)
  const c = forgetGate.sigmoid().mul(state.c).add(inputGate.sigmoid().mul(cellGate.tanh()));
  return { h: outputGate.sigmoid().mul(c.tanh()), c };
}

/**
 * One GRU step, PyTorch's gate order r, z, n along the 3H axis. The reset
 * gate multiplies the hidden part of n *after* its bias, as PyTorch (and
 * cuDNN) do, unlike the original paper: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
 * h' = (1 − z) ⊙ n + z ⊙ h. inputGates (N, 3H), h (N, H).
 */
export function gruStep(inputGates: Tensor, h: Tensor, weightHh: Tensor, biasHh: Tensor | null): Tensor {
  const [inputReset, inputUpdate, inputNew] = inputGates.chunk(3, -1); // each (N, H)
  const [hiddenReset, hiddenUpdate, hiddenNew] = linear(h, weightHh, biasHh).chunk(3, -1); // each (N, H)
  const reset = inputReset.add(hiddenReset).sigmoid();
  const update = inputUpdate.add(hiddenUpdate).sigmoid();
  const candidate = inputNew.add(reset.mul(hiddenNew)).tanh();
  return candidate.add(update.mul(h.sub(candidate))); // (1 − z)·n + z·h
}

/** `rnnStep` on raw input: h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh). */
export function rnnCell(
  input: Tensor, h: Tensor, weightIh: Tensor, weightHh: Tensor, biasIh: Tensor | null = null, biasHh: Tensor | null = null, nonlinearity: RNNNonlinearity = 'tanh',
): Tensor {
  return rnnStep(linear(input, weightIh, biasIh), h, weightHh, biasHh, nonlinearity);
}

/** `lstmStep` on raw input (the functional form of {@link LSTMCell}). */
export function lstmCell(input: Tensor, state: LSTMState, weightIh: Tensor, weightHh: Tensor, biasIh: Tensor | null = null, biasHh: Tensor | null = null): LSTMState {
  return lstmStep(linear(input, weightIh, biasIh), state, weightHh, biasHh);
}

/** `gruStep` on raw input (the functional form of {@link GRUCell}). */
export function gruCell(input: Tensor, h: Tensor, weightIh: Tensor, weightHh: Tensor, biasIh: Tensor | null = null, biasHh: Tensor | null = null): Tensor {
  return gruStep(linear(input, weightIh, biasIh), h, weightHh, biasHh);
}

/** Checks a positive integer size option, naming the layer and the option. */
export function checkSize(op: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new ValueError(`${op}: ${name} must be a positive integer, got ${value}`);
}

/**
 * Registers `weight_ih{suffix}` (gates·H, inputSize), `weight_hh{suffix}`
 * (gates·H, H) and, with `bias`, `bias_ih{suffix}`, `bias_hh{suffix}`
 * (gates·H), all drawn from U(−1/√H, 1/√H) as PyTorch's `reset_parameters`.
 */
export function registerRecurrentWeights(
  register: (name: string, tensor: Tensor | null) => Tensor | null, suffix: string, gates: number, inputSize: number, hiddenSize: number, bias: boolean,
): void {
  const bound = 1 / Math.sqrt(hiddenSize);
  const draw = (shape: number[]) => uniform(zeros(shape), -bound, bound);
  register(`weight_ih${suffix}`, draw([gates * hiddenSize, inputSize]));
  register(`weight_hh${suffix}`, draw([gates * hiddenSize, hiddenSize]));
  register(`bias_ih${suffix}`, bias ? draw([gates * hiddenSize]) : null);
  register(`bias_hh${suffix}`, bias ? draw([gates * hiddenSize]) : null);
}

/** Options of the recurrent cells. */
export interface RNNCellOptions {
  /** Learn `bias_ih` and `bias_hh` (default true). */
  readonly bias?: boolean;
}

/**
 * Parameters and input checks shared by {@link RNNCell}, {@link LSTMCell}
 * and {@link GRUCell} (PyTorch's `RNNCellBase`): `weight_ih` (gates·H, in),
 * `weight_hh` (gates·H, H), `bias_ih`, `bias_hh` (gates·H).
 */
export abstract class RNNCellBase extends Module {
  constructor(readonly inputSize: number, readonly hiddenSize: number, gates: number, options: RNNCellOptions = {}) {
    super();
    checkSize(this.constructor.name, 'inputSize', inputSize);
    checkSize(this.constructor.name, 'hiddenSize', hiddenSize);
    registerRecurrentWeights((name, t) => this.registerParameter(name, t), '', gates, inputSize, hiddenSize, options.bias ?? true);
  }

  /** (gates·H, in). */
  get weightIh(): Tensor { return this.parameter('weight_ih'); }
  /** (gates·H, H). */
  get weightHh(): Tensor { return this.parameter('weight_hh'); }
  /** (gates·H), or null. */
  get biasIh(): Tensor | null { return this.optionalParameter('bias_ih'); }
  /** (gates·H), or null. */
  get biasHh(): Tensor | null { return this.optionalParameter('bias_hh'); }

  /** Checks input (N, in) or unbatched (in), and a given state against it; returns the state shape. */
  protected stateShape(input: Tensor, ...states: (Tensor | undefined)[]): number[] {
    const op = this.constructor.name;
    if ((input.ndim !== 1 && input.ndim !== 2) || input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(`${op}: input must be (N, ${this.inputSize}) or (${this.inputSize}), got ${formatShape(input.shape)}`);
    }
    const shape = input.ndim === 2 ? [input.shape[0], this.hiddenSize] : [this.hiddenSize];
    for (const state of states) {
      if (state && (state.ndim !== shape.length || state.shape.some((s, i) => s !== shape[i]))) {
        throw new ShapeError(`${op}: hidden state must be ${formatShape(shape)} for input ${formatShape(input.shape)}, got ${formatShape(state.shape)}`);
      }
    }
    return shape;
  }
}

/**
 * Elman RNN cell (`nn.RNNCell`): h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)
 * with act tanh (default) or relu. Input (N, in) → h' (N, H), or unbatched
 * (in) → (H); h defaults to zeros.
 *
 * ```ts
 * const cell = new RNNCell(10, 20, { nonlinearity: 'relu' });
 * cell.forward(randn([3, 10])); // [3, 20]
 * ```
 */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: RNNNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions & { readonly nonlinearity?: RNNNonlinearity } = {}) {
    super(inputSize, hiddenSize, 1, options);
    this.nonlinearity = options.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') throw new ValueError(`RNNCell: unknown nonlinearity '${String(this.nonlinearity)}'`);
  }

  forward(input: Tensor, h?: Tensor): Tensor {
    const shape = this.stateShape(input, h);
    return rnnCell(input, h ?? input.newZeros(shape), this.weightIh, this.weightHh, this.biasIh, this.biasHh, this.nonlinearity);
  }
}

/**
 * LSTM cell (`nn.LSTMCell`), gates i, f, g, o stacked in that order in
 * `weight_ih` (4H, in) and `weight_hh` (4H, H). Input (N, in) with h, c
 * (N, H) → `{ h, c }` (N, H); unbatched (in) → (H). h and c default to zeros.
 *
 * ```ts
 * const { h, c } = new LSTMCell(10, 20).forward(randn([3, 10])); // [3, 20] each
 * ```
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super(inputSize, hiddenSize, 4, options);
  }

  forward(input: Tensor, h?: Tensor, c?: Tensor): LSTMState {
    const shape = this.stateShape(input, h, c);
    return lstmCell(input, { h: h ?? input.newZeros(shape), c: c ?? input.newZeros(shape) }, this.weightIh, this.weightHh, this.biasIh, this.biasHh);
  }
}

/**
 * GRU cell (`nn.GRUCell`), gates r, z, n stacked in that order in
 * `weight_ih` (3H, in) and `weight_hh` (3H, H). As in PyTorch, the reset
 * gate multiplies W_hn·h + b_hn: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)). Input (N, in) → h' (N, H); unbatched (in) → (H).
 *
 * ```ts
 * new GRUCell(10, 20).forward(randn([3, 10]), zeros([3, 20])); // [3, 20]
 * ```
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super(inputSize, hiddenSize, 3, options);
  }

  forward(input: Tensor, h?: Tensor): Tensor {
    const shape = this.stateShape(input, h);
    return gruCell(input, h ?? input.newZeros(shape), this.weightIh, this.weightHh, this.biasIh, this.biasHh);
  }
}
