import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, randperm, type Tensor } from '@fathom/core';
import {
  centerCrop, compose, IMAGENET_MEAN, Subset, IMAGENET_STD, LabeledImageDataset, normalize, randomCrop, randomHorizontalFlip, randomResizedCrop, resize, toTensor,
  type Dataset, type RawImage, type Transform,
} from '@fathom/datasets';
import { decodeImage, ImageFolder, loadCifar10, loadMnistDigits } from '@fathom/datasets/node';
import { UsageError } from '@fathom/train/cli';

/** Where the images come from: the embedded digits, an ImageNet-style folder, or CIFAR-10 binaries. */
export type DatasetName = 'digits' | 'imagefolder' | 'cifar10';

/** What the data flags say. */
export interface DataOptions {
  readonly dataset: DatasetName;
  /** The folder of an ImageFolder (with train/ and val/) or of CIFAR-10's binaries. */
  readonly data?: string;
  /** Channels the model needs (1 or 3), or the data's own. */
  readonly channels: 1 | 3 | 'any';
  /** The side the model sees. */
  readonly size: number;
  /** ImageFolder's validation resize before the centre crop (torchvision's 256 for 224). */
  readonly resizeSize?: number;
  /** Random crops, flips and shifts for training (default on). */
  readonly augment: boolean;
  /** Worker threads decoding images (ImageFolder). */
  readonly workers: number;
  /** Seeds the split and the augmentations. */
  readonly seed: number;
  /** Use only the first N training and N validation images (tests, quick runs). */
  readonly limit?: number;
}

/** A labelled image sample as the loader batches it. */
export interface Sample {
  readonly x: Tensor;
  readonly y: number;
}

/** The datasets of a run, their classes and shapes, and how to show a validation image. */
export interface RunData {
  readonly train: Dataset<Sample>;
  readonly val: Dataset<Sample>;
  readonly classes: readonly string[];
  readonly channels: number;
  readonly size: number;
  /** Where the data came from, for the log. */
  readonly description: string;
  /** Validation image `index` as stored, for the report's grid of mistakes. */
  image(index: number): Promise<RawImage>;
  /** Stops decoding workers. */
  close(): Promise<void>;
}

/** The embedded digits' split: 8,000 to train on, 2,000 held out, the same every run. */
export const DIGITS_HELD_OUT = 2000;
const DIGITS_SPLIT_SEED = 20261205;
const DIGIT_MEAN = [0.1307];
const DIGIT_STD = [0.3081];
const CIFAR_MEAN = [0.4914, 0.4822, 0.4465];
const CIFAR_STD = [0.247, 0.2435, 0.2616];

/** A grey image as three equal channels (torchvision's `Grayscale(num_output_channels=3)` in reverse). */
function toThreeChannels(image: RawImage): RawImage {
  if (image.channels === 3) return image;
  const data = new Uint8Array(image.width * image.height * 3);
  for (let i = 0; i < image.width * image.height; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = image.data[i];
  return { data, width: image.width, height: image.height, channels: 3 };
}

function pipeline(steps: Transform<RawImage, RawImage>[], mean: readonly number[], std: readonly number[]): Transform<RawImage, Tensor> {
  return compose<RawImage, Tensor>(...(steps as Transform<never, unknown>[]), toTensor() as Transform<never, unknown>, normalize(mean, std) as Transform<never, unknown>);
}

function subsetImages(pixels: Uint8Array, labels: Int32Array, order: Int32Array, imageBytes: number): { pixels: Uint8Array; labels: Int32Array } {
  const out = new Uint8Array(order.length * imageBytes);
  const outLabels = new Int32Array(order.length);
  order.forEach((index, i) => {
    out.set(pixels.subarray(index * imageBytes, (index + 1) * imageBytes), i * imageBytes);
    outLabels[i] = labels[index];
  });
  return { pixels: out, labels: outLabels };
}

async function digits(options: DataOptions): Promise<RunData> {
  const loaded = await loadMnistDigits();
  const count = loaded.images.shape[0];
  const pixels = Uint8Array.from(await loaded.images.data(), (v) => Math.round(v * 255));
  const labels = Int32Array.from(await loaded.labels.data());
  const permutation = randperm(count, { generator: new Generator(DIGITS_SPLIT_SEED), device: 'cpu' });
  const order = Int32Array.from(await permutation.data());
  const trainOrder = order.subarray(0, count - DIGITS_HELD_OUT);
  const train = subsetImages(pixels, labels, options.limit ? trainOrder.subarray(0, options.limit) : trainOrder, 28 * 28);
  const valOrder = order.subarray(count - DIGITS_HELD_OUT);
  const val = subsetImages(pixels, labels, options.limit ? valOrder.subarray(0, options.limit) : valOrder, 28 * 28);
  const channels = options.channels === 'any' ? 1 : options.channels;
  const sized: Transform<RawImage, RawImage>[] = options.size === 28 ? [] : [resize(options.size)];
  const colour: Transform<RawImage, RawImage>[] = channels === 3 ? [toThreeChannels] : [];
  const mean = channels === 3 ? [DIGIT_MEAN[0], DIGIT_MEAN[0], DIGIT_MEAN[0]] : DIGIT_MEAN;
  const std = channels === 3 ? [DIGIT_STD[0], DIGIT_STD[0], DIGIT_STD[0]] : DIGIT_STD;
  // Digits are not mirror images of themselves: shifts by up to 2 pixels, no flips.
  const augment: Transform<RawImage, RawImage>[] = options.augment ? [randomCrop(28, { padding: 2 })] : [];
  const common = { width: 28, height: 28, channels: 1 };
  const valSet = new LabeledImageDataset(val.pixels, val.labels, { ...common, seed: options.seed, transform: pipeline([...sized, ...colour], mean, std) });
  return {
    train: new LabeledImageDataset(train.pixels, train.labels, { ...common, seed: options.seed, transform: pipeline([...augment, ...sized, ...colour], mean, std) }),
    val: valSet,
    classes: loaded.classes,
    channels,
    size: options.size,
    description: `the ${count.toLocaleString('en-US')} embedded MNIST digits: ${train.labels.length.toLocaleString('en-US')} to train, ${val.labels.length.toLocaleString('en-US')} held out`,
    image: async (index) => valSet.image(index),
    close: async () => {},
  };
}

/** Indices of `count` samples spread evenly over `length` (every class of a sorted folder keeps some). */
function spread(length: number, count: number | undefined): number[] | undefined {
  if (count === undefined || count >= length) return undefined;
  return Array.from({ length: count }, (_, i) => Math.floor((i * length) / count));
}

function limited<T>(dataset: Dataset<T>, indices: number[] | undefined): Dataset<T> {
  return indices ? new Subset(dataset, indices) : dataset;
}

function checkFolder(path: string | undefined, what: string): string {
  if (!path) throw new UsageError(`--data is required with --dataset ${what}`);
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`--data ${path}: no such folder`);
  return path;
}

