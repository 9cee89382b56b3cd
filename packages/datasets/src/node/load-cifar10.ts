import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ValueError, type Tensor } from '@fathom/core';
import { CIFAR10_FILES, cifar10FromBatches, type Cifar10Options } from '../cifar10.js';
import type { LabeledImageDataset } from '../labeled-image-dataset.js';
import { readDataFile } from './read-data-file.js';

/** Options of {@link loadCifar10}. */
export interface LoadCifar10Options<X> extends Cifar10Options<X> {
  /** `'train'` (`data_batch_1.bin` … `data_batch_5.bin`) or `'test'` (`test_batch.bin`); default `'train'`. */
  readonly split?: 'train' | 'test';
}

/**
 * CIFAR-10 from the binary batches in `directory` (the
 * `cifar-10-batches-bin` folder of the distribution, or the folder holding
 * it). Nothing is downloaded. Images are kept as bytes and converted by the
 * transform in `get` (default: `(3, 32, 32)` float32 in `[0, 1]`).
 *
 * A missing file, a size that is not a whole number of 3,073-byte records, a
 * record count other than 10,000 (unless `recordsPerFile` says otherwise) or a
 * label outside `0 … 9` raises `DataError` naming the file.
 *
 * ```ts
 * const train = await loadCifar10('data', {
 *   split: 'train',
 *   transform: compose(randomCrop(32, { padding: 4 }), randomHorizontalFlip(), toTensor(), normalize(CIFAR10_MEAN, CIFAR10_STD)),
 * });
 * ```
 */
export async function loadCifar10<X = Tensor>(directory: string, options: LoadCifar10Options<X> = {}): Promise<LabeledImageDataset<X>> {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new ValueError(`loadCifar10: split must be 'train' or 'test', got '${String(split)}'`);
  const nested = join(directory, 'cifar-10-batches-bin');
  const folder = !existsSync(join(directory, CIFAR10_FILES[split][0])) && existsSync(nested) ? nested : directory;
  const batches = await Promise.all(
    CIFAR10_FILES[split].map(async (name) => {
      const source = join(folder, name);
      return { source, bytes: await readDataFile('loadCifar10', source) };
    }),
  );
  return cifar10FromBatches<X>(batches, options);
}
