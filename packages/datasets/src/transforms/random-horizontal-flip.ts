import { ValueError, arange, defaultGenerator, isTensorLike, type Generator, type Tensor } from '@fathom/core';
import { uniform } from '../random-streams.js';
import { checkRawImage, type RawImage } from './raw-image.js';
import { withSpec, type Transform } from './transform.js';

/**
 * Mirrors an image left to right: a {@link RawImage}, or a tensor along its
 * last dimension (`(C, H, W)` → the W axis).
 *
 * ```ts
 * const mirrored = flipImage(image);
 * ```
 */
export function flipImage<T extends RawImage | Tensor>(input: T): T {
  if (isTensorLike(input)) {
    const width = input.shape[input.ndim - 1];
    const reversed = arange(width - 1, -1, -1, { dtype: 'int32', device: input.device });
    const out = input.indexSelect(input.ndim - 1, reversed);
    reversed.dispose();
    return out as T;
  }
  const image = checkRawImage('flipImage', input);
  const { width, height, channels } = image;
  const out = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const from = row + x * channels;
      const to = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = image.data[from + c];
    }
  }
  return { data: out, width, height, channels } as T;
}

/**
 * Mirrors an image left to right with probability `p` (default 0.5), as
 * torchvision's `RandomHorizontalFlip`; works on a {@link RawImage} or a
 * `(…, H, W)` tensor (`randomHorizontalFlip<Tensor>()`). One uniform draw per call.
 *
 * ```ts
 * const flip = randomHorizontalFlip();
 * const out = flip(image, new Generator(0));
 * ```
 */
export function randomHorizontalFlip<T extends RawImage | Tensor = RawImage>(p = 0.5): Transform<T, T> {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  return withSpec({ name: 'randomHorizontalFlip', options: { p } }, (input: T, generator: Generator = defaultGenerator): T =>
    uniform(generator) < p ? flipImage(input) : input,
  );
}
