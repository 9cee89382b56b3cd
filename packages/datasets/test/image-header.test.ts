import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { isFathomError } from '@fathom/core';
import { ImageFolder, decodeImage } from '../src/node/index.js';
import { withDeclaredSize } from './image-mutations.js';

// Damaged or hostile headers are refused before any pixel is decoded (issue:
// a 98-byte PNG declaring 16,777,232 × 11 pixels took seconds and gigabytes;
// a JPEG widened to 65,500 decoded into grey filler).

/** A real 16 × 11 RGBA PNG (8- or 16-bit) whose IHDR then declares `width` × `height`. */
async function pngDeclaring(width: number, height: number, options: { readonly sixteenBit?: boolean } = {}): Promise<Uint8Array> {
  let image = sharp({ create: { width: 16, height: 11, channels: 4, background: { r: 128, g: 64, b: 32, alpha: 1 } } });
  if (options.sixteenBit) image = image.toColourspace('rgb16');
  return withDeclaredSize('png', new Uint8Array(await image.png().toBuffer()), width, height)!;
}

/** A real 16 × 8 JPEG whose frame header then declares `width` × `height`. */
async function jpegDeclaring(width: number, height: number, progressive = false): Promise<Uint8Array> {
  const jpeg = new Uint8Array(await sharp({ create: { width: 16, height: 8, channels: 3, background: '#336699' } }).jpeg({ progressive }).toBuffer());
  return withDeclaredSize(progressive ? 'jpeg-progressive' : 'jpeg', jpeg, width, height)!;
}

async function refusal(bytes: Uint8Array, options = {}): Promise<Error> {
  try {
    await decodeImage(bytes, { source: 'hostile', ...options });
  } catch (error) {
    expect(isFathomError(error, 'DataError')).toBe(true);
    return error as Error;
  }
  throw new Error('decoded');
}

const dirs: string[] = [];
afterAll(async () => { for (const dir of dirs) await rm(dir, { recursive: true, force: true }); });

describe('decodeImage refuses headers the file cannot justify, before decoding', () => {
  it('tiny PNGs declaring huge, short images (8- and 16-bit)', async () => {
    expect((await refusal(await pngDeclaring(16_777_232, 11))).message)
      .toBe('hostile: cannot decode the image: its PNG header declares 16,777,232 × 11 pixels, a side over the limit of 65,535; the file is damaged or not a real image');
    expect((await refusal(await pngDeclaring(16_777_215, 15, { sixteenBit: true }))).message).toMatch(/declares 16,777,215 × 15 pixels, a side over the limit/);
    // Within the side and pixel limits, but more rows than its bytes can expand to.
    const png = await pngDeclaring(60_000, 60);
    expect((await refusal(png)).message).toBe(
      `hostile: cannot decode the image: its PNG header declares 60,000 × 60 pixels, at least 450,060 bytes of rows, more than its ${png.length} bytes can expand to (deflate: at most 1032:1); the file is damaged or not a real image`,
    );
  });

  it('JPEGs widened past what their bytes can code, baseline and progressive', async () => {
    for (const progressive of [false, true]) {
      const jpeg = await jpegDeclaring(65_500, 8, progressive);
      expect((await refusal(jpeg)).message).toBe(
        `hostile: cannot decode the image: its JPEG header declares 65,500 × 8 pixels, more than its ${jpeg.length} bytes can code (at most 1024 pixels a byte); the file is damaged or not a real image`,
      );
    }
  });

  it('a JPEG one row of blocks tall, widened within what its bytes could code, whose data stops short', async () => {
    // libjpeg decodes this one into grey filler without a warning; its MCUs are counted instead.
    expect((await refusal(await jpegDeclaring(300, 8))).message).toBe(
      'hostile: cannot decode the image: its JPEG data codes 1 of the 19 blocks (MCUs) its header declares for 300 × 8 pixels; the file is truncated or its header was changed',
    );
  });

  it('decodes every valid short JPEG: baseline, 4:4:4, progressive, mozjpeg, grey and colour', async () => {
    let decoded = 0;
    for (const width of [1, 9, 17, 100]) {
      for (const height of [1, 8, 9, 16]) {
        for (const options of [{}, { chromaSubsampling: '4:4:4' }, { progressive: true }, { mozjpeg: true }]) {
          for (const channels of [1, 3] as const) {
            const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37 + (i >> 3) * 11) % 256);
            const jpeg = await sharp(pixels, { raw: { width, height, channels } }).jpeg(options).toBuffer();
            const image = await decodeImage(jpeg);
            expect([image.width, image.height]).toEqual([width, height]);
            decoded++;
          }
        }
      }
    }
    expect(decoded).toBe(128);
  });

  it('honours maxPixels and maxSide', async () => {
    const png = await sharp({ create: { width: 64, height: 40, channels: 3, background: '#102030' } }).png().toBuffer();
    expect((await refusal(png, { maxSide: 50 })).message).toMatch(/declares 64 × 40 pixels, a side over the limit of 50/);
    expect((await refusal(png, { maxPixels: 2000 })).message).toMatch(/declares 64 × 40 pixels, more than the limit of 2,000/);
    expect((await decodeImage(png)).width).toBe(64);
  });

  it('lets through real images that compress as far as their format can: solid 2000 × 2000 PNG and JPEG', async () => {
    for (const format of ['png', 'jpeg'] as const) {
      const solid = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#336699' } })[format]().toBuffer();
      const image = await decodeImage(solid);
      expect([image.width, image.height, image.channels]).toEqual([2000, 2000, 3]);
    }
  });

  it('in an ImageFolder on worker threads too, where skipBadImages skips them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fathom-hostile-'));
    dirs.push(dir);
    await mkdir(join(dir, 'a'));
    await writeFile(join(dir, 'a', 'good.png'), await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer());
    await writeFile(join(dir, 'a', 'wide.png'), await pngDeclaring(16_777_232, 11));
    await writeFile(join(dir, 'a', 'widened.jpg'), await jpegDeclaring(65_500, 8));
    const strict = new ImageFolder(dir, { workers: 1 });
    try {
      const errors = await Promise.all([1, 2].map((i) => strict.get(i).then(() => null, (error: Error) => error)));
      expect(errors.map((e) => e?.message)).toEqual([
        expect.stringMatching(/wide\.png: cannot decode the image: its PNG header declares 16,777,232 × 11 pixels/),
        expect.stringMatching(/widened\.jpg: cannot decode the image: its JPEG header declares 65,500 × 8 pixels/),
      ]);
    } finally {
      await strict.close();
    }
    const warnings: string[] = [];
    const lenient = new ImageFolder(dir, { workers: 1, skipBadImages: true, onWarning: (message) => warnings.push(message) });
    try {
      expect((await lenient.get(1)).x).toBeDefined();
      expect(warnings[0]).toMatch(/skipping .*wide\.png: .*header declares/);
    } finally {
      await lenient.close();
    }
  });
});
