import { DataError } from '@fathom/core';
import { LabeledImageDataset } from './labeled-image-dataset.js';
import type { RawImage } from './transforms/raw-image.js';
import type { Transform } from './transforms/transform.js';
import type { Tensor } from '@fathom/core';

/** The classes of CIFAR-10, in label order (as `batches.meta.txt` lists them). */
export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** The binary batch files of CIFAR-10 (`cifar-10-batches-bin`). */
export const CIFAR10_FILES = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
} as const;

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD_BYTES = 1 + 3 * PLANE;

/** One binary batch file, by name (for error messages) and bytes. */
export interface Cifar10Batch {
  readonly source: string;
  readonly bytes: Uint8Array;
}

/** Options of {@link cifar10FromBatches}. */
export interface Cifar10Options<X> {
  /**
   * How many records each file must hold: the distribution's files hold 10,000
   * each, so a file with whole records missing or added is caught. `'any'`
   * accepts any whole number (for subsets and tests). Default 10,000.
   */
  readonly recordsPerFile?: number | 'any';
  /** Applied by `get` (default `toTensor()`: `(3, 32, 32)` float32 in `[0, 1]`). */
  readonly transform?: Transform<RawImage, X>;
  /** The seed of the random transforms (see {@link LabeledImageDataset}). */
  readonly seed?: number;
}

/**
 * CIFAR-10 from its binary batch files (each record: 1 label byte, then
 * 1,024 red, 1,024 green and 1,024 blue bytes of a 32×32 image, rows top to
 * bottom) — the browser-safe half of `loadCifar10`. The images are kept as
 * bytes (HWC) and turned into tensors by the transform in `get`, so the 50,000
 * training images take 150 MB, not 600.
 *
 * Throws {@link DataError} naming the file when its size is not a whole number
 * of 3,073-byte records, it holds other than `recordsPerFile` records, or a
 * label is not in `0 … 9`.
 *
 * ```ts
 * const test = cifar10FromBatches([{ source: 'test_batch.bin', bytes }]);
 * test.get(0).x.shape; // [3, 32, 32]
 * ```
 */
export function cifar10FromBatches<X = Tensor>(batches: readonly Cifar10Batch[], options: Cifar10Options<X> = {}): LabeledImageDataset<X> {
  const expected = options.recordsPerFile ?? 10_000;
  let total = 0;
  for (const { source, bytes } of batches) {
    if (bytes.length === 0) throw new DataError(`${source}: is empty; a CIFAR-10 batch holds records of ${RECORD_BYTES} bytes`);
    const records = Math.floor(bytes.length / RECORD_BYTES);
    const extra = bytes.length - records * RECORD_BYTES;
    if (extra !== 0) {
      throw new DataError(
        `${source}: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte records (${records} records and ${extra} bytes over: the file is truncated or extended)`,
      );
    }
    if (expected !== 'any' && records !== expected) {
      throw new DataError(`${source}: holds ${records} records, expected ${expected} (pass recordsPerFile: 'any' to accept a partial batch)`);
    }
    total += records;
  }
  const pixels = new Uint8Array(total * 3 * PLANE); // (N, 32, 32, 3)
  const labels = new Int32Array(total);
  let image = 0;
  for (const { source, bytes } of batches) {
    for (let at = 0; at < bytes.length; at += RECORD_BYTES, image++) {
      const label = bytes[at];
      if (label > 9) throw new DataError(`${source}: record ${at / RECORD_BYTES} (byte ${at}) has label ${label}, out of range 0 … 9`);
      labels[image] = label;
      const target = image * 3 * PLANE;
      // The file stores each channel as a plane (CHW); RawImage interleaves them (HWC).
      for (let c = 0; c < 3; c++) {
        const plane = at + 1 + c * PLANE;
        for (let p = 0; p < PLANE; p++) pixels[target + p * 3 + c] = bytes[plane + p];
      }
    }
  }
  return new LabeledImageDataset<X>(pixels, labels, {
    width: SIDE, height: SIDE, channels: 3, classes: CIFAR10_CLASSES, transform: options.transform, seed: options.seed,
  });
}
