// ImageFolder on folders of PNG and JPEG files generated here with sharp.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, isFathomError, type Tensor } from '@fathom/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLoader, IMAGENET_MEAN, IMAGENET_STD, compose, normalize, randomHorizontalFlip, randomResizedCrop, toTensor } from '../src/index.js';
import { ImageFolder, decodeImage } from '../src/node/index.js';

/** Pixel (r, c, channel ch) of test image `k`: distinct per image, row, column and channel. */
const pixel = (k: number, r: number, c: number, ch: number): number => (k * 40 + r * 9 + c * 5 + ch * 60) % 256;

async function writeImage(path: string, k: number, width: number, height: number, format: 'png' | 'jpeg', channels: 1 | 3 = 3): Promise<void> {
  const data = new Uint8Array(width * height * channels);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) for (let ch = 0; ch < channels; ch++) data[(r * width + c) * channels + ch] = pixel(k, r, c, ch);
  const encoder = sharp(data, { raw: { width, height, channels } });
  await writeFile(path, format === 'png' ? await encoder.png().toBuffer() : await encoder.jpeg({ quality: 95 }).toBuffer());
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fathom-imagefolder-'));
  // train/ has three classes, listed out of order on purpose; hidden files, non-images and a nested folder.
  const layout: [string, string, number, 'png' | 'jpeg'][] = [
    ['zebra', 'b.png', 0, 'png'],
    ['zebra', 'a.png', 1, 'png'],
    ['ant', 'only.JPEG', 2, 'jpeg'],
    ['moth/nested', 'deep.png', 3, 'png'],
    ['moth', 'top.jpg', 4, 'jpeg'],
  ];
  for (const [folder, name, k, format] of layout) {
    await mkdir(join(root, 'train', folder), { recursive: true });
    await writeImage(join(root, 'train', folder, name), k, 12, 10, format);
  }
  await writeFile(join(root, 'train', 'zebra', 'notes.txt'), 'not an image');
  await writeFile(join(root, 'train', 'zebra', '.hidden.png'), 'not an image either');
  await mkdir(join(root, 'train', '.cache'), { recursive: true });
  // A grayscale class for modes.
  await mkdir(join(root, 'gray', 'g'), { recursive: true });
  await writeImage(join(root, 'gray', 'g', 'one.png'), 5, 6, 4, 'png', 1);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(isFathomError(error, 'DataError')).toBe(true);
    return error as Error;
  }
  throw new Error('expected a DataError');
}

describe('ImageFolder layout', () => {
  it('takes classes from sorted folder names and finds images recursively, skipping hidden and non-image files', () => {
    const train = new ImageFolder(root, { split: 'train' });
    expect(train.classes).toEqual(['ant', 'moth', 'zebra']);
    expect(train.classToIndex).toEqual({ ant: 0, moth: 1, zebra: 2 });
    expect(train.paths.map((p) => p.slice(root.length + 7))).toEqual(['ant/only.JPEG', 'moth/nested/deep.png', 'moth/top.jpg', 'zebra/a.png', 'zebra/b.png']);
    expect(Array.from(train.labels)).toEqual([0, 1, 1, 2, 2]);
    expect(train.label(4)).toBe(2);
  });

  it('names a missing folder, a split without class folders and an empty class folder', async () => {
    expect((await rejection(() => new ImageFolder(root, { split: 'val' }))).message).toMatch(/ImageFolder: .*val is not a folder/);
    await mkdir(join(root, 'flat'), { recursive: true });
    await writeFile(join(root, 'flat', 'x.png'), '');
    expect((await rejection(() => new ImageFolder(join(root, 'flat')))).message).toMatch(/flat holds no class folders/);
    await mkdir(join(root, 'withempty', 'full'), { recursive: true });
    await mkdir(join(root, 'withempty', 'empty'), { recursive: true });
    await writeImage(join(root, 'withempty', 'full', 'x.png'), 0, 2, 2, 'png');
    await writeFile(join(root, 'withempty', 'empty', 'readme.txt'), '');
    expect((await rejection(() => new ImageFolder(join(root, 'withempty')))).message).toMatch(/the class folder .*withempty[/\\]empty holds no images \(looked for \.jpg, \.jpeg, \.png/);
  });
});

describe('ImageFolder decoding', () => {
  it('decodes PNG exactly and JPEG closely into (C, H, W) tensors in [0, 1]', async () => {
    const train = new ImageFolder(root, { split: 'train' });
    const { x, y } = await train.get(3); // zebra/a.png is image 1
    expect(y).toBe(2);
    expect(x.shape).toEqual([3, 10, 12]);
    const values = await x.data();
    for (const [ch, r, c] of [[0, 0, 0], [1, 9, 11], [2, 4, 7]]) expect(values[ch * 120 + r * 12 + c]).toBe(Math.fround(pixel(1, r, c, ch) / 255));
    const jpeg = await (await train.get(0)).x.data();
    let error = 0;
    for (let ch = 0; ch < 3; ch++) for (let r = 0; r < 10; r++) for (let c = 0; c < 12; c++) error += Math.abs(jpeg[ch * 120 + r * 12 + c] * 255 - pixel(2, r, c, ch));
    // A lossy codec (with chroma subsampling) on a synthetic pattern with hard edges: close on average.
    expect(error / 360).toBeLessThan(16);
  });

  it('expands grayscale to RGB by default and keeps one channel in grayscale mode', async () => {
    const rgb = (await new ImageFolder(join(root, 'gray')).get(0)).x;
    expect(rgb.shape).toEqual([3, 4, 6]);
    const values = await rgb.data();
    expect([values[7], values[24 + 7], values[48 + 7]]).toEqual(new Array(3).fill(Math.fround(pixel(5, 1, 1, 0) / 255)));
    const gray = await decodeImage(join(root, 'gray', 'g', 'one.png'), { mode: 'grayscale' });
    expect([gray.width, gray.height, gray.channels]).toEqual([6, 4, 1]);
    expect(gray.data[2 * 6 + 3]).toBe(pixel(5, 2, 3, 0));
  });

  it('names a file that will not decode, or skips it with a warning when asked', async () => {
    const dir = join(root, 'broken');
    await mkdir(join(dir, 'a'), { recursive: true });
    await mkdir(join(dir, 'b'), { recursive: true });
    await writeImage(join(dir, 'a', '1.png'), 0, 4, 4, 'png');
    await writeFile(join(dir, 'a', '2.png'), 'this is not a PNG');
    await writeImage(join(dir, 'b', '3.jpg'), 1, 8, 8, 'jpeg');
    const jpeg = await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } }).jpeg().toBuffer();
    await writeFile(join(dir, 'b', '4.jpg'), jpeg.subarray(0, jpeg.length - 60));

    const strict = new ImageFolder(dir);
    expect((await rejection(strict.get(1))).message).toMatch(/broken[/\\]a[/\\]2\.png: cannot decode the image/);
    expect((await rejection(strict.get(3))).message).toMatch(/broken[/\\]b[/\\]4\.jpg: cannot decode the image/);

    const warnings: string[] = [];
    const lenient = new ImageFolder(dir, { skipBadImages: true, onWarning: (message) => warnings.push(message) });
    const substitute = await lenient.get(1);
    expect(substitute.y).toBe(1); // the next image that decodes: b/3.jpg
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ImageFolder: skipping .*a[/\\]2\.png: .*cannot decode/);
    expect((await lenient.get(3)).y).toBe(0); // wraps around to a/1.png
    expect(lenient.badFiles.map((p) => p.slice(dir.length + 1))).toEqual(['a/2.png', 'b/4.jpg']);
  });
});