async function imageFolder(options: DataOptions): Promise<RunData> {
  const root = checkFolder(options.data, 'imagefolder');
  for (const split of ['train', 'val']) {
    if (!existsSync(join(root, split))) throw new UsageError(`--data ${root}: no '${split}' folder (expected ImageNet's layout: ${split}/<class>/<image>)`);
  }
  const channels = options.channels === 'any' ? 3 : options.channels;
  const mean = channels === 3 ? IMAGENET_MEAN : [0.5];
  const std = channels === 3 ? IMAGENET_STD : [0.5];
  const size = options.size;
  const resizeSize = options.resizeSize ?? Math.round((size * 256) / 224);
  const mode = channels === 3 ? 'rgb' : 'grayscale';
  const trainSteps = options.augment ? [randomResizedCrop(size), randomHorizontalFlip()] : [resize(size), centerCrop(size)];
  const train = new ImageFolder(root, { split: 'train', mode, workers: options.workers, seed: options.seed, transform: pipeline(trainSteps, mean, std) });
  const val = new ImageFolder(root, { split: 'val', mode, workers: options.workers, seed: options.seed, transform: pipeline([resize(resizeSize), centerCrop(size)], mean, std) });
  const valIndices = spread(val.length, options.limit);
  const trainSet = limited(train, spread(train.length, options.limit));
  const valSet = limited(val, valIndices);
  return {
    train: trainSet, val: valSet, classes: train.classes, channels, size,
    description: `ImageFolder ${root}: ${trainSet.length.toLocaleString('en-US')} training and ${valSet.length.toLocaleString('en-US')} validation images in ${train.classes.length} classes`,
    image: (index) => decodeImage(val.paths[valIndices ? valIndices[index] : index], { mode }),
    close: async () => { await Promise.all([train.close(), val.close()]); },
  };
}

async function cifar10(options: DataOptions): Promise<RunData> {
  const root = checkFolder(options.data, 'cifar10');
  const size = options.size;
  const sized: Transform<RawImage, RawImage>[] = size === 32 ? [] : [resize(size)];
  const augment: Transform<RawImage, RawImage>[] = options.augment ? [randomCrop(32, { padding: 4 }), randomHorizontalFlip()] : [];
  const train = await loadCifar10(root, { split: 'train', seed: options.seed, transform: pipeline([...augment, ...sized], CIFAR_MEAN, CIFAR_STD) });
  const val = await loadCifar10(root, { split: 'test', seed: options.seed, transform: pipeline(sized, CIFAR_MEAN, CIFAR_STD) });
  const valIndices = spread(val.length, options.limit);
  const trainSet = limited(train, spread(train.length, options.limit));
  const valSet = limited(val, valIndices);
  return {
    train: trainSet, val: valSet, classes: train.classes, channels: 3, size,
    description: `CIFAR-10 ${root}: ${trainSet.length.toLocaleString('en-US')} training and ${valSet.length.toLocaleString('en-US')} test images`,
    image: async (index) => val.image(valIndices ? valIndices[index] : index),
    close: async () => {},
  };
}

/** Builds the run's datasets from the data flags. */
export function loadData(options: DataOptions): Promise<RunData> {
  switch (options.dataset) {
    case 'digits': return digits(options);
    case 'imagefolder': return imageFolder(options);
    case 'cifar10': return cifar10(options);
  }
}
