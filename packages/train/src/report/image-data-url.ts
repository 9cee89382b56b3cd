import { ShapeError, ValueError } from '@fathom/core';
import { loadSharp } from '../plots/write-plot.js';
import type { RawImageLike } from './run-report.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A `data:image/png;base64,…` URL and the image's size in pixels. */
export interface PngDataUrl {
  /** The URL, to use as an `<img>`'s `src`. */
  readonly url: string;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
}

/**
 * An image as a PNG data URL, so that an HTML page carries it inline: raw
 * pixels are encoded with sharp; the bytes of a PNG file are used as they
 * are, after checking the signature.
 *
 * ```ts
 * const { url } = await imageToPngDataUrl({ width: 28, height: 28, channels: 1, data: pixels });
 * ```
 */
export async function imageToPngDataUrl(image: RawImageLike | Uint8Array): Promise<PngDataUrl> {
  const sharp = await loadSharp();
  let png: Uint8Array;
  if (image instanceof Uint8Array) {
    if (image.byteLength < PNG_SIGNATURE.length || PNG_SIGNATURE.some((byte, i) => image[i] !== byte)) {
      throw new ValueError(`imageToPngDataUrl: the image bytes are not a PNG file (${image.byteLength} bytes without the PNG signature)`);
    }
    png = image;
  } else {
    const { width, height, channels, data } = image;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new ShapeError(`imageToPngDataUrl: image size must be positive integers, got ${width}×${height}`);
    }
    if (!(channels === 1 || channels === 2 || channels === 3 || channels === 4)) {
      throw new ShapeError(`imageToPngDataUrl: image channels must be 1, 2, 3 or 4, got ${channels}`);
    }
    if (data.byteLength !== width * height * channels) {
      throw new ShapeError(`imageToPngDataUrl: a ${width}×${height}×${channels} image needs ${width * height * channels} bytes, got ${data.byteLength}`);
    }
    const pixels = sharp(data, { raw: { width, height, channels } });
    // sharp writes sRGB unless told otherwise; grayscale stays one channel, a third the size.
    png = await (channels <= 2 ? pixels.toColourspace('b-w') : pixels).png().toBuffer();
  }
  let size: { width?: number; height?: number };
  try {
    size = await sharp(png).metadata();
  } catch (error) {
    throw new ValueError(`imageToPngDataUrl: the PNG cannot be read (${(error as Error).message})`);
  }
  const { width, height } = size;
  if (width === undefined || height === undefined) throw new ValueError('imageToPngDataUrl: the PNG has no size');
  return { url: `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`, width, height };
}
