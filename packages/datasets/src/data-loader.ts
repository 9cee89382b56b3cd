import { Generator, ValueError, isTensorLike, keep, randperm, type Tensor } from '@fathom/core';
import { defaultCollate, type CollateFunction, type Collated } from './collate.js';
import type { Dataset } from './dataset.js';
import { checkSeed, drawSeed } from './random-streams.js';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1). */
  readonly batchSize?: number;
  /** Visit the samples in a new random order each epoch (default false: in index order). */
  readonly shuffle?: boolean;
  /**
   * The seed of the shuffle. Epoch `e`'s order is a function of `(seed, e)`
   * only, so the same seed gives the same batches on every run and device.
   * Default: a seed drawn from the generator `manualSeed` seeds when the loader is made.
   */
  readonly seed?: number;
  /** Leave out the last batch when it would be smaller than `batchSize` (default false). */
  readonly dropLast?: boolean;
  /** Turns a list of samples into a batch (default {@link defaultCollate}: stacks tensors, tensors from numbers). */
  readonly collate?: CollateFunction<T, B>;
  /**
   * How many batches to load ahead of the one the loop is working on (default
   * 2). Their samples are requested from the dataset at once, so an async
   * dataset (image files decoded by workers) works while the model trains.
   */
  readonly prefetch?: number;
  /**
   * Keep every batch alive until you release it (or the garbage collector
   * does). Default false: the loader releases a batch's tensors when the loop
   * asks for the next batch, or ends, so a training loop keeps memory flat
   * without a single `dispose()`. Clone a tensor (and `keep()` the clone) to
   * hold on to it past that point.
   */
  readonly retainBatches?: boolean;
}

/** Where a {@link DataLoader} is: save it in a checkpoint to resume mid-epoch with {@link DataLoader.loadStateDict}. */
export interface DataLoaderState {
  /** The seed of the shuffle. */
  readonly seed: number;
  /** The epoch being iterated (or next to be). */
  readonly epoch: number;
  /** How many batches of that epoch have been handed out. */
  readonly position: number;
}

const RELEASED_BATCH = 'by the DataLoader when the loop moved past its batch (pass retainBatches: true to keep batches, or keep a clone)';
const RELEASED_SAMPLE = 'by the DataLoader after collating it into a batch (a Dataset.get must return fresh tensors or views)';

