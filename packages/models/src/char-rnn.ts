import { DTypeError, formatShape, ShapeError, ValueError, type Tensor } from '@fathom/core';
import { Dropout, Embedding, GRU, Linear, LSTM, Module, RNN } from '@fathom/layers';

/** The recurrent cells a {@link CharRNN} can stack. */
export const CHAR_RNN_CELLS = ['lstm', 'gru', 'rnn'] as const;

/** One of {@link CHAR_RNN_CELLS}: an LSTM, a GRU or a plain tanh RNN (Elman). */
export type CharRNNCell = (typeof CHAR_RNN_CELLS)[number];

/** Options of {@link CharRNN}. */
export interface CharRNNOptions {
  /** Number of distinct tokens (characters); both the embedding's rows and the decoder's outputs. */
  readonly vocabSize: number;
  /** The recurrent cell (default `'lstm'`). */
  readonly cell?: CharRNNCell;
  /** Size of each token's embedding vector (default 64). */
  readonly embeddingDim?: number;
  /** Hidden size of every recurrent layer (default 256). */
  readonly hiddenSize?: number;
  /** Stacked recurrent layers (default 2). */
  readonly numLayers?: number;
  /** Dropout probability between recurrent layers and before the decoder, in training mode only (default 0). */
  readonly dropout?: number;
}

/**
 * The recurrent state carried from one window of text to the next:
 * `h` (numLayers, N, hiddenSize), and for an LSTM the cell state `c` of the same shape.
 */
export interface CharRNNState {
  /** Hidden state of every layer after the last step. */
  readonly h: Tensor;
  /** Cell state of every layer after the last step (LSTM only). */
  readonly c?: Tensor;
}

/** What {@link CharRNN.forward} returns: next-token scores and the state to carry on. */
export interface CharRNNOutput extends CharRNNState {
  /** Unnormalized scores of the next token at every position: (N, T, vocabSize). */
  readonly logits: Tensor;
}

/**
 * A character-level recurrent language model (Karpathy's char-rnn): an
 * `embedding` (vocabSize, embeddingDim) → a batch-first LSTM, GRU or tanh
 * RNN (numLayers × hiddenSize, dropout between layers), registered under
 * the cell's name (`lstm.weight_ih_l0`, `gru.…`, `rnn.…`, PyTorch's keys) →
 * dropout → a `decoder` Linear (hiddenSize → vocabSize).
 *
 * For truncated backpropagation through time, pass the returned `{ h, c }`
 * into the next window's forward after detaching them, so the gradient
 * stops at the window's edge while the state flows on.
 *
 * ```ts
 * const model = new CharRNN({ vocabSize: 65, cell: 'gru', hiddenSize: 128 });
 * const { logits, h } = model.forward(tokens); // tokens (N, T) int32 → logits (N, T, 65)
 * ```
 */
export class CharRNN extends Module {
  /** Number of distinct tokens. */
  readonly vocabSize: number;
  /** The recurrent cell. */
  readonly cell: CharRNNCell;
  /** Size of each token's embedding. */
  readonly embeddingDim: number;
  /** Hidden size of every recurrent layer. */
  readonly hiddenSize: number;
  /** Stacked recurrent layers. */
  readonly numLayers: number;
  /** Token → vector lookup (vocabSize, embeddingDim). */
  readonly embedding: Embedding;
  /** The batch-first recurrent core. */
  readonly recurrent: LSTM | GRU | RNN;
  /** Dropout on the last recurrent layer's output. */
  readonly dropout: Dropout;
  /** Hidden state → next-token scores (vocabSize, hiddenSize). */
  readonly decoder: Linear;

  constructor(options: CharRNNOptions) {
    super();
    const name = new.target.name;
    const vocabSize = options?.vocabSize;
    if (typeof vocabSize !== 'number' || !Number.isInteger(vocabSize) || vocabSize < 1) {
      throw new ValueError(`${name}: vocabSize must be a positive integer, got ${String(vocabSize)}`);
    }
    const cell = options.cell ?? 'lstm';
    if (!CHAR_RNN_CELLS.includes(cell)) throw new ValueError(`${name}: cell must be one of ${CHAR_RNN_CELLS.join(', ')}, got ${String(cell)}`);
    this.vocabSize = vocabSize;
    this.cell = cell;
    this.embeddingDim = options.embeddingDim ?? 64;
    this.hiddenSize = options.hiddenSize ?? 256;
    this.numLayers = options.numLayers ?? 2;
    const p = options.dropout ?? 0;
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, this.embeddingDim));
    const rnnOptions = { numLayers: this.numLayers, dropout: p, batchFirst: true };
    const recurrent = cell === 'lstm' ? new LSTM(this.embeddingDim, this.hiddenSize, rnnOptions)
      : cell === 'gru' ? new GRU(this.embeddingDim, this.hiddenSize, rnnOptions)
        : new RNN(this.embeddingDim, this.hiddenSize, rnnOptions);
    this.recurrent = this.registerModule(cell, recurrent);
    this.dropout = this.registerModule('dropout', new Dropout(p));
    this.decoder = this.registerModule('decoder', new Linear(this.hiddenSize, vocabSize));
  }

  /**
   * Scores the next token at every position of `tokens` (N, T) int32, starting
   * from `state` (zeros when omitted): returns logits (N, T, vocabSize) and the
   * final state (numLayers, N, hiddenSize). Tokens that are not a 2-D int32
   * tensor throw a {@link ShapeError} or {@link DTypeError}.
   */
  forward(tokens: Tensor, state?: CharRNNState): CharRNNOutput {
    const name = this.constructor.name;
    if (tokens.ndim !== 2) throw new ShapeError(`${name}: tokens must be (N, T), got ${formatShape(tokens.shape)}`);
    if (tokens.dtype !== 'int32') throw new DTypeError(`${name}: tokens must be int32 token indices, got ${tokens.dtype}`);
    const embedded = this.embedding.forward(tokens); // (N, T, E)
    const recurrent = this.recurrent;
    if (recurrent instanceof LSTM) {
      const { output, h, c } = recurrent.forward(embedded, state?.h, state?.c); // (N, T, H), (L, N, H), (L, N, H)
      return { logits: this.decoder.forward(this.dropout.forward(output)), h, c }; // (N, T, V)
    }
    const { output, h } = recurrent.forward(embedded, state?.h);
    return { logits: this.decoder.forward(this.dropout.forward(output)), h };
  }
}
