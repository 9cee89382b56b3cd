import { Generator, randperm, ValueError } from '@fathom/core';
import type { ProcessGroup } from './process-group.js';

/**
 * What a {@link DistributedSampler} shards: `@fathom/datasets`' `Dataset`
 * shape (a `length` and a `get`), written here structurally so this package
 * needs no dependency on datasets.
 */
export interface ShardableDataset<T> {
  /** How many samples there are. */
  readonly length: number;
  /** The sample at `index`. */
  get(index: number): T | Promise<T>;
  /** Called at the start of each epoch, if present. */
  setEpoch?(epoch: number): void;
}

/** Options of {@link DistributedSampler}. */
export interface DistributedSamplerOptions {
  /** The group whose rank and world size pick the shard; or give `numReplicas` and `rank`. */
  readonly group?: ProcessGroup;
  /** How many shards (default: the group's world size). */
  readonly numReplicas?: number;
  /** Which shard this is (default: the group's rank). */
  readonly rank?: number;
  /** A new random order each epoch, the same on every rank (default true, as PyTorch). */
  readonly shuffle?: boolean;
  /** The shuffle's seed; must be the same on every rank (default 0). */
  readonly seed?: number;
  /**
   * Leave out the tail that does not divide evenly among the ranks (default
   * false: the order is padded by repeating its start, so every rank gets
   * the same number of samples and runs the same number of steps).
   */
  readonly dropLast?: boolean;
  /**
   * Pad the order so every shard has the same length (default true, as
   * PyTorch). `false` gives shards of `⌊n/R⌋` or `⌈n/R⌉` samples that
   * together hold each sample exactly once: what an evaluation wants (no
   * sample counted twice), as long as the ranks make no per-batch collective
   * calls. Ignored with `dropLast`.
   */
  readonly pad?: boolean;
}

/**
 * One rank's share of a dataset, as PyTorch's `DistributedSampler`: epoch
 * `e` orders all indices (a permutation seeded by `seed + e` when shuffling),
 * pads the order by repeating its start up to a multiple of the world size
 * (or cuts the tail with `dropLast`), and gives rank r the indices at
 * positions `r, r + R, r + 2R, …`. The shards are disjoint apart from the
 * padding, cover the dataset each epoch, and all have {@link length} samples.
 *
 * `@fathom/datasets`' `DataLoader` takes no sampler argument; instead the
 * sampler is itself a dataset (sample `i` is the dataset's sample at this
 * rank's i-th index) whose `setEpoch` the loader calls at the start of every
 * epoch — including a resumed one — so each epoch is reshuffled in step on
 * every rank without a call in the loop. Pass it where PyTorch passes
 * `sampler=`, and leave the loader's own `shuffle` off:
 *
 * ```ts
 * const shard = new DistributedSampler(trainSet, { group, seed: 0 });
 * const loader = new DataLoader(shard, { batchSize: 64 / group.worldSize });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for await (const { x, y } of loader) { … }   // loader calls shard.setEpoch(epoch)
 * }
 * ```
 */
export class DistributedSampler<T> implements ShardableDataset<T>, Iterable<number> {
  /** The whole dataset. */
  readonly dataset: ShardableDataset<T>;
  /** How many shards. */
  readonly numReplicas: number;
  /** Which shard this is. */
  readonly rank: number;
  /** Whether each epoch is shuffled. */
  readonly shuffle: boolean;
  /** The shuffle's seed. */
  readonly seed: number;
  /** Whether the uneven tail is left out (else padded). */
  readonly dropLast: boolean;
  /** Whether shards are padded to equal length. */
  readonly pad: boolean;
  /** Samples in this shard each epoch (the same on every rank unless `pad` is false). */
  readonly numSamples: number;
  private epochValue = 0;
  private cached: { epoch: number; indices: Int32Array } | null = null;

