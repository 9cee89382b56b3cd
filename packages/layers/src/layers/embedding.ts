import { embedding, IndexError, where, zeros, type Tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';
import { Module } from '../module.js';
import { normal } from '../init.js';

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`
 * (`nn.Embedding`), initialized N(0, 1). With `paddingIdx`, that row starts at
 * zero and receives no gradient.
 *
 * ```ts
 * new Embedding(65, 32).forward(tensor([[1, 2, 3]], { dtype: 'int32' })); // [1, 3, 32]
 * ```
 */
export class Embedding extends Module {
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, readonly options: { paddingIdx?: number } = {}) {
    super();
    const weight = this.registerParameter('weight', normal(zeros([numEmbeddings, embeddingDim])))!;
    const padding = options.paddingIdx;
    if (padding !== undefined) {
      if (!Number.isInteger(padding) || padding < -numEmbeddings || padding >= numEmbeddings) {
        throw new IndexError(`Embedding: paddingIdx ${padding} is outside 0..${numEmbeddings - 1}`);
      }
      this.paddingRow = padding < 0 ? padding + numEmbeddings : padding;
      noGrad(() => weight.select(0, this.paddingRow!).copy_(zeros([embeddingDim])));
    }
  }

  private readonly paddingRow: number | undefined;

  /** (numEmbeddings, embeddingDim). */
  get weight(): Tensor { return this.parameter('weight'); }

  forward(indices: Tensor): Tensor {
    const out = embedding(indices, this.weight);
    if (this.paddingRow === undefined) return out;
    // Masking the looked-up rows (not the table) routes a zero gradient to the padding row.
    return where(indices.eq(this.paddingRow).unsqueeze(-1), 0, out);
  }
}
