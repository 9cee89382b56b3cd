import { ValueError } from '@fathom/core';
import { checkRawImage, type RawImage } from './raw-image.js';
import { withSpec, type Transform } from './transform.js';

/** How pixels are interpolated when an image is resized. */
export type Interpolation = 'bilinear' | 'nearest';

/** A rectangle of an image, in whole pixels. */
export interface CropBox {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** Options of {@link resizeImage}. */
export interface ResizeImageOptions {
  /** Default `'bilinear'`. */
  readonly interpolation?: Interpolation;
  /** Widen the bilinear filter when shrinking so every input pixel counts, as PIL does (default true). */
  readonly antialias?: boolean;
  /** Resize only this part of the image (a crop and a resize in one pass); default the whole image. */
  readonly box?: CropBox;
}

/** Per output pixel along one axis: the first input index, the tap count and the normalised weights. */
interface AxisWeights {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly weights: Float32Array; // (outSize, taps)
  readonly taps: number;
}

// PIL's ImagingResample coefficients (Resample.c, precompute_coeffs) for the
// triangle filter, over a box of the input: the filter is stretched by the
// shrink factor when antialiasing, so a 4× shrink averages 8 input pixels
// instead of sampling 2. Pixel centres sit at i + 0.5 (align_corners=False).
function bilinearWeights(boxStart: number, boxSize: number, outSize: number, antialias: boolean): AxisWeights {
  const scale = boxSize / outSize;
  const filterScale = antialias ? Math.max(scale, 1) : 1;
  const support = filterScale; // the triangle filter's support is 1
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let out = 0; out < outSize; out++) {
    const centre = (out + 0.5) * scale;
    // Math.trunc, as PIL's (int) casts; clamped to the box.
    const low = Math.max(0, Math.trunc(centre - support + 0.5));
    const high = Math.min(boxSize, Math.trunc(centre + support + 0.5));
    let total = 0;
    for (let k = 0; k < high - low; k++) {
      const distance = Math.abs((k + low - centre + 0.5) / filterScale);
      const weight = distance < 1 ? 1 - distance : 0;
      weights[out * taps + k] = weight;
      total += weight;
    }
    if (total !== 0) for (let k = 0; k < high - low; k++) weights[out * taps + k] /= total;
    first[out] = boxStart + low;
    count[out] = high - low;
  }
  return { first, count, weights, taps };
}

function nearestWeights(boxStart: number, boxSize: number, outSize: number): AxisWeights {
  const first = new Int32Array(outSize);
  const scale = boxSize / outSize;
  for (let out = 0; out < outSize; out++) first[out] = boxStart + Math.min(boxSize - 1, Math.floor((out + 0.5) * scale));
  return { first, count: new Int32Array(outSize).fill(1), weights: new Float32Array(outSize).fill(1), taps: 1 };
}

/**
 * Resizes an image (or the `box` part of it) to `width × height`, as PIL's
 * `resize` with `BILINEAR` (antialiased, what torchvision uses on PIL images)
 * or `NEAREST`. The two passes are computed in float and rounded once at the
 * end, so a pixel may differ from PIL's 8-bit intermediate by one.
 *
 * ```ts
 * const small = resizeImage(image, 64, 48); // 64 wide, 48 high
 * ```
 */
