import { DataError } from '@fathom/core';

/** How large an image {@link checkDeclaredImage} lets through. */
export interface ImageLimits {
  /** Most pixels an image may declare (default 100,000,000). */
  readonly maxPixels?: number;
  /** Longest side an image may declare (default 65,535, JPEG's and WebP's own bound). */
  readonly maxSide?: number;
}

/** What an image's header declares (sharp's `metadata()`). */
export interface DeclaredImage {
  readonly format?: string;
  readonly width?: number;
  readonly height?: number;
}

const DEFAULT_MAX_PIXELS = 100_000_000;
const DEFAULT_MAX_SIDE = 65_535;
// deflate expands at most 1032:1 (PNG's image data is one deflate stream).
const DEFLATE_MAX_RATIO = 1032;
// A baseline JPEG spends at least 2 bits per 8×8 block (a DC difference and an
// end of block), a progressive one about 1: at most 512 pixels per byte, so
// 1,024 leaves twice that. (Arithmetic-coded JPEGs, rare, can do better.)
const JPEG_MAX_PIXELS_PER_BYTE = 1024;
// Headers, palettes and tiny images: what the ratios above may ignore.
const SLACK = 4096;

/**
 * Refuses, before any pixel is decoded, an image whose header declares more
 * than the limits allow or more than its file can hold: a PNG whose rows
 * would take more bytes than its compressed data can expand to, a JPEG with
 * more pixels than its bytes can code. Such files are damaged or built to
 * exhaust memory (a 98-byte PNG declaring 16,777,232 × 11 pixels); decoding
 * them would allocate the declared image first. Throws a {@link DataError}
 * naming `source`, the declared size and the bound.
 */
export function checkDeclaredImage(source: string, image: DeclaredImage, fileBytes: number, limits: ImageLimits = {}): void {
  const { width = 0, height = 0, format = 'image' } = image;
  const maxSide = limits.maxSide ?? DEFAULT_MAX_SIDE;
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const declared = `${format.toUpperCase()} header declares ${width.toLocaleString('en-US')} × ${height.toLocaleString('en-US')} pixels`;
  const refuse = (why: string): never => {
    throw new DataError(`${source}: cannot decode the image: its ${declared}, ${why}; the file is damaged or not a real image`);
  };
  if (!(width > 0 && height > 0)) refuse('an empty image');
  if (width > maxSide || height > maxSide) refuse(`a side over the limit of ${maxSide.toLocaleString('en-US')}`);
  const pixels = width * height;
  if (pixels > maxPixels) refuse(`more than the limit of ${maxPixels.toLocaleString('en-US')}`);
  if (format === 'png') {
    // The fewest bytes the rows can take: one filter byte and 1 bit a pixel (a 1-bit palette or grey image).
    const raw = height * (1 + Math.ceil(width / 8));
    if (raw > fileBytes * DEFLATE_MAX_RATIO + SLACK) {
      refuse(`at least ${raw.toLocaleString('en-US')} bytes of rows, more than its ${fileBytes.toLocaleString('en-US')} bytes can expand to (deflate: at most ${DEFLATE_MAX_RATIO}:1)`);
    }
  } else if (format === 'jpeg') {
    if (pixels > fileBytes * JPEG_MAX_PIXELS_PER_BYTE + SLACK) {
      refuse(`more than its ${fileBytes.toLocaleString('en-US')} bytes can code (at most ${JPEG_MAX_PIXELS_PER_BYTE} pixels a byte)`);
    }
  }
}
