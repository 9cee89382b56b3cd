import { ValueError, tensor, type Device, type Tensor } from '@fathom/core';
import { checkIndex, type Dataset } from '../dataset.js';

/** One batch for truncated backpropagation through time. */
export interface SequenceBatch {
  /** `(B, T)` int32: the characters fed in. */
  readonly input: Tensor;
  /** `(B, T)` int32: the character that follows each input one. */
  readonly target: Tensor;
}

/** Options of {@link TbpttBatcher}. */
export interface TbpttBatcherOptions {
  /** Number of parallel streams `B`. */
  readonly batchSize: number;
  /** Steps per batch `T` (how far back gradients flow). */
  readonly seqLength: number;
  /** Leave out a last batch shorter than `seqLength` (default false). */
  readonly dropLast?: boolean;
  /** The device of the tensors (default: the default device). */
  readonly device?: Device;
}

/**
 * Batches a long sequence for truncated backpropagation through time, as
 * PyTorch's word-language-model example (`batchify` + `get_batch`): the ids
 * are cut into `batchSize` contiguous streams of `floor(N / B)` each (the few
 * ids left over are dropped); batch `i` holds steps `i·T … i·T + T − 1` of
 * every stream as input and the steps one later as target. Row `b` of batch
 * `i + 1` continues exactly where row `b` of batch `i` stopped, so the hidden
 * state of an RNN can be carried from batch to batch (detached).
 *
 * ```ts
 * const batches = new TbpttBatcher(corpus.train, { batchSize: 32, seqLength: 64 });
 * for (const { input, target } of batches) {
 *   // input, target: (32, 64) int32
 * }
 * ```
 */
export class TbpttBatcher implements Dataset<SequenceBatch>, Iterable<SequenceBatch> {
  readonly batchSize: number;
  readonly seqLength: number;
  /** Length of each stream. */
  readonly streamLength: number;
  private readonly streams: Int32Array; // (B, streamLength)
  private readonly dropLast: boolean;
  private readonly device: Device | undefined;

  constructor(ids: ArrayLike<number>, options: TbpttBatcherOptions) {
    const op = 'TbpttBatcher';
    const { batchSize, seqLength } = options;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new ValueError(`${op}: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isSafeInteger(seqLength) || seqLength < 1) throw new ValueError(`${op}: seqLength must be a positive integer, got ${seqLength}`);
    this.batchSize = batchSize;
    this.seqLength = seqLength;
    this.streamLength = Math.floor(ids.length / batchSize);
    if (this.streamLength < 2) {
      throw new ValueError(`${op}: ${ids.length} ids make streams of ${this.streamLength} for batchSize ${batchSize}; each stream needs at least 2 (an input and its target)`);
    }
    this.streams = Int32Array.from({ length: batchSize * this.streamLength }, (_, i) => ids[i]);
    this.dropLast = options.dropLast ?? false;
    this.device = options.device;
    if (this.length === 0) throw new ValueError(`${op}: streams of ${this.streamLength} are too short for one batch of seqLength ${seqLength} with dropLast`);
  }

  /** Batches per pass over the text. */
  get length(): number {
    const steps = this.streamLength - 1; // the last id of a stream is only ever a target
    return this.dropLast ? Math.floor(steps / this.seqLength) : Math.ceil(steps / this.seqLength);
  }

  /** Batch `index`; its `T` is `seqLength`, or less for the last one. */
  get(index: number): SequenceBatch {
    checkIndex('TbpttBatcher.get', index, this.length);
    const start = index * this.seqLength;
    const steps = Math.min(this.seqLength, this.streamLength - 1 - start);
    const input = new Int32Array(this.batchSize * steps); // (B, T)
    const target = new Int32Array(this.batchSize * steps); // (B, T)
    for (let b = 0; b < this.batchSize; b++) {
      const from = b * this.streamLength + start;
      input.set(this.streams.subarray(from, from + steps), b * steps);
      target.set(this.streams.subarray(from + 1, from + 1 + steps), b * steps);
    }
    return {
      input: tensor(input, { shape: [this.batchSize, steps], device: this.device }),
      target: tensor(target, { shape: [this.batchSize, steps], device: this.device }),
    };
  }

  /** Every batch in order: `for (const { input, target } of batcher)`. */
  *[Symbol.iterator](): Iterator<SequenceBatch> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
}
