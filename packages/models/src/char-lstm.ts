import { DTypeError, formatShape, ShapeError, ValueError, type Tensor } from '@fathom/core';
import { Dropout, Embedding, Linear, LSTM, Module } from '@fathom/layers';

/** Options of {@link CharLSTM}. */
export interface CharLSTMOptions {
  /** Number of distinct tokens (characters); both the embedding's rows and the decoder's outputs. */
  readonly vocabSize: number;
  /** Size of each token's embedding vector (default 64). */
  readonly embeddingDim?: number;
  /** Hidden size of every LSTM layer (default 256). */
  readonly hiddenSize?: number;
  /** Stacked LSTM layers (default 2). */
  readonly numLayers?: number;
  /** Dropout probability between LSTM layers and before the decoder, in training mode only (default 0). */
  readonly dropout?: number;
}

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
 * A character-level LSTM language model (Karpathy's char-rnn): an
 * `embedding` (vocabSize, embeddingDim) → a batch-first `lstm` (numLayers ×
 * hiddenSize, dropout between layers) → dropout → a `decoder` Linear
 * (hiddenSize → vocabSize). State-dict keys are `embedding.weight`,
 * `lstm.weight_ih_l0`, `lstm.weight_hh_l0`, `lstm.bias_ih_l0`,
 * `lstm.bias_hh_l0`, … (PyTorch's `nn.LSTM` names, gates i, f, g, o),
 * `decoder.weight` and `decoder.bias`.
 *
 * For truncated backpropagation through time, pass the returned `{ h, c }`
 * into the next window's forward after detaching them (`h.detach()`), so the
 * gradient stops at the window's edge while the state flows on.
 *
 * ```ts
 * const model = new CharLSTM({ vocabSize: 65, hiddenSize: 128 });
 * const { logits, h, c } = model.forward(tokens); // tokens (N, T) int32 → logits (N, T, 65)
 * ```
 */
export class CharLSTM extends Module {
  /** Number of distinct tokens. */
  readonly vocabSize: number;
  /** Size of each token's embedding. */
  readonly embeddingDim: number;
  /** Hidden size of every LSTM layer. */
  readonly hiddenSize: number;
  /** Stacked LSTM layers. */
  readonly numLayers: number;
  /** Token → vector lookup (vocabSize, embeddingDim). */
  readonly embedding: Embedding;
  /** The batch-first recurrent core. */
  readonly lstm: LSTM;
  /** Dropout on the last LSTM layer's output. */
  readonly dropout: Dropout;
  /** Hidden state → next-token scores (vocabSize, hiddenSize). */
  readonly decoder: Linear;

  constructor(options: CharLSTMOptions) {
    super();
    const vocabSize = options?.vocabSize;
    if (typeof vocabSize !== 'number' || !Number.isInteger(vocabSize) || vocabSize < 1) {
      throw new ValueError(`CharLSTM: vocabSize must be a positive integer, got ${String(vocabSize)}`);
    }
    this.vocabSize = vocabSize;
    this.embeddingDim = options.embeddingDim ?? 64;
    this.hiddenSize = options.hiddenSize ?? 256;
    this.numLayers = options.numLayers ?? 2;
    const p = options.dropout ?? 0;
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, this.embeddingDim));
    this.lstm = this.registerModule('lstm', new LSTM(this.embeddingDim, this.hiddenSize, { numLayers: this.numLayers, dropout: p, batchFirst: true }));
    this.dropout = this.registerModule('dropout', new Dropout(p));
    this.decoder = this.registerModule('decoder', new Linear(this.hiddenSize, vocabSize));
  }

  /**
   * Scores the next token at every position of `tokens` (N, T) int32, starting
   * from `state` (zeros when omitted): returns logits (N, T, vocabSize) and the
   * final `{ h, c }` (numLayers, N, hiddenSize). Tokens that are not a 2-D
   * int32 tensor throw a {@link ShapeError} or {@link DTypeError}.
   */
  forward(tokens: Tensor, state?: CharLSTMState): CharLSTMOutput {
    if (tokens.ndim !== 2) throw new ShapeError(`CharLSTM: tokens must be (N, T), got ${formatShape(tokens.shape)}`);
    if (tokens.dtype !== 'int32') throw new DTypeError(`CharLSTM: tokens must be int32 token indices, got ${tokens.dtype}`);
    const embedded = this.embedding.forward(tokens); // (N, T, E)
    const { output, h, c } = this.lstm.forward(embedded, state?.h, state?.c); // (N, T, H), (L, N, H), (L, N, H)
    const logits = this.decoder.forward(this.dropout.forward(output)); // (N, T, V)
    return { logits, h, c };
  }
}
