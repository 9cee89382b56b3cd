import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, ValueError, type Device } from '@fathom/core';
import { MNIST_FILES, mnistFromIdx } from '../mnist-idx.js';
import type { MnistDigits } from '../mnist-digits.js';
import { gunzipIfCompressed, readDataFile } from './read-data-file.js';

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions {
  /** `'train'` (60,000 images) or `'test'` (10,000); default `'train'`. */
  readonly split?: 'train' | 'test';
  /** The device of the tensors (default: the default device). */
  readonly device?: Device;
}

/** The path of `name` or `name.gz` in `directory`, whichever exists (the uncompressed one first). */
function findFile(directory: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(directory, candidate);
    if (existsSync(path)) return path;
  }
  throw new DataError(`loadMnist: found neither ${name} nor ${name}.gz in ${directory}`);
}

/**
 * MNIST from the four IDX files of the original distribution in `directory`
 * (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each gzipped — `.gz` —
 * or not). Nothing is downloaded. Returns the same kind of dataset as
 * {@link loadMnistDigits}: `images` `(N, 1, 28, 28)` float32 in `[0, 1]`,
 * `labels` `(N)` int32, and `get(i)` for a `DataLoader`.
 *
 * A missing, truncated, extended or otherwise damaged file raises
 * {@link DataError} naming it and what is wrong (see `mnistFromIdx`).
 *
 * ```ts
 * const train = await loadMnist('data/mnist', { split: 'train' });
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 0 });
 * ```
 */
export async function loadMnist(directory: string, options: LoadMnistOptions = {}): Promise<MnistDigits> {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new ValueError(`loadMnist: split must be 'train' or 'test', got '${String(split)}'`);
  const names = MNIST_FILES[split];
  const imagesPath = findFile(directory, names.images);
  const labelsPath = findFile(directory, names.labels);
  const [images, labels] = await Promise.all([imagesPath, labelsPath].map(async (path) => gunzipIfCompressed(path, await readDataFile('loadMnist', path))));
  return mnistFromIdx(images, labels, { imagesSource: imagesPath, labelsSource: labelsPath, device: options.device });
}
