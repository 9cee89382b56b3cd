import { DataError, tensor, type Device } from '@fathom/core';
import { parseIdx } from './idx.js';
import { LabeledTensorDataset } from './labeled-tensor-dataset.js';
import { MNIST_CLASSES, MNIST_IMAGE_SIZE, type MnistDigits } from './mnist-digits.js';

/** The four files of the MNIST distribution, without the `.gz` ending. */
export const MNIST_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/** Options of {@link mnistFromIdx}. */
export interface MnistFromIdxOptions {
  /** Name of the images file in error messages (default `'images'`). */
  readonly imagesSource?: string;
  /** Name of the labels file in error messages (default `'labels'`). */
  readonly labelsSource?: string;
  /** The device of the tensors (default: the default device). */
  readonly device?: Device;
}

/**
 * MNIST from the bytes of an images IDX file (`[N, 28, 28]` uint8) and a
 * labels IDX file (`[N]` uint8 in `0 … 9`), uncompressed — the browser-safe
 * half of `loadMnist`. Returns the same kind of dataset as the embedded
 * digits: `images` `(N, 1, 28, 28)` float32 in `[0, 1]` (bytes / 255),
 * `labels` `(N)` int32.
 *
 * Throws {@link DataError} naming the file for a damaged header, a size that
 * does not match it, images that are not 28×28, a label outside `0 … 9`, or
 * files that disagree on `N`.
 *
 * ```ts
 * const train = mnistFromIdx(imageBytes, labelBytes);
 * train.images.shape; // [60000, 1, 28, 28]
 * ```
 */
export function mnistFromIdx(imagesBytes: Uint8Array, labelsBytes: Uint8Array, options: MnistFromIdxOptions = {}): MnistDigits {
  const imagesSource = options.imagesSource ?? 'images';
  const labelsSource = options.labelsSource ?? 'labels';
  const images = parseIdx(imagesBytes, imagesSource);
  const labels = parseIdx(labelsBytes, labelsSource);
  if (images.dtype !== 'uint8') throw new DataError(`${imagesSource}: holds ${images.dtype} elements; MNIST images are uint8 (type byte 0x08)`);
  if (labels.dtype !== 'uint8') throw new DataError(`${labelsSource}: holds ${labels.dtype} elements; MNIST labels are uint8 (type byte 0x08)`);
  if (images.shape.length !== 3 || images.shape[1] !== MNIST_IMAGE_SIZE || images.shape[2] !== MNIST_IMAGE_SIZE) {
    throw new DataError(`${imagesSource}: wrong dimensions [${images.shape.join(', ')}]; MNIST images are [N, 28, 28]`);
  }
  if (labels.shape.length !== 1) throw new DataError(`${labelsSource}: wrong dimensions [${labels.shape.join(', ')}]; MNIST labels are [N]`);
  const count = images.shape[0];
  if (labels.shape[0] !== count) {
    throw new DataError(`${imagesSource} holds ${count} images but ${labelsSource} holds ${labels.shape[0]} labels; they must match`);
  }
  const labelValues = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels.data[i];
    if (label > 9) throw new DataError(`${labelsSource}: label ${label} at index ${i} is out of range 0 … 9`);
    labelValues[i] = label;
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return new LabeledTensorDataset(
    tensor(pixels, { shape: [count, 1, MNIST_IMAGE_SIZE, MNIST_IMAGE_SIZE], device: options.device }),
    tensor(labelValues, { shape: [count], device: options.device }),
    { classes: MNIST_CLASSES, labelValues },
  );
}
