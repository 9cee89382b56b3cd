import { Generator, ValueError, randperm } from '@fathom/core';
import type { Dataset } from './dataset.js';
import { checkSeed, drawSeed } from './random-streams.js';
import { Subset } from './subset.js';

/** Options of {@link randomSplit}. */
export interface RandomSplitOptions {
  /** The seed of the permutation; default: one drawn from the generator `manualSeed` seeds. */
  readonly seed?: number;
}

/**
 * Splits `dataset` into non-overlapping random subsets (PyTorch's
 * `random_split`). `sizes` are either lengths that add up to
 * `dataset.length`, or fractions in `[0, 1]` that add up to 1: each part then
 * gets `floor(fraction · length)` samples and the remainder is dealt one at a
 * time to the parts in order, as PyTorch does. The same seed gives the same
 * split on every run and every device (the permutation is core's Philox
 * `randperm`).
 *
 * ```ts
 * const [train, validation] = randomSplit(dataset, [0.9, 0.1], { seed: 42 });
 * ```
 */
export function randomSplit<T>(dataset: Dataset<T>, sizes: readonly number[], options: RandomSplitOptions = {}): Subset<T>[] {
  const op = 'randomSplit';
  const total = dataset.length;
  if (sizes.length === 0) throw new ValueError(`${op}: needs at least one size`);
  for (const size of sizes) {
    if (!Number.isFinite(size) || size < 0) throw new ValueError(`${op}: sizes must be non-negative numbers, got [${sizes.join(', ')}]`);
  }
  const sum = sizes.reduce((a, b) => a + b, 0);
  let lengths: number[];
  if (sizes.every((size) => size <= 1) && Math.abs(sum - 1) < 1e-9 && !(sizes.every(Number.isInteger) && sum === total)) {
    lengths = sizes.map((fraction) => Math.floor(fraction * total));
    const remainder = total - lengths.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) lengths[i % lengths.length]++;
  } else {
    if (!sizes.every(Number.isInteger) || sum !== total) {
      throw new ValueError(
        `${op}: sizes [${sizes.join(', ')}] are neither lengths adding up to the dataset's ${total} samples nor fractions adding up to 1`,
      );
    }
    lengths = [...sizes];
  }
  const seed = options.seed === undefined ? drawSeed() : checkSeed(op, options.seed);
  const order = randperm(total, { generator: new Generator(seed), device: 'cpu' });
  const permutation = order.dataSync() as Int32Array;
  order.dispose();
  let start = 0;
  return lengths.map((length) => {
    const part = new Subset(dataset, permutation.subarray(start, start + length));
    start += length;
    return part;
  });
}