  constructor(dataset: ShardableDataset<T>, options: DistributedSamplerOptions = {}) {
    const op = 'DistributedSampler';
    if (typeof dataset?.get !== 'function' || !Number.isSafeInteger(dataset.length) || dataset.length < 0) {
      throw new ValueError(`${op}: expected a dataset (an object with a length and a get(index) method)`);
    }
    const numReplicas = options.numReplicas ?? options.group?.worldSize;
    const rank = options.rank ?? options.group?.rank;
    if (numReplicas === undefined || rank === undefined) throw new ValueError(`${op}: give a group, or numReplicas and rank`);
    if (!Number.isSafeInteger(numReplicas) || numReplicas < 1) throw new ValueError(`${op}: numReplicas must be an integer ≥ 1, got ${numReplicas}`);
    if (!Number.isSafeInteger(rank) || rank < 0 || rank >= numReplicas) throw new ValueError(`${op}: rank ${rank} is not in 0 … ${numReplicas - 1}`);
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`${op}: seed must be an integer ≥ 0, got ${seed}`);
    this.dataset = dataset;
    this.numReplicas = numReplicas;
    this.rank = rank;
    this.shuffle = options.shuffle ?? true;
    this.seed = seed;
    this.dropLast = options.dropLast ?? false;
    this.pad = this.dropLast || (options.pad ?? true);
    const n = dataset.length;
    // PyTorch's arithmetic: with dropLast the tail that does not divide evenly is cut, else padded.
    const even = Math.max(0, this.dropLast && n % numReplicas !== 0 ? Math.ceil((n - numReplicas) / numReplicas) : Math.ceil(n / numReplicas));
    this.numSamples = this.pad ? even : Math.floor(n / numReplicas) + (rank < n % numReplicas ? 1 : 0);
  }

  /** Samples in this shard: what a DataLoader over the sampler batches. */
  get length(): number {
    return this.numSamples;
  }

  /** The epoch whose shard is served. */
  get epoch(): number {
    return this.epochValue;
  }

  /** Serves epoch `epoch`'s shard from now on (PyTorch's `set_epoch`); the DataLoader calls it at each epoch's start. */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new ValueError(`DistributedSampler.setEpoch: epoch must be an integer ≥ 0, got ${epoch}`);
    this.epochValue = epoch;
    this.dataset.setEpoch?.(epoch);
  }

  /** The dataset's sample at this shard's `index`-th position in the current epoch. */
  get(index: number): T | Promise<T> {
    if (!Number.isInteger(index) || index < 0 || index >= this.numSamples) {
      throw new ValueError(`DistributedSampler.get: index ${index} is out of range for a shard of ${this.numSamples} samples`);
    }
    return this.dataset.get(this.indices()[index]);
  }

  /** This rank's dataset indices for `epoch` (default the current one), in the order they are visited. */
  indices(epoch: number = this.epochValue): Int32Array {
    if (this.cached?.epoch === epoch) return this.cached.indices;
    const order = this.order(epoch);
    const total = this.pad ? this.numSamples * this.numReplicas : order.length;
    const padded = new Int32Array(total);
    // Padding repeats the order from its start (several times over when the dataset is smaller than the world).
    for (let i = 0; i < total; i++) padded[i] = order[i % order.length];
    const indices = Int32Array.from({ length: this.numSamples }, (_, k) => padded[this.rank + k * this.numReplicas]);
    this.cached = { epoch, indices };
    return indices;
  }

  /** Iterates this rank's indices of the current epoch (PyTorch's `iter(sampler)`). */
  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }

  // Every index of the dataset in epoch `epoch`'s order.
  private order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (!this.shuffle) return Int32Array.from({ length: n }, (_, i) => i);
    // seed + epoch, as PyTorch: every rank draws the same permutation without talking.
    const permutation = randperm(n, { generator: new Generator(this.seed + epoch), device: 'cpu' });
    const values = permutation.dataSync() as Int32Array;
    permutation.dispose();
    return values;
  }
}
