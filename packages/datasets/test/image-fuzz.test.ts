// decodeImage fed thousands of mutated PNG, JPEG (baseline and progressive),
// WebP and TIFF files: every case decodes or raises DataError — no other
// error, no hang — and what decodes is no larger than a small multiple of
// its file (a header may not make a small file allocate a huge image).
// IMAGE_FUZZ_CASES=20000 for a longer run (the 100,000: 20,000 a format).
import { isFathomError } from '@fathom/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/node/index.js';
import { fuzzRandom } from './fixtures.js';
import { mutateImage, type FuzzFormat } from './image-mutations.js';

const CASES = Number(process.env.IMAGE_FUZZ_CASES ?? 2000);
// Decoded bytes allowed per file byte, plus a constant: a JPEG codes at most ~1,024 pixels a byte.
const OUTPUT_PER_FILE_BYTE = 3 * 1024;
const OUTPUT_CONSTANT = 4 * 2 ** 20;

async function validImage(format: FuzzFormat): Promise<Uint8Array> {
  // 24 × 20 pixels with texture, so the compressed data is not trivial.
  const pixels = Uint8Array.from({ length: 24 * 20 * 3 }, (_, i) => (i * 37 + (i >> 5) * 11) % 256);
  const image = sharp(pixels, { raw: { width: 24, height: 20, channels: 3 } });
  const encoded = format === 'png' ? image.png() : format === 'jpeg' ? image.jpeg() : format === 'jpeg-progressive' ? image.jpeg({ progressive: true })
    : format === 'webp' ? image.webp() : image.tiff({ compression: 'lzw' });
  return new Uint8Array(await encoded.toBuffer());
}

describe('decodeImage on every truncation', () => {
  // Data cut short must be an error, never an image with filler where the data stopped.
  for (const format of ['png', 'jpeg', 'jpeg-progressive', 'webp', 'tiff'] as const) {
    it(format, async () => {
      const valid = await validImage(format);
      // A PNG cut inside its 12-byte IEND chunk still holds all its pixels.
      const complete = format === 'png' ? valid.length - 12 : valid.length;
      const decoded: number[] = [];
      for (let length = 0; length < complete; length++) {
        try {
          await decodeImage(valid.subarray(0, length), { source: `truncated.${format}` });
          decoded.push(length);
        } catch (error) {
          if (!isFathomError(error, 'DataError')) throw new Error(`cut to ${length} bytes: expected a DataError, got ${String(error)}`);
        }
      }
      expect(decoded, `${format} of ${valid.length} bytes decoded when cut to these lengths`).toEqual([]);
    });
  }
});

describe(`decodeImage fuzzed: ${CASES} mutated files a format`, () => {
  const formats: FuzzFormat[] = ['png', 'jpeg', 'jpeg-progressive', 'webp', 'tiff'];
  for (const [index, format] of formats.entries()) {
    it(format, async () => {
      const valid = await validImage(format);
      const random = fuzzRandom(1000 + index);
      const counts = { decoded: 0, refused: 0, slowestMs: 0 };
      for (let round = 0; round < CASES; round++) {
        const { bytes, how } = mutateImage(format, valid, random);
        const started = performance.now();
        try {
          const image = await decodeImage(bytes, { source: `fuzz.${format}` });
          counts.decoded++;
          expect(image.data.length, `round ${round} (${how})`).toBeLessThanOrEqual(bytes.length * OUTPUT_PER_FILE_BYTE + OUTPUT_CONSTANT);
        } catch (error) {
          if (!isFathomError(error, 'DataError')) throw new Error(`round ${round} (${how}): expected a DataError, got ${String(error)}`);
          counts.refused++;
        }
        counts.slowestMs = Math.max(counts.slowestMs, performance.now() - started);
      }
      console.log(`image fuzz ${format}: ${CASES} cases, ${counts.decoded} decoded, ${counts.refused} refused with DataError, slowest ${counts.slowestMs.toFixed(0)} ms`);
      expect(counts.decoded + counts.refused).toBe(CASES);
      expect(counts.refused).toBeGreaterThan(CASES / 10); // the mutations do damage
    });
  }
});
