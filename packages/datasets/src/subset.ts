import { IndexError } from '@fathom/core';
import { checkIndex, type Dataset } from './dataset.js';

/**
 * The samples of `dataset` at `indices`, in that order (PyTorch's `Subset`).
 * Indices are checked when the subset is made.
 *
 * ```ts
 * const firstHundred = new Subset(digits, Array.from({ length: 100 }, (_, i) => i));
 * firstHundred.get(0); // digits.get(0)
 * ```
 */
export class Subset<T> implements Dataset<T> {
  /** The dataset the samples come from. */
  readonly dataset: Dataset<T>;
  /** The index in {@link dataset} of each sample of this subset. */
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    this.dataset = dataset;
    this.indices = Int32Array.from(indices as ArrayLike<number>);
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i];
      if (!Number.isInteger(index) || index < 0 || index >= dataset.length) {
        throw new IndexError(`Subset: indices[${i}] = ${index} is out of range for a dataset of ${dataset.length} samples`);
      }
    }
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T | Promise<T> {
    return this.dataset.get(this.indices[checkIndex('Subset.get', index, this.indices.length)]);
  }

  setEpoch(epoch: number): void {
    this.dataset.setEpoch?.(epoch);
  }
}
