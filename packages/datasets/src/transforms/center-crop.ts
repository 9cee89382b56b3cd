import { checkRawImage, type RawImage } from './raw-image.js';
import { cropImage } from './crop.js';
import { sizePair, type Size } from './resize.js';
import { withSpec, type Transform } from './transform.js';

/**
 * Crops the centre of an image, as torchvision's `CenterCrop`: the top-left
 * corner is `round((H − h) / 2), round((W − w) / 2)`; an image smaller than the
 * crop is padded with black first.
 *
 * ```ts
 * const evaluate = compose(resize(256), centerCrop(224), toTensor());
 * ```
 */
export function centerCrop(size: Size): Transform<RawImage, RawImage> {
  const [height, width] = sizePair('centerCrop', size);
  return withSpec({ name: 'centerCrop', options: { size } }, (input: RawImage): RawImage => {
    const image = checkRawImage('centerCrop', input);
    // Python's round() rounds halves to even; (H − h) / 2 is a whole or a half number.
    const top = roundHalfToEven((image.height - height) / 2);
    const left = roundHalfToEven((image.width - width) / 2);
    return cropImage(image, top, left, height, width);
  });
}

/** Python's `round()`: halves go to the even neighbour. */
export function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}
