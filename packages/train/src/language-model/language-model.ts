import type { Tensor } from '@fathom/core';
import type { Module } from '@fathom/layers';

/**
 * A recurrent network's state between two windows of text: `h`
 * (layers, N, H), and `c` for an LSTM — PyTorch's `(h, c)` tuple.
 */
export interface RecurrentState {
  /** Hidden state. */
  readonly h: Tensor;
  /** Cell state (LSTM only). */
  readonly c?: Tensor;
}

/** What a {@link LanguageModel} returns: next-token scores and the state to carry on. */
export interface LanguageModelOutput extends RecurrentState {
  /** Scores of the next token at every position: (N, T, V). */
  readonly logits: Tensor;
}

/** A recurrent language model as the loop trains it: `@fathom/models`' `CharRNN` and `CharLSTM`. */
export interface LanguageModel extends Module {
  /** Scores the next token after each of `tokens` (N, T) int32, starting from `state` (zeros when omitted). */
  forward(tokens: Tensor, state?: RecurrentState): LanguageModelOutput;
}

/** Windows of a token stream, as `@fathom/datasets`' `TbpttBatcher` cuts them: row b of window i + 1 continues row b of window i. */
export interface SequenceBatches {
  /** Windows in one pass over the text. */
  readonly length: number;
  /** Window `index`: input and target tokens, (N, T) int32 each, the target one token ahead. */
  get(index: number): { readonly input: Tensor; readonly target: Tensor };
}