/** Every tensor in a sample or batch: the value itself, or inside arrays and plain objects. */
function tensorsIn(value: unknown, found: Set<Tensor> = new Set(), depth = 0): Set<Tensor> {
  if (depth > 8 || value === null || typeof value !== 'object') return found;
  if (isTensorLike(value)) {
    found.add(value);
    return found;
  }
  if (ArrayBuffer.isView(value)) return found;
  const items = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
  for (const item of items) tensorsIn(item, found, depth + 1);
  return found;
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function releaseAll(tensors: Iterable<Tensor>, reason: string): void {
  for (const t of tensors) t.release(reason);
}

function checkCount(op: string, name: string, value: number, minimum: number): number {
  if (!Number.isSafeInteger(value) || value < minimum) throw new ValueError(`${op}: ${name} must be an integer ≥ ${minimum}, got ${value}`);
  return value;
}

/**
 * Batches the samples of a {@link Dataset}, as PyTorch's `DataLoader`, iterated
 * with `for await`. Batches come in order whatever order their samples finish
 * loading in.
 *
 * - **Shuffle** with a seed: epoch `e` visits the samples in the order of
 *   core's Philox `randperm` under `(seed, e)`, the same on every run.
 * - **Epochs and resuming**: the loader is a cursor. A loop that runs to the
 *   end finishes the epoch and the next loop starts the next epoch; a loop left
 *   early (`break`) resumes where it stopped. {@link stateDict} /
 *   {@link loadStateDict} save and restore `(seed, epoch, position)`, so a run
 *   restored from a checkpoint sees exactly the batches an uninterrupted one
 *   would. {@link setEpoch} jumps to the start of an epoch.
 * - **Memory**: each batch's tensors are released when the loop asks for the
 *   next one (see `retainBatches`), and the samples' tensors once stacked.
 *   Batch tensors are exempt from `scope()`, since prefetching makes them while
 *   your step's scope may be open.
 *
 * ```ts
 * const loader = new DataLoader(dataset, { batchSize: 64, shuffle: true, seed: 0 });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for await (const { x, y } of loader) {
 *     // x: (64, 1, 28, 28) float32, y: (64) int32
 *   }
 * }
 * ```
 */
export class DataLoader<T, B = Collated<T>> implements AsyncIterable<B> {
  /** The dataset the samples come from. */
  readonly dataset: Dataset<T>;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch has its own random order. */
  readonly shuffle: boolean;
  /** Whether a last, smaller batch is left out. */
  readonly dropLast: boolean;
  /** Batches loaded ahead. */
  readonly prefetch: number;
  /** Whether batches outlive the loop step that received them. */
  readonly retainBatches: boolean;
  private readonly collate: CollateFunction<T, B>;
  private seedValue: number;
  private epochValue = 0;
  private positionValue = 0;
  private iterating = false;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const op = 'DataLoader';
    if (typeof dataset?.get !== 'function' || !Number.isSafeInteger(dataset.length) || dataset.length < 0) {
      throw new ValueError(`${op}: expected a Dataset (an object with a length and a get(index) method)`);
    }
    this.dataset = dataset;
    this.batchSize = checkCount(op, 'batchSize', options.batchSize ?? 1, 1);
    this.prefetch = checkCount(op, 'prefetch', options.prefetch ?? 2, 0);
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.retainBatches = options.retainBatches ?? false;
    this.collate = options.collate ?? (defaultCollate as unknown as CollateFunction<T, B>);
    this.seedValue = options.seed === undefined ? (this.shuffle ? drawSeed() : 0) : checkSeed(op, options.seed);
  }

  /** Batches per epoch. */
  get length(): number {
    const samples = this.dataset.length;
    return this.dropLast ? Math.floor(samples / this.batchSize) : Math.ceil(samples / this.batchSize);
  }

  /** The seed of the shuffle. */
  get seed(): number {
    return this.seedValue;
  }

  /** The epoch being iterated, or the next one to be. */
  get epoch(): number {
    return this.epochValue;
  }

  /** How many batches of the current epoch have been handed out. */
  get position(): number {
    return this.positionValue;
  }

  /**
   * Moves to the start of epoch `epoch` (as `DistributedSampler.set_epoch`):
   * the next loop yields that epoch's batches from the first.
   */
  setEpoch(epoch: number): void {
    this.checkIdle('setEpoch');
    this.epochValue = checkCount('DataLoader.setEpoch', 'epoch', epoch, 0);
    this.positionValue = 0;
  }

  /** The loader's position, to save in a checkpoint. */
  stateDict(): DataLoaderState {
    return { seed: this.seedValue, epoch: this.epochValue, position: this.positionValue };
  }

  /** Restores a position saved with {@link stateDict}: the next loop continues from the batch after the last one handed out. */
  loadStateDict(state: DataLoaderState): void {
    const op = 'DataLoader.loadStateDict';
    this.checkIdle('loadStateDict');
    const seed = checkSeed(op, state.seed);
    const epoch = checkCount(op, 'epoch', state.epoch, 0);
    const position = checkCount(op, 'position', state.position, 0);
    if (position > this.length) throw new ValueError(`${op}: position ${position} is past the ${this.length} batches of an epoch`);
    this.seedValue = seed;
    this.epochValue = epoch;
    this.positionValue = position;
  }

  /**
   * The order in which epoch `epoch` visits the dataset's indices (all of
   * them, before batching): `randperm(length)` under `(seed, epoch)` when
   * shuffling, else `0 … length − 1`.
   */
  order(epoch: number = this.epochValue): Int32Array {
    const n = this.dataset.length;
    if (!this.shuffle) return Int32Array.from({ length: n }, (_, i) => i);
    // Each permutation takes n Philox counters, so epoch e starts at counter e·n:
    // the same numbers as drawing one permutation after another from Generator(seed).
    const generator = new Generator(this.seedValue).setState({ seed: this.seedValue, offset: epoch * n });
    const permutation = randperm(n, { generator, device: 'cpu' });
    const values = permutation.dataSync() as Int32Array;
    permutation.dispose();
    return values;
  }

  /** Iterates the batches of the current epoch from the current position (`for await (const batch of loader)`). */
  [Symbol.asyncIterator](): AsyncIterator<B> {
    return this.run();
  }

  private checkIdle(op: string): void {
    if (this.iterating) throw new ValueError(`DataLoader.${op}: cannot be called while a loop over the loader is running`);
  }

  private async loadBatch(indices: Int32Array): Promise<B> {
    const requested = Array.from(indices, (index) => this.dataset.get(index));
    const sampleTensors = new Set<Tensor>();
    // Keep each sample's tensors the moment we have them, so a scope the caller
    // has open meanwhile cannot release them before they are stacked.
    const holdTensors = (sample: T): T => {
      for (const t of tensorsIn(sample)) sampleTensors.add(keep(t));
      return sample;
    };
    let samples: T[];
    try {
      samples = await Promise.all(requested.map((sample) => (isPromiseLike(sample) ? Promise.resolve(sample).then(holdTensors) : holdTensors(sample))));
    } catch (error) {
      // The samples that did arrive still hold tensors; release them once everything has settled.
      void Promise.allSettled(requested).then((settled) => {
        for (const outcome of settled) if (outcome.status === 'fulfilled') releaseAll(tensorsIn(outcome.value), RELEASED_SAMPLE);
      });
      throw error;
    }
    let batch: B;
    try {
      batch = this.collate(samples);
    } catch (error) {
      releaseAll(sampleTensors, RELEASED_SAMPLE);
      throw error;
    }
    const batchTensors = tensorsIn(batch);
    for (const t of batchTensors) keep(t);
    for (const t of sampleTensors) if (!batchTensors.has(t)) t.release(RELEASED_SAMPLE);
    return batch;
  }

  private async *run(): AsyncGenerator<B, void, undefined> {
    this.checkIdle('iterate');
    this.iterating = true;
    const count = this.length;
    if (this.positionValue >= count && count > 0) {
      // A checkpoint taken during the last batch: that epoch is over.
      this.epochValue++;
      this.positionValue = 0;
    }
    this.dataset.setEpoch?.(this.epochValue);
    const order = this.order(this.epochValue);
    const batchIndices = (b: number): Int32Array => order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length));

    const pending: Promise<B>[] = [];
    let nextToLoad = this.positionValue;
    let current: B | undefined;
    const releaseCurrent = (): void => {
      if (current !== undefined && !this.retainBatches) releaseAll(tensorsIn(current), RELEASED_BATCH);
      current = undefined;
    };
    try {
      while (this.positionValue < count) {
        while (nextToLoad < count && pending.length <= this.prefetch) {
          const loading = this.loadBatch(batchIndices(nextToLoad++));
          // Marks the promise handled: a prefetched batch that fails is reported when its turn comes, not as an unhandled rejection.
          loading.catch(() => undefined);
          pending.push(loading);
        }
        const batch = await (pending.shift() as Promise<B>);
        releaseCurrent();
        current = batch;
        this.positionValue++;
        yield batch;
      }
    } finally {
      releaseCurrent();
      // Batches loaded ahead that the loop will never see.
      for (const loading of pending) loading.then((batch) => releaseAll(tensorsIn(batch), RELEASED_BATCH), () => undefined);
      if (this.positionValue >= count) {
        this.epochValue++;
        this.positionValue = 0;
      }
      this.iterating = false;
    }
  }
}
