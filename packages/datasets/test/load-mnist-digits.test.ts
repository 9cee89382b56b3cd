// Checks loadMnistDigits against the real files of the installed mnist package
// and against that package's own API, read independently of our loader.
import { copyFile, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isFathomError, type Tensor } from '@fathom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnistDigits, mnistDigitFiles } from '../src/node/index.js';

/** The parts of the mnist package's CommonJS API we compare against. */
interface MnistDigitClass {
  readonly id: number;
  readonly length: number;
  get(which: number): number[];
}
const mnist = createRequire(import.meta.url)('mnist') as MnistDigitClass[];

const PIXELS = 784;
const EXPECTED_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

describe('loadMnistDigits (the mnist package, v1.1.0)', () => {
  let images: Tensor;
  let labels: Tensor;
  let pixels: Float32Array; // (N·784)
  let labelValues: Int32Array; // (N)

  beforeAll(async () => {
    ({ images, labels } = await loadMnistDigits());
    pixels = (await images.data()) as Float32Array;
    labelValues = (await labels.data()) as Int32Array;
  });

  it('loads all 10,000 digits as (N, 1, 28, 28) float32 and (N) int32', () => {
    expect(mnist.map((digit) => digit.length)).toEqual(EXPECTED_COUNTS);
    expect(images.shape).toEqual([10_000, 1, 28, 28]);
    expect(images.dtype).toBe('float32');
    expect(labels.shape).toEqual([10_000]);
    expect(labels.dtype).toBe('int32');
  });

  it('has labels in 0 … 9, each digit as often as the package has it', () => {
    const counts = new Array<number>(10).fill(0);
    for (const label of labelValues) {
      expect(label >= 0 && label <= 9).toBe(true);
      counts[label]++;
    }
    expect(counts).toEqual(EXPECTED_COUNTS);
  });

  it('has pixels in [0, 1] with both ends present', () => {
    let low = Infinity;
    let high = -Infinity;
    for (const value of pixels) {
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
    expect(low).toBe(0);
    expect(high).toBe(1);
  });

  it('starts with the package’s first 0, whose pixel sum matches the raw file', async () => {
    expect(labelValues[0]).toBe(0);
    expect(Array.from(pixels.subarray(0, PIXELS))).toEqual(mnist[0].get(0).map(Math.fround));
    // The raw file, parsed here without the loader.
    const raw = JSON.parse(await readFile(mnistDigitFiles()[0], 'utf8')) as { data: number[] };
    let rawSum = 0;
    for (let i = 0; i < PIXELS; i++) rawSum += raw.data[i];
    let loadedSum = 0;
    for (let i = 0; i < PIXELS; i++) loadedSum += pixels[i];
    expect(rawSum).toBeGreaterThan(50); // a real digit, not a blank
    expect(loadedSum).toBeCloseTo(rawSum, 3);
  });

  it('interleaves the classes: position i·10 + d is image i of digit d while every class lasts', () => {
    for (const [position, digit, which] of [[1, 1, 0], [9, 9, 0], [10, 0, 1], [4327, 7, 432], [8629, 9, 862]]) {
      expect(labelValues[position]).toBe(digit);
      expect(Array.from(pixels.subarray(position * PIXELS, (position + 1) * PIXELS))).toEqual(mnist[digit].get(which).map(Math.fround));
    }
    // Digit 1 has the most images, so the last position holds its last one.
    expect(labelValues[9999]).toBe(1);
    expect(Array.from(pixels.subarray(9999 * PIXELS))).toEqual(mnist[1].get(1126).map(Math.fround));
  });

  it('takes a balanced prefix with `limit`', async () => {
    const subset = await loadMnistDigits({ limit: 500 });
    expect(subset.images.shape).toEqual([500, 1, 28, 28]);
    const counts = new Array<number>(10).fill(0);
    for (const label of await subset.labels.data()) counts[label]++;
    expect(counts).toEqual(new Array<number>(10).fill(50));
    expect(Array.from(await subset.images.data())).toEqual(Array.from(pixels.subarray(0, 500 * PIXELS)));
  });
});

describe('loadMnistDigits on damaged files', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fathom-mnist-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** A copy of the real files in `directory` with 3.json replaced by `content` (or removed when null). */
  async function withThree(content: string | null): Promise<void> {
    for (const file of mnistDigitFiles()) await copyFile(file, join(directory, basename(file)));
    const three = join(directory, '3.json');
    if (content === null) await unlink(three);
    else await writeFile(three, content);
  }

  async function loadError(): Promise<Error> {
    try {
      await loadMnistDigits({ directory });
    } catch (error) {
      expect(isFathomError(error, 'DataError')).toBe(true);
      return error as Error;
    }
    throw new Error('expected loadMnistDigits to reject');
  }

  it('loads an intact copy from another folder', async () => {
    await withThree(await readFile(mnistDigitFiles()[3], 'utf8'));
    const { images } = await loadMnistDigits({ directory, limit: 20 });
    expect(images.shape).toEqual([20, 1, 28, 28]);
  });

  it('names the file that is missing, not JSON, of the wrong size or out of range', async () => {
    const onePixelTooMany = JSON.stringify({ data: new Array<number>(PIXELS + 1).fill(0) });
    const outOfRange = JSON.stringify({ data: [...new Array<number>(PIXELS + 10).fill(0), 255, ...new Array<number>(PIXELS - 11).fill(0)] });
    const cases: [string | null, RegExp][] = [
      [null, /cannot read .*3\.json/],
      ['{ "data": [0, 0,', /3\.json is not valid JSON/],
      ['[0, 0, 0]', /3\.json should hold an object with a "data" array/],
      [onePixelTooMany, /3\.json: holds 785 pixel values/],
      [outOfRange, /3\.json: image 1, pixel 10 .* is 255/],
    ];
    for (const [content, message] of cases) {
      await withThree(content);
      expect((await loadError()).message).toMatch(message);
    }
  });
});
