import { DataError, ShapeError, ValueError, tensor, type Tensor } from '@fathom/core';
import { checkIndex, type Dataset } from './dataset.js';
import type { LabeledSample } from './labeled-tensor-dataset.js';
import { SampleStreams, checkSeed, drawSeed } from './random-streams.js';
import type { RawImage } from './transforms/raw-image.js';
import { toTensor } from './transforms/to-tensor.js';
import type { Transform } from './transforms/transform.js';

/** Options of {@link LabeledImageDataset}. */
export interface LabeledImageDatasetOptions<X> {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** Class names, index by index; default `'0'`, `'1'`, … up to the highest label. */
  readonly classes?: readonly string[];
  /** Applied to each image in `get` (default {@link toTensor}: a `(C, H, W)` float32 tensor in `[0, 1]`). */
  readonly transform?: Transform<RawImage, X>;
  /**
   * The seed of the random transforms. Each sample's draws depend only on
   * `(seed, epoch, index)` (see `DataLoader.setEpoch`). Default: drawn from the
   * generator `manualSeed` seeds.
   */
  readonly seed?: number;
}

/**
 * A classification dataset of same-sized images held in memory as bytes
 * (HWC, one image after another) with their labels; `get(i)` runs the
 * transform on image `i`, so augmentations (random crops, flips, jitter) differ
 * from epoch to epoch. CIFAR-10 loads as this.
 *
 * ```ts
 * const train = cifar.withTransform(compose(randomCrop(32, { padding: 4 }), randomHorizontalFlip(), toTensor()));
 * const { x, y } = train.get(0); // x: (3, 32, 32)
 * ```
 */
export class LabeledImageDataset<X = Tensor> implements Dataset<LabeledSample<X>> {
  /** All images, `N × height × width × channels` bytes. */
  readonly pixels: Uint8Array;
  /** The class index of each image. */
  readonly labels: Int32Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly classes: readonly string[];
  /** The transform `get` applies. */
  readonly transform: Transform<RawImage, X>;
  private readonly streams: SampleStreams;

  constructor(pixels: Uint8Array, labels: Int32Array, options: LabeledImageDatasetOptions<X>) {
    const op = 'LabeledImageDataset';
    const { width, height, channels } = options;
    for (const [name, value] of [['width', width], ['height', height], ['channels', channels]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${value}`);
    }
    const imageBytes = width * height * channels;
    if (pixels.length !== labels.length * imageBytes) {
      throw new ShapeError(`${op}: ${pixels.length} bytes of pixels do not hold ${labels.length} images of ${height}×${width}×${channels}`);
    }
    let highest = -1;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] < 0) throw new DataError(`${op}: label ${labels[i]} of image ${i} is negative`);
      highest = Math.max(highest, labels[i]);
    }
    this.classes = options.classes ?? Array.from({ length: highest + 1 }, (_, i) => String(i));
    if (highest >= this.classes.length) throw new DataError(`${op}: label ${highest} is out of range for ${this.classes.length} classes`);
    this.pixels = pixels;
    this.labels = labels;
    this.width = width;
    this.height = height;
    this.channels = channels;
    this.transform = options.transform ?? (toTensor() as unknown as Transform<RawImage, X>);
    this.streams = new SampleStreams(options.seed === undefined ? drawSeed() : checkSeed(op, options.seed), labels.length);
  }

  get length(): number {
    return this.labels.length;
  }

  /** The seed of the random transforms. */
  get seed(): number {
    return this.streams.seed;
  }

  /** Image `index` as stored, before any transform (a view of {@link pixels}: do not write to it). */
  image(index: number): RawImage {
    checkIndex('LabeledImageDataset.image', index, this.length);
    const size = this.width * this.height * this.channels;
    return { data: this.pixels.subarray(index * size, (index + 1) * size), width: this.width, height: this.height, channels: this.channels };
  }

  /** The class index of sample `index`. */
  label(index: number): number {
    return this.labels[checkIndex('LabeledImageDataset.label', index, this.length)];
  }

  get(index: number): LabeledSample<X> {
    const image = this.image(index);
    return { x: this.transform(image, this.streams.next(index)), y: this.labels[index] };
  }

  setEpoch(epoch: number): void {
    this.streams.setEpoch(epoch);
  }

  /** The same images and labels with another transform (the bytes are shared, not copied). */
  withTransform<Y>(transform: Transform<RawImage, Y>, options: { readonly seed?: number } = {}): LabeledImageDataset<Y> {
    return new LabeledImageDataset<Y>(this.pixels, this.labels, {
      width: this.width, height: this.height, channels: this.channels, classes: this.classes, transform, seed: options.seed ?? this.seed,
    });
  }

  /** Every image as one `(N, C, H, W)` float32 tensor in `[0, 1]` (no transform) and the labels as `(N)` int32. */
  toTensors(): { readonly images: Tensor; readonly labels: Tensor } {
    const count = this.length;
    const plane = this.width * this.height;
    const out = new Float32Array(count * plane * this.channels);
    for (let i = 0; i < count; i++) {
      const image = this.image(i);
      for (let c = 0; c < this.channels; c++) {
        const target = (i * this.channels + c) * plane;
        for (let p = 0; p < plane; p++) out[target + p] = image.data[p * this.channels + c] / 255;
      }
    }
    return {
      images: tensor(out, { shape: [count, this.channels, this.height, this.width] }),
      labels: tensor(Int32Array.from(this.labels), { shape: [count] }),
    };
  }
}
