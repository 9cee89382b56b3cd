import { DataError, DeviceError, ShapeError, type Tensor } from '@fathom/core';
import { checkIndex, type Dataset } from './dataset.js';

/** A sample of a classification dataset: an input and its class index. */
export interface LabeledSample<X = Tensor> {
  /** The input (an image tensor `(C, H, W)`, unless a transform made something else). */
  readonly x: X;
  /** The class index, `0 … classes.length − 1`. */
  readonly y: number;
}

/**
 * A classification dataset held as two tensors: `images` `(N, …)` and
 * `labels` `(N)` int32. `get(i)` returns `{ x: images[i], y: label }` with `x`
 * a view (no copy). The MNIST loaders return this, so the embedded digits and
 * the IDX files are used the same way — whole (`images`, `labels`, for PCA or
 * full-batch work) or through a {@link DataLoader}.
 *
 * ```ts
 * const data = new LabeledTensorDataset(images, labels);
 * const { x, y } = data.get(0); // x: (1, 28, 28), y: a number
 * ```
 *
 * Labels on a device that cannot read synchronously (webgpu) need
 * `await LabeledTensorDataset.fromTensors(images, labels)`, or `labelValues`.
 */
export class LabeledTensorDataset implements Dataset<LabeledSample> {
  /** All inputs, `(N, …)`. */
  readonly images: Tensor;
  /** All class indices, `(N)` int32. */
  readonly labels: Tensor;
  /** Names of the classes, index by index (default `'0'`, `'1'`, …). */
  readonly classes: readonly string[];
  private readonly labelValues: Int32Array;

  /**
   * The dataset of `images` and `labels`, with the labels copied to the host:
   * read asynchronously, so it works on every device, webgpu included (where
   * the constructor alone cannot read them).
   *
   * ```ts
   * const data = await LabeledTensorDataset.fromTensors(images.to('webgpu'), labels.to('webgpu'));
   * ```
   */
  static async fromTensors(images: Tensor, labels: Tensor, options: { readonly classes?: readonly string[] } = {}): Promise<LabeledTensorDataset> {
    // Checked before the read, so a wrong dtype is not read back as something else first.
    if (labels.dtype !== 'int32') throw new DataError(`LabeledTensorDataset.fromTensors: labels must be int32, got ${labels.dtype}`);
    const labelValues = labels.ndim === 1 ? ((await labels.data()) as Int32Array) : undefined;
    return new LabeledTensorDataset(images, labels, { ...options, ...(labelValues ? { labelValues } : {}) });
  }

  /**
   * `labelValues` (the labels on the host) saves a read of `labels` when the
   * caller has them; otherwise they are read with `dataSync()`, which a device
   * without synchronous reads (webgpu) cannot do: there, use
   * {@link LabeledTensorDataset.fromTensors}.
   */
  constructor(images: Tensor, labels: Tensor, options: { readonly classes?: readonly string[]; readonly labelValues?: Int32Array } = {}) {
    const op = 'LabeledTensorDataset';
    if (images.ndim < 1) throw new ShapeError(`${op}: images must have a first (sample) dimension, got a 0-d tensor`);
    if (labels.ndim !== 1 || labels.shape[0] !== images.shape[0]) {
      throw new ShapeError(`${op}: labels must be (N) for images (N, …) = [${images.shape.join(', ')}], got [${labels.shape.join(', ')}]`);
    }
    if (labels.dtype !== 'int32') throw new DataError(`${op}: labels must be int32, got ${labels.dtype}`);
    this.images = images;
    this.labels = labels;
    if (options.labelValues !== undefined && options.labelValues.length !== labels.shape[0]) {
      throw new ShapeError(`${op}: labelValues holds ${options.labelValues.length} labels for ${labels.shape[0]} samples`);
    }
    if (options.labelValues === undefined && !labels.backend.capabilities.syncRead) {
      throw new DeviceError(
        `${op}: labels on device '${labels.device}' cannot be read synchronously; use await LabeledTensorDataset.fromTensors(images, labels), or pass labelValues`,
      );
    }
    this.labelValues = options.labelValues ?? (labels.dataSync() as Int32Array);
    let highest = -1;
    for (const label of this.labelValues) {
      if (label < 0) throw new DataError(`${op}: label ${label} is negative`);
      highest = Math.max(highest, label);
    }
    this.classes = options.classes ?? Array.from({ length: highest + 1 }, (_, i) => String(i));
    if (highest >= this.classes.length) throw new DataError(`${op}: label ${highest} is out of range for ${this.classes.length} classes`);
  }

  get length(): number {
    return this.images.shape[0];
  }

  get(index: number): LabeledSample {
    checkIndex('LabeledTensorDataset.get', index, this.length);
    return { x: this.images.select(0, index), y: this.labelValues[index] };
  }

  /** The class index of sample `index`, without touching the image. */
  label(index: number): number {
    return this.labelValues[checkIndex('LabeledTensorDataset.label', index, this.length)];
  }
}