describe('ImageFolder with worker threads', () => {
  const pipeline = compose(randomResizedCrop(8), randomHorizontalFlip(), toTensor(), normalize(IMAGENET_MEAN, IMAGENET_STD));

  async function epochs(workers: number): Promise<number[][]> {
    const train = new ImageFolder(root, { split: 'train', transform: pipeline, workers, seed: 21 });
    const loader = new DataLoader(train, { batchSize: 2, shuffle: true, seed: 5 });
    const out: number[][] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      for await (const { x, y } of loader) {
        expect(x.shape).toEqual([y.shape[0], 3, 8, 8]);
        out.push([...(await y.data()), ...(await x.data())]);
      }
    }
    await train.close();
    return out;
  }

  it('gives exactly the batches of decoding on this thread, epoch after epoch', async () => {
    const here = await epochs(0);
    const inWorkers = await epochs(2);
    expect(inWorkers).toEqual(here);
    // Different epochs draw different crops.
    expect(here.slice(0, 3)).not.toEqual(here.slice(3, 6));
  });

  it('runs your own functions on this thread after the workers, with the same stream', async () => {
    const scale = (x: Tensor, generator?: Generator): Tensor => x.mul(generator ? 2 : 1);
    const withTail = compose(randomResizedCrop(8), toTensor(), scale, randomHorizontalFlip<Tensor>());
    const results: number[][] = [];
    for (const workers of [0, 1]) {
      const train = new ImageFolder(root, { split: 'train', transform: withTail, workers, seed: 2 });
      results.push(Array.from(await (await train.get(4)).x.data()));
      await train.close();
    }
    expect(results[1]).toEqual(results[0]);
    expect(Math.max(...results[0])).toBeGreaterThan(1); // the tail ran
  });

  it('reports a bad image from a worker as a DataError naming it, and refuses work after close()', async () => {
    const dir = join(root, 'broken');
    const folder = new ImageFolder(dir, { workers: 2 });
    expect((await rejection(folder.get(1))).message).toMatch(/a[/\\]2\.png: cannot decode the image/);
    expect((await folder.get(0)).x.shape).toEqual([3, 4, 4]);
    await folder.close();
    await expect(folder.get(0)).rejects.toThrow(/the dataset was closed/);
  });

  it('lets the process exit without close(), and close() ends the workers', () => {
    const entry = fileURLToPath(new URL('../dist/node/index.js', import.meta.url));
    for (const close of [false, true]) {
      const script = [
        `const { ImageFolder } = await import(${JSON.stringify(entry)});`,
        `const folder = new ImageFolder(${JSON.stringify(join(root, 'train'))}, { workers: 2 });`,
        'const samples = await Promise.all([0, 1, 2, 3, 4].map((i) => folder.get(i)));',
        close ? 'await folder.close();' : '',
        'console.log(samples.length);',
      ].join('\n');
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
      expect(result.error).toBeUndefined();
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('5');
      expect(result.status).toBe(0);
    }
  });
});
