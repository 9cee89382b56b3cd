import { readFile } from 'node:fs/promises';
import { DataError } from '@fathom/core';
import type { RawImage } from '../transforms/raw-image.js';
import { checkDeclaredImage, type ImageLimits } from './image-header.js';
import { jpegCoverage } from './jpeg-coverage.js';

// libjpeg fills a JPEG this short (one row of 8×8 blocks, or two) with grey where data is missing, and says nothing.
const SILENT_JPEG_HEIGHT = 16;

/** The colour mode images are decoded to: 3-channel RGB (alpha dropped, as PIL's `convert('RGB')`) or 1-channel grayscale. */
export type ImageMode = 'rgb' | 'grayscale';

type Sharp = typeof import('sharp').default;
let sharpModule: Promise<Sharp> | undefined;

/**
 * sharp, loaded on first use so that importing `@fathom/datasets/node` does
 * not load libvips. The main thread must load it before any worker does:
 * otherwise glibc may unload libvips when a worker exits (sharp's
 * documentation on worker threads). @internal
 */
export function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then((module) => module.default);
  return sharpModule;
}

/** Options of {@link decodeImage}. */
export interface DecodeImageOptions extends ImageLimits {
  /** Default `'rgb'`. */
  readonly mode?: ImageMode;
  /** The name in error messages (default: the path, or `'image'` for bytes). */
  readonly source?: string;
}

/**
 * Decodes an image file (JPEG, PNG, WebP, TIFF, GIF — whatever sharp reads)
 * into a {@link RawImage}: `'rgb'` gives 3 channels (grayscale is expanded,
 * alpha dropped), `'grayscale'` 1. The pixels are as stored: no EXIF
 * rotation, as PIL. A file that is missing, truncated, corrupt or not an image
 * raises {@link DataError} naming it. Before decoding, the header is checked
 * against `maxPixels` and `maxSide` and against what the file's bytes can
 * hold, so a tiny file declaring a huge image (a decompression bomb, or a
 * damaged header) is refused in milliseconds without allocating it.
 *
 * ```ts
 * const image = await decodeImage('train/n01440764/n01440764_10026.JPEG');
 * image.channels; // 3
 * ```
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeImageOptions = {}): Promise<RawImage> {
  const source = options.source ?? (typeof input === 'string' ? input : 'image');
  const mode = options.mode ?? 'rgb';
  const sharp = await loadSharp();
  let bytes: Uint8Array;
  let header;
  try {
    // Read once: the header check, the JPEG walk and the decoder all see these bytes.
    bytes = typeof input === 'string' ? new Uint8Array(await readFile(input)) : input;
    header = await sharp(bytes).metadata();
  } catch (error) {
    throw new DataError(`${source}: cannot decode the image: ${(error as Error).message}`);
  }
  checkDeclaredImage(source, header, bytes.byteLength, options);
  if (header.format === 'jpeg' && (header.height ?? 0) <= SILENT_JPEG_HEIGHT) {
    const coverage = jpegCoverage(bytes);
    if (coverage && coverage.coded < coverage.declared) {
      throw new DataError(`${source}: cannot decode the image: its JPEG data codes ${coverage.coded} of the ${coverage.declared} blocks (MCUs) its header declares for ${header.width} × ${header.height} pixels; the file is truncated or its header was changed`);
    }
  }
  try {
    const limitInputPixels = options.maxPixels ?? true;
    let pipeline = sharp(bytes, { failOn: 'warning', sequentialRead: true, limitInputPixels }).removeAlpha();
    pipeline = mode === 'grayscale' ? pipeline.grayscale() : pipeline.toColourspace('srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const channels = mode === 'grayscale' ? 1 : 3;
    if (info.channels !== channels || data.length !== info.width * info.height * channels) {
      throw new Error(`the decoder returned ${info.channels} channels of ${info.width}×${info.height}, expected ${channels}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels };
  } catch (error) {
    throw new DataError(`${source}: cannot decode the image: ${(error as Error).message}`);
  }
}
