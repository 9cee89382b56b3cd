import { ValueError, defaultGenerator, type Generator } from '@fathom/core';
import { randomInt } from '../random-streams.js';
import { checkRawImage, type RawImage } from './raw-image.js';
import { cropImage, padImage, paddingSides, type Padding, type PaddingMode } from './crop.js';
import { sizePair, type Size } from './resize.js';
import { withSpec, type Transform } from './transform.js';

/** Options of {@link randomCrop}. */
export interface RandomCropOptions {
  /** Border added before cropping (CIFAR-10's classic augmentation pads by 4). */
  readonly padding?: Padding;
  /** Pad an image smaller than the crop up to its size (default false: such an image is an error). */
  readonly padIfNeeded?: boolean;
  /** The value of `constant` padding (default 0). */
  readonly fill?: number;
  /** Default `'constant'`. */
  readonly paddingMode?: PaddingMode;
}

/**
 * Crops a random `size` part of an image, as torchvision's `RandomCrop`:
 * optional padding first, then the top-left corner drawn uniformly from the
 * positions where the crop fits (the row first, then the column).
 *
 * ```ts
 * const augment = compose(randomCrop(32, { padding: 4 }), randomHorizontalFlip(), toTensor());
 * ```
 */
export function randomCrop(size: Size, options: RandomCropOptions = {}): Transform<RawImage, RawImage> {
  const op = 'randomCrop';
  const [height, width] = sizePair(op, size);
  if (options.padding !== undefined) paddingSides(op, options.padding);
  return withSpec({ name: 'randomCrop', options: { size, ...options } }, (input: RawImage, generator: Generator = defaultGenerator): RawImage => {
    let image = checkRawImage(op, input);
    const padOptions = { fill: options.fill, mode: options.paddingMode };
    if (options.padding !== undefined) image = padImage(image, options.padding, padOptions);
    if (options.padIfNeeded) {
      if (image.width < width) image = padImage(image, [width - image.width, 0], padOptions);
      if (image.height < height) image = padImage(image, [0, height - image.height], padOptions);
    }
    if (image.width < width || image.height < height) {
      throw new ValueError(`${op}: the crop ${height}×${width} (height×width) is larger than the ${image.height}×${image.width} image; pass padIfNeeded: true to pad it`);
    }
    const top = randomInt(generator, 0, image.height - height + 1);
    const left = randomInt(generator, 0, image.width - width + 1);
    return cropImage(image, top, left, height, width);
  });
}
