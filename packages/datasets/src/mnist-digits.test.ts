import { isFathomError } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { mnistDigitsFromArrays } from './mnist-digits.js';

const PIXELS = 784;

/** `count` images of digit `digit`, each filled with a value that names it: (digit·100 + image) / 10,000. */
function fakeDigit(digit: number, count: number): Float64Array {
  const pixels = new Float64Array(count * PIXELS);
  for (let image = 0; image < count; image++) pixels.fill((digit * 100 + image) / 10_000, image * PIXELS, (image + 1) * PIXELS);
  return pixels;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('mnistDigitsFromArrays', () => {
  const counts = [3, 1, 2, 2, 2, 2, 2, 2, 2, 2];
  const arrays = counts.map((count, digit) => fakeDigit(digit, count));

  it('interleaves the classes round-robin, skipping a class that ran out', async () => {
    const { images, labels } = mnistDigitsFromArrays(arrays);
    expect(images.shape).toEqual([20, 1, 28, 28]);
    expect(images.dtype).toBe('float32');
    expect(labels.dtype).toBe('int32');
    const expectedLabels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 2, 3, 4, 5, 6, 7, 8, 9, 0];
    expect(Array.from(await labels.data())).toEqual(expectedLabels);
    // Which image of its class each position holds, read back from the pixel value.
    const firstPixels = Array.from(await images.reshape(20, PIXELS).select(1, 0).data());
    const expectedImages = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2];
    expect(firstPixels.map((v) => Math.round(v * 10_000) % 100)).toEqual(expectedImages);
    expect(firstPixels.map((v) => Math.floor(Math.round(v * 10_000) / 100))).toEqual(expectedLabels);
  });

  it('keeps the first `limit` of that order', async () => {
    const { images, labels } = mnistDigitsFromArrays(arrays, { limit: 12 });
    expect(images.shape).toEqual([12, 1, 28, 28]);
    expect(Array.from(await labels.data())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 2]);
  });

  it('rejects a bad limit with a ValueError naming it', () => {
    for (const limit of [0, -1, 2.5, 21]) {
      const error = thrown(() => mnistDigitsFromArrays(arrays, { limit }));
      expect(isFathomError(error, 'ValueError')).toBe(true);
      expect(String(error)).toMatch(/limit/);
    }
  });

  it('rejects data that is not ten whole sets of 28×28 images in [0, 1], naming the source', () => {
    const cases: [ArrayLike<unknown>[], RegExp][] = [
      [arrays.slice(0, 9), /10 digits/],
      [arrays.map((a, d) => (d === 4 ? a.slice(0, PIXELS + 5) : a)), /four\.json: holds 789 pixel values/],
      [arrays.map((a, d) => (d === 4 ? new Float64Array(0) : a)), /four\.json: holds 0 pixel values/],
      [arrays.map((a, d) => (d === 4 ? Float64Array.from(a, (v, i) => (i === PIXELS + 7 ? 1.5 : v)) : a)), /four\.json: image 1, pixel 7 .* is 1\.5/],
      [arrays.map((a, d) => (d === 4 ? Float64Array.from(a, (v, i) => (i === 3 ? Number.NaN : v)) : a)), /four\.json: image 0, pixel 3 .* is NaN/],
      [arrays.map((a, d) => (d === 4 ? Array.from(a, (v, i) => (i === 3 ? '0.5' : v)) : a)), /four\.json: image 0, pixel 3 .* is "0\.5"/],
    ];
    const sourceNames = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].map((name) => `${name}.json`);
    for (const [input, message] of cases) {
      const error = thrown(() => mnistDigitsFromArrays(input, { sourceNames }));
      expect(isFathomError(error, 'DataError')).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('mnistDigitsFromArrays as a Dataset', () => {
  it('gets { x: (1, 28, 28) view, y } by index and checks the index', async () => {
    const counts = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2];
    const digits = mnistDigitsFromArrays(counts.map((count, digit) => fakeDigit(digit, count)));
    expect(digits.length).toBe(20);
    const { x, y } = digits.get(13); // round 1, digit 3
    expect(y).toBe(3);
    expect(x.shape).toEqual([1, 28, 28]);
    expect((await x.data())[100]).toBe(Math.fround(301 / 10_000));
    expect(digits.label(13)).toBe(3);
    expect(isFathomError(thrown(() => digits.get(20)), 'IndexError')).toBe(true);
  });
});
