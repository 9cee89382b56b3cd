import { checkIndex, type Dataset } from './dataset.js';

/**
 * Several datasets one after another (PyTorch's `ConcatDataset`): index 0 is
 * the first sample of the first dataset, index `datasets[0].length` the first of
 * the second, and so on. The lengths are read when it is made.
 *
 * ```ts
 * const all = new ConcatDataset([train, extra]);
 * all.length === train.length + extra.length; // true
 * ```
 */
export class ConcatDataset<T> implements Dataset<T> {
  /** The datasets, in order. */
  readonly datasets: readonly Dataset<T>[];
  /** `cumulativeSizes[k]` is the total length of `datasets[0 … k]`. */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: readonly Dataset<T>[]) {
    this.datasets = [...datasets];
    let total = 0;
    this.cumulativeSizes = this.datasets.map((dataset) => (total += dataset.length));
  }

  get length(): number {
    return this.cumulativeSizes.length === 0 ? 0 : this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }

  get(index: number): T | Promise<T> {
    checkIndex('ConcatDataset.get', index, this.length);
    // Binary search for the first dataset whose cumulative size exceeds index.
    let low = 0;
    let high = this.cumulativeSizes.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulativeSizes[middle] > index) high = middle;
      else low = middle + 1;
    }
    const start = low === 0 ? 0 : this.cumulativeSizes[low - 1];
    return this.datasets[low].get(index - start);
  }

  setEpoch(epoch: number): void {
    for (const dataset of this.datasets) dataset.setEpoch?.(epoch);
  }
}
