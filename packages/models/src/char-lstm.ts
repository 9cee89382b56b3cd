import type { Tensor } from '@fathom/core';
import type { LSTM } from '@fathom/layers';
import { CharRNN, type CharRNNOptions } from './char-rnn.js';

/** Options of {@link CharLSTM}: those of {@link CharRNN} without the cell, which is an LSTM. */
export type CharLSTMOptions = Omit<CharRNNOptions, 'cell'>;

/** The recurrent state carried from one window of text to the next: h and c, each (numLayers, N, hiddenSize). */
export interface CharLSTMState {
  /** Hidden state of every layer after the last step. */
  readonly h: Tensor;
  /** Cell state of every layer after the last step. */
  readonly c: Tensor;
}

/** What {@link CharLSTM.forward} returns: next-token scores and the state to carry on. */
export interface CharLSTMOutput extends CharLSTMState {
  /** Unnormalized scores of the next token at every position: (N, T, vocabSize). */
  readonly logits: Tensor;
}

/**
 * A character-level LSTM language model (Karpathy's char-rnn): a
 * {@link CharRNN} whose cell is an LSTM, with state-dict keys
 * `embedding.weight`, `lstm.weight_ih_l0`, `lstm.weight_hh_l0`,
 * `lstm.bias_ih_l0`, `lstm.bias_hh_l0`, … (PyTorch's `nn.LSTM` names, gates
 * i, f, g, o), `decoder.weight` and `decoder.bias`.
 *
 * ```ts
 * const model = new CharLSTM({ vocabSize: 65, hiddenSize: 128 });
 * const { logits, h, c } = model.forward(tokens); // tokens (N, T) int32 → logits (N, T, 65)
 * ```
 */
export class CharLSTM extends CharRNN {
  declare readonly recurrent: LSTM;

  constructor(options: CharLSTMOptions) {
    super({ ...options, cell: 'lstm' });
  }

  /** The LSTM core (the same module as {@link CharRNN.recurrent}). */
  get lstm(): LSTM {
    return this.recurrent;
  }

  /** As {@link CharRNN.forward}, with the cell state `c` always present. */
  override forward(tokens: Tensor, state?: CharLSTMState): CharLSTMOutput {
    return super.forward(tokens, state) as CharLSTMOutput;
  }
}
