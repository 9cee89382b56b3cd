import { IndexError } from '@fathom/core';

/**
 * A map-style dataset, as PyTorch's `torch.utils.data.Dataset`: a `length` and
 * a `get(index)` that returns the sample at `index` (`0 … length − 1`), at once
 * or as a promise (a file to read, an image to decode).
 *
 * Tensors that `get` returns belong to the caller: return a fresh tensor or a
 * view (`images.select(0, i)` is cheap), not one the dataset keeps, because a
 * {@link DataLoader} releases the sample tensors once it has stacked them.
 *
 * `setEpoch` is optional: a dataset with random augmentations uses it so that
 * its random draws depend on the epoch (see {@link DataLoader.setEpoch}).
 *
 * ```ts
 * const squares: Dataset<{ x: number; y: number }> = {
 *   length: 10,
 *   get: (i) => ({ x: i, y: i * i }),
 * };
 * ```
 */
export interface Dataset<T> {
  /** How many samples there are. */
  readonly length: number;
  /** The sample at `index`, in `0 … length − 1`. */
  get(index: number): T | Promise<T>;
  /** Called by {@link DataLoader} at the start of each epoch (and on resume) with the epoch number. */
  setEpoch?(epoch: number): void;
}

/** The sample type of a dataset. */
export type SampleOf<D> = D extends Dataset<infer T> ? T : never;

/**
 * Checks that `index` is an integer in `0 … length − 1` and returns it; throws
 * {@link IndexError} naming `op` otherwise. PyTorch's negative indices are not
 * accepted: a negative index here is almost always a bug.
 *
 * ```ts
 * get(index: number) { return this.items[checkIndex('MyDataset.get', index, this.items.length)]; }
 * ```
 */
export function checkIndex(op: string, index: number, length: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new IndexError(`${op}: index ${index} is out of range for a dataset of ${length} samples`);
  }
  return index;
}