export function resizeImage(image: RawImage, width: number, height: number, options: ResizeImageOptions = {}): RawImage {
  const op = 'resizeImage';
  checkRawImage(op, image);
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${value}`);
  }
  const box = options.box ?? { top: 0, left: 0, height: image.height, width: image.width };
  if (
    !Number.isSafeInteger(box.top) || !Number.isSafeInteger(box.left) || !Number.isSafeInteger(box.width) || !Number.isSafeInteger(box.height)
    || box.top < 0 || box.left < 0 || box.width < 1 || box.height < 1
    || box.top + box.height > image.height || box.left + box.width > image.width
  ) {
    throw new ValueError(`${op}: box ${JSON.stringify(box)} is not a non-empty rectangle inside the ${image.width}×${image.height} image`);
  }
  const interpolation = options.interpolation ?? 'bilinear';
  if (interpolation !== 'bilinear' && interpolation !== 'nearest') throw new ValueError(`${op}: unknown interpolation '${String(interpolation)}'`);
  const antialias = options.antialias ?? true;
  const horizontal = interpolation === 'nearest' ? nearestWeights(box.left, box.width, width) : bilinearWeights(box.left, box.width, width, antialias);
  const vertical = interpolation === 'nearest' ? nearestWeights(box.top, box.height, height) : bilinearWeights(box.top, box.height, height, antialias);
  const channels = image.channels;
  const source = image.data;
  const rowStride = image.width * channels;

  // Horizontal pass over the rows of the box: (box.height, width, channels) in float.
  const lineLength = width * channels;
  const across = new Float32Array(box.height * lineLength);
  const { first: xFirst, count: xCount, weights: xWeights, taps: xTaps } = horizontal;
  for (let row = 0; row < box.height; row++) {
    const sourceRow = (box.top + row) * rowStride;
    let target = row * lineLength;
    if (channels === 3) {
      // The common case, unrolled over the channels: one pass over the taps per output pixel.
      for (let x = 0; x < width; x++) {
        let red = 0;
        let green = 0;
        let blue = 0;
        let at = sourceRow + xFirst[x] * 3;
        const weightsAt = x * xTaps;
        for (let k = 0, taps = xCount[x]; k < taps; k++, at += 3) {
          const weight = xWeights[weightsAt + k];
          red += weight * source[at];
          green += weight * source[at + 1];
          blue += weight * source[at + 2];
        }
        across[target++] = red;
        across[target++] = green;
        across[target++] = blue;
      }
    } else {
      for (let x = 0; x < width; x++) {
        const start = sourceRow + xFirst[x] * channels;
        const weightsAt = x * xTaps;
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let k = 0, taps = xCount[x]; k < taps; k++) sum += xWeights[weightsAt + k] * source[start + k * channels + c];
          across[target++] = sum;
        }
      }
    }
  }
  // Vertical pass into bytes: whole rows at a time, so memory is read in order.
  const out = new Uint8Array(height * lineLength);
  const sums = new Float32Array(lineLength);
  for (let y = 0; y < height; y++) {
    sums.fill(0);
    const start = vertical.first[y] - box.top;
    const weightsAt = y * vertical.taps;
    for (let k = 0, taps = vertical.count[y]; k < taps; k++) {
      const weight = vertical.weights[weightsAt + k];
      const line = (start + k) * lineLength;
      for (let i = 0; i < lineLength; i++) sums[i] += weight * across[line + i];
    }
    const target = y * lineLength;
    for (let i = 0; i < lineLength; i++) {
      const sum = sums[i];
      out[target + i] = sum <= 0 ? 0 : sum >= 255 ? 255 : Math.round(sum);
    }
  }
  return { data: out, width, height, channels };
}

/** A size option: one number, or `[height, width]` as torchvision. */
export type Size = number | readonly [number, number];

/** `[height, width]` from a {@link Size}; one number means a square. */
export function sizePair(op: string, size: Size): [number, number] {
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  for (const value of [height, width]) {
    if (!Number.isSafeInteger(value) || value < 1) throw new ValueError(`${op}: size must be a positive integer or [height, width] of them, got ${JSON.stringify(size)}`);
  }
  return [height, width];
}

/** Options of {@link resize}. */
export interface ResizeOptions {
  readonly interpolation?: Interpolation;
  readonly antialias?: boolean;
  /** With one `size`: the longer edge is capped at this, as torchvision's `max_size`. */
  readonly maxSize?: number;
}

/**
 * Resizes images, as torchvision's `Resize`: `[height, width]` gives that
 * size; one number makes the shorter edge that long and keeps the aspect ratio
 * (the longer edge is `floor(size · long / short)`, as torchvision).
 *
 * ```ts
 * const t = resize(256); // a 500×375 image becomes 341×256
 * ```
 */
export function resize(size: Size, options: ResizeOptions = {}): Transform<RawImage, RawImage> {
  const op = 'resize';
  const pair = sizePair(op, size);
  if (options.maxSize !== undefined && (!Number.isSafeInteger(options.maxSize) || options.maxSize < 1)) {
    throw new ValueError(`${op}: maxSize must be a positive integer, got ${options.maxSize}`);
  }
  return withSpec({ name: 'resize', options: { size, ...options } }, (input: RawImage): RawImage => {
    const image = checkRawImage(op, input);
    if (typeof size !== 'number') return resizeImage(image, pair[1], pair[0], options);
    const short = Math.min(image.width, image.height);
    const long = Math.max(image.width, image.height);
    let newShort = size;
    let newLong = Math.floor((size * long) / short);
    if (options.maxSize !== undefined) {
      if (options.maxSize <= size) throw new ValueError(`${op}: maxSize ${options.maxSize} must be larger than size ${size}`);
      if (newLong > options.maxSize) {
        newShort = Math.floor((options.maxSize * newShort) / newLong);
        newLong = options.maxSize;
      }
    }
    const [width, height] = image.width <= image.height ? [newShort, newLong] : [newLong, newShort];
    return resizeImage(image, width, height, options);
  });
}
