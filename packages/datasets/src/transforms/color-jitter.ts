import { ValueError, defaultGenerator, randperm, type Generator } from '@fathom/core';
import { uniform } from '../random-streams.js';
import { checkRawImage, type RawImage } from './raw-image.js';
import { withSpec, type Transform } from './transform.js';

/** A jitter amount: `j` draws a factor from `[max(0, 1 − j), 1 + j]`; `[low, high]` from that range. */
export type JitterRange = number | readonly [number, number];

/** Options of {@link colorJitter}. */
export interface ColorJitterOptions {
  readonly brightness?: JitterRange;
  readonly contrast?: JitterRange;
  readonly saturation?: JitterRange;
}

function factorRange(name: string, value: JitterRange | undefined): [number, number] | null {
  if (value === undefined) return null;
  const range: [number, number] = typeof value === 'number' ? [Math.max(0, 1 - value), 1 + value] : [value[0], value[1]];
  if (typeof value === 'number' && !(value >= 0)) throw new ValueError(`colorJitter: ${name} must be ≥ 0, got ${value}`);
  if (!(range[0] >= 0 && range[0] <= range[1] && Number.isFinite(range[1]))) {
    throw new ValueError(`colorJitter: ${name} must be a number ≥ 0 or [low, high] with 0 ≤ low ≤ high, got ${JSON.stringify(value)}`);
  }
  return range[0] === 1 && range[1] === 1 ? null : range;
}

// torchvision's _blend for uint8: ratio·a + (1 − ratio)·b, clamped, truncated toward zero.
function blendByte(value: number, other: number, ratio: number): number {
  const mixed = ratio * value + (1 - ratio) * other;
  return mixed <= 0 ? 0 : mixed >= 255 ? 255 : Math.trunc(mixed);
}

/** torchvision's rgb_to_grayscale for uint8: `0.2989 R + 0.587 G + 0.114 B`, truncated to a byte. */
function grayscaleBytes(image: RawImage): Uint8Array {
  const pixels = image.width * image.height;
  const gray = new Uint8Array(pixels);
  const { data, channels } = image;
  if (channels < 3) {
    for (let i = 0; i < pixels; i++) gray[i] = data[i * channels];
    return gray;
  }
  for (let i = 0; i < pixels; i++) {
    const at = i * channels;
    gray[i] = Math.trunc(0.2989 * data[at] + 0.587 * data[at + 1] + 0.114 * data[at + 2]);
  }
  return gray;
}

/**
 * Brightness: blend with black (`factor` 0 is black, 1 the image, 2 twice as bright).
 *
 * ```ts
 * const brighter = adjustBrightness(image, 1.2);
 * ```
 */
export function adjustBrightness(image: RawImage, factor: number): RawImage {
  checkRawImage('adjustBrightness', image);
  const out = new Uint8Array(image.data.length);
  const alpha = image.channels === 4 || image.channels === 2;
  for (let i = 0; i < out.length; i++) out[i] = alpha && i % image.channels === image.channels - 1 ? image.data[i] : blendByte(image.data[i], 0, factor);
  return { ...image, data: out };
}

/**
 * Contrast: blend with the mean gray level (`factor` 0 is flat gray, 1 the image).
 *
 * ```ts
 * const flatter = adjustContrast(image, 0.5);
 * ```
 */
export function adjustContrast(image: RawImage, factor: number): RawImage {
  checkRawImage('adjustContrast', image);
  const gray = grayscaleBytes(image);
  let sum = 0;
  for (const value of gray) sum += value;
  const mean = sum / gray.length;
  const out = new Uint8Array(image.data.length);
  const colour = image.channels === 4 || image.channels === 2 ? image.channels - 1 : image.channels;
  for (let i = 0; i < out.length; i++) out[i] = i % image.channels < colour ? blendByte(image.data[i], mean, factor) : image.data[i];
  return { ...image, data: out };
}

/**
 * Saturation: blend with the grayscale image (`factor` 0 is gray, 1 the image); a grayscale image is returned as is.
 *
 * ```ts
 * const gray = adjustSaturation(image, 0);
 * ```
 */
export function adjustSaturation(image: RawImage, factor: number): RawImage {
  checkRawImage('adjustSaturation', image);
  if (image.channels < 3) return image;
  const gray = grayscaleBytes(image);
  const out = new Uint8Array(image.data.length);
  const channels = image.channels;
  for (let i = 0; i < out.length; i++) {
    const c = i % channels;
    out[i] = c < 3 ? blendByte(image.data[i], gray[(i - c) / channels], factor) : image.data[i];
  }
  return { ...image, data: out };
}

/**
 * Randomly changes brightness, contrast and saturation, as torchvision's
 * `ColorJitter` on uint8 images: a factor for each is drawn uniformly from its
 * range, and the adjustments are applied in a random order. Brightness blends
 * with black, contrast with the mean gray level, saturation with the grayscale
 * image (`0.2989 R + 0.587 G + 0.114 B`); results are clamped and truncated to
 * bytes as torchvision does. Alpha is left alone. (Hue is not implemented.)
 *
 * ```ts
 * const jitter = colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 });
 * ```
 */
export function colorJitter(options: ColorJitterOptions = {}): Transform<RawImage, RawImage> {
  const ranges = {
    brightness: factorRange('brightness', options.brightness),
    contrast: factorRange('contrast', options.contrast),
    saturation: factorRange('saturation', options.saturation),
  };
  const adjust = [adjustBrightness, adjustContrast, adjustSaturation] as const;
  const order = [ranges.brightness, ranges.contrast, ranges.saturation];
  return withSpec({ name: 'colorJitter', options }, (input: RawImage, generator: Generator = defaultGenerator): RawImage => {
    let image = checkRawImage('colorJitter', input);
    // As torchvision: a permutation of the adjustments, then one factor per enabled adjustment in that order.
    const permutation = randperm(3, { generator, device: 'cpu' });
    const sequence = permutation.dataSync() as Int32Array;
    permutation.dispose();
    for (const which of sequence) {
      const range = order[which];
      if (range === null) continue;
      image = adjust[which](image, uniform(generator, range[0], range[1]));
    }
    return image;
  });
}
