import { ValueError } from '@fathom/core';
import { checkRawImage, type RawImage } from './raw-image.js';

/**
 * The `height × width` part of an image whose top-left corner is `(top, left)`,
 * as torchvision's `functional.crop`: parts of the box outside the image are
 * filled with `fill` (0, black, by default).
 *
 * ```ts
 * const corner = cropImage(image, 0, 0, 32, 32);
 * ```
 */
export function cropImage(image: RawImage, top: number, left: number, height: number, width: number, fill = 0): RawImage {
  const op = 'cropImage';
  checkRawImage(op, image);
  for (const [name, value] of [['top', top], ['left', left]] as const) {
    if (!Number.isSafeInteger(value)) throw new ValueError(`${op}: ${name} must be an integer, got ${value}`);
  }
  for (const [name, value] of [['height', height], ['width', width]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${value}`);
  }
  const channels = image.channels;
  const out = new Uint8Array(height * width * channels);
  if (fill !== 0) out.fill(fill);
  // The part of the box that lies inside the image, copied row by row.
  const x0 = Math.max(0, left);
  const x1 = Math.min(image.width, left + width);
  const y0 = Math.max(0, top);
  const y1 = Math.min(image.height, top + height);
  if (x1 > x0) {
    for (let y = y0; y < y1; y++) {
      const from = (y * image.width + x0) * channels;
      out.set(image.data.subarray(from, from + (x1 - x0) * channels), ((y - top) * width + (x0 - left)) * channels);
    }
  }
  return { data: out, width, height, channels };
}

/** How {@link padImage} fills the border. */
export type PaddingMode = 'constant' | 'edge' | 'reflect';

/** Padding on each side: one number for all four, `[leftRight, topBottom]`, or `[left, top, right, bottom]` (torchvision's order). */
export type Padding = number | readonly [number, number] | readonly [number, number, number, number];

/** `[left, top, right, bottom]` from a {@link Padding}. */
export function paddingSides(op: string, padding: Padding): [number, number, number, number] {
  const sides: number[] = typeof padding === 'number'
    ? [padding, padding, padding, padding]
    : padding.length === 2 ? [padding[0], padding[1], padding[0], padding[1]] : [...padding];
  if (sides.length !== 4 || sides.some((side) => !Number.isSafeInteger(side) || side < 0)) {
    throw new ValueError(`${op}: padding must be a non-negative integer, [leftRight, topBottom] or [left, top, right, bottom], got ${JSON.stringify(padding)}`);
  }
  return sides as [number, number, number, number];
}

// Source index for a padded position, as numpy's 'edge' and 'reflect' (no edge repeat) modes.
function sourceIndex(position: number, size: number, mode: PaddingMode): number {
  if (position >= 0 && position < size) return position;
  if (mode === 'edge' || size === 1) return position < 0 ? 0 : size - 1;
  const period = 2 * (size - 1);
  let p = ((position % period) + period) % period;
  if (p >= size) p = period - p;
  return p;
}

/**
 * Pads an image, as torchvision's `functional.pad`: `constant` fills with
 * `fill`; `edge` repeats the border pixel; `reflect` mirrors without repeating
 * it (`[1, 2, 3]` padded by 2 is `[3, 2, 1, 2, 3, 2, 1]`).
 *
 * ```ts
 * const padded = padImage(image, 4); // CIFAR's 32×32 → 40×40
 * ```
 */
export function padImage(image: RawImage, padding: Padding, options: { readonly fill?: number; readonly mode?: PaddingMode } = {}): RawImage {
  const op = 'padImage';
  checkRawImage(op, image);
  const [left, top, right, bottom] = paddingSides(op, padding);
  const mode = options.mode ?? 'constant';
  if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect') throw new ValueError(`${op}: unknown padding mode '${String(mode)}'`);
  if (mode === 'reflect' && (left >= image.width || right >= image.width || top >= image.height || bottom >= image.height)) {
    throw new ValueError(`${op}: reflect padding must be smaller than the image (${image.width}×${image.height}), got ${JSON.stringify(padding)}`);
  }
  if (mode === 'constant') return cropImage(image, -top, -left, image.height + top + bottom, image.width + left + right, options.fill ?? 0);
  const width = image.width + left + right;
  const height = image.height + top + bottom;
  const channels = image.channels;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const sourceY = sourceIndex(y - top, image.height, mode);
    for (let x = 0; x < width; x++) {
      const from = (sourceY * image.width + sourceIndex(x - left, image.width, mode)) * channels;
      const to = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = image.data[from + c];
    }
  }
  return { data: out, width, height, channels };
}
