import { ValueError, defaultGenerator, type Generator } from '@fathom/core';
import { randomInt, uniform } from '../random-streams.js';
import { checkRawImage, type RawImage } from './raw-image.js';
import { resizeImage, sizePair, type CropBox, type Interpolation, type Size } from './resize.js';
import { withSpec, type Transform } from './transform.js';

/** Options of {@link randomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's (default `[0.08, 1]`). */
  readonly scale?: readonly [number, number];
  /** Range of the crop's width / height, drawn log-uniformly (default `[3/4, 4/3]`). */
  readonly ratio?: readonly [number, number];
  /** Default `'bilinear'` (antialiased). */
  readonly interpolation?: Interpolation;
}

/**
 * The crop {@link randomResizedCrop} takes from a `width × height` image, drawn
 * exactly as torchvision's `RandomResizedCrop.get_params`: up to ten tries of
 * an area fraction uniform in `scale` and an aspect ratio log-uniform in
 * `ratio`; the first that fits is placed uniformly; if none fits, the largest
 * centred crop with the ratio clamped to `ratio`.
 */
export function randomResizedCropBox(
  width: number, height: number, generator: Generator, scale: readonly [number, number] = [0.08, 1], ratio: readonly [number, number] = [3 / 4, 4 / 3],
): CropBox {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * uniform(generator, scale[0], scale[1]);
    const aspect = Math.exp(uniform(generator, logRatio[0], logRatio[1]));
    // Python's round() on these products: halves are vanishingly rare, Math.round is used.
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = randomInt(generator, 0, height - h + 1);
      const left = randomInt(generator, 0, width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) h = Math.round(w / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) w = Math.round(h * Math.max(ratio[0], ratio[1]));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/**
 * Crops a random part of an image and resizes it to `size`, as torchvision's
 * `RandomResizedCrop` (the standard ImageNet training augmentation). The
 * crop and the resize are one pass over the pixels.
 *
 * ```ts
 * const train = compose(randomResizedCrop(224), randomHorizontalFlip(), toTensor(), normalize(IMAGENET_MEAN, IMAGENET_STD));
 * ```
 */
export function randomResizedCrop(size: Size, options: RandomResizedCropOptions = {}): Transform<RawImage, RawImage> {
  const op = 'randomResizedCrop';
  const [height, width] = sizePair(op, size);
  const scale = options.scale ?? [0.08, 1];
  const ratio = options.ratio ?? [3 / 4, 4 / 3];
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) throw new ValueError(`${op}: scale must be [low, high] with 0 < low ≤ high ≤ 1, got ${JSON.stringify(scale)}`);
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1] && Number.isFinite(ratio[1]))) throw new ValueError(`${op}: ratio must be [low, high] with 0 < low ≤ high, got ${JSON.stringify(ratio)}`);
  return withSpec({ name: 'randomResizedCrop', options: { size, ...options } }, (input: RawImage, generator: Generator = defaultGenerator): RawImage => {
    const image = checkRawImage(op, input);
    const box = randomResizedCropBox(image.width, image.height, generator, scale, ratio);
    return resizeImage(image, width, height, { box, interpolation: options.interpolation });
  });
}
