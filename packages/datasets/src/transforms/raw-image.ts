import { ShapeError, ValueError } from '@fathom/core';

/**
 * A decoded image as bytes: `height × width × channels` values in row-major
 * HWC order (channels interleaved, as image decoders return them), 0 … 255.
 * This is what the image transforms work on before {@link toTensor}, as
 * torchvision's transforms work on PIL images.
 */
export interface RawImage {
  /** `height · width · channels` bytes, row by row, channels interleaved. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** 1 (grayscale), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
}

/**
 * Wraps bytes as a {@link RawImage}, checking that they fill `height × width × channels`.
 *
 * ```ts
 * const red = rawImage(new Uint8Array([255, 0, 0]), 1, 1, 3); // one red pixel
 * ```
 */
export function rawImage(data: Uint8Array, width: number, height: number, channels: number): RawImage {
  for (const [name, value] of [['width', width], ['height', height], ['channels', channels]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new ValueError(`rawImage: ${name} must be a positive integer, got ${value}`);
  }
  if (data.length !== width * height * channels) {
    throw new ShapeError(`rawImage: ${data.length} bytes do not fill ${height}×${width}×${channels} (${width * height * channels} bytes)`);
  }
  return { data, width, height, channels };
}

/**
 * Whether `value` has the fields of a {@link RawImage}.
 *
 * ```ts
 * isRawImage({ data: new Uint8Array(3), width: 1, height: 1, channels: 3 }); // true
 * ```
 */
export function isRawImage(value: unknown): value is RawImage {
  if (typeof value !== 'object' || value === null) return false;
  const image = value as Partial<RawImage>;
  return image.data instanceof Uint8Array && typeof image.width === 'number' && typeof image.height === 'number' && typeof image.channels === 'number';
}

/** Throws a ValueError naming `op` unless `value` is a {@link RawImage}. */
export function checkRawImage(op: string, value: unknown): RawImage {
  if (!isRawImage(value)) {
    throw new ValueError(`${op}: expects a RawImage ({ data: Uint8Array, width, height, channels }); put it before toTensor() in a compose()`);
  }
  return value;
}
