import { Generator } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { centerCrop } from './center-crop.js';
import { cropImage, padImage } from './crop.js';
import { randomCrop } from './random-crop.js';
import { rawImage } from './raw-image.js';

// A 4×3 grayscale image whose pixel (r, c) is 10·r + c.
const grid = rawImage(Uint8Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4)), 4, 3, 1);
const rows = (image: { data: Uint8Array; width: number }): number[][] =>
  Array.from({ length: image.data.length / image.width }, (_, r) => Array.from(image.data.subarray(r * image.width, (r + 1) * image.width)));

describe('cropImage and padImage', () => {
  it('crops, filling what lies outside the image', () => {
    expect(rows(cropImage(grid, 1, 1, 2, 2))).toEqual([[11, 12], [21, 22]]);
    expect(rows(cropImage(grid, -1, 2, 2, 3, 9))).toEqual([[9, 9, 9], [2, 3, 9]]);
  });

  it('pads constant, edge and reflect as numpy and torchvision', () => {
    const line = rawImage(Uint8Array.from([1, 2, 3]), 3, 1, 1);
    expect(Array.from(padImage(line, [2, 0]).data)).toEqual([0, 0, 1, 2, 3, 0, 0]);
    expect(Array.from(padImage(line, [2, 0], { mode: 'edge' }).data)).toEqual([1, 1, 1, 2, 3, 3, 3]);
    expect(Array.from(padImage(line, [2, 0], { mode: 'reflect' }).data)).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(rows(padImage(grid, [0, 1, 0, 0], { fill: 5 }))[0]).toEqual([5, 5, 5, 5]);
    expect(() => padImage(line, 3, { mode: 'reflect' })).toThrow(/reflect padding must be smaller than the image/);
  });
});

describe('centerCrop', () => {
  it('takes the centre with Python rounding, padding a small image', () => {
    // (3 − 2) / 2 = 0.5 rounds to 0 (even); (4 − 2) / 2 = 1.
    expect(rows(centerCrop(2)(grid))).toEqual([[1, 2], [11, 12]]);
    expect(rows(centerCrop([3, 6])(grid))).toEqual([[0, 0, 1, 2, 3, 0], [0, 10, 11, 12, 13, 0], [0, 20, 21, 22, 23, 0]]);
  });
});

describe('randomCrop', () => {
  it('reaches every position, uniformly, and repeats for the same generator', () => {
    const crop = randomCrop(2);
    const counts = new Map<string, number>();
    const generator = new Generator(3);
    for (let i = 0; i < 600; i++) {
      const out = crop(grid, generator);
      const key = String(out.data[0]); // the top-left pixel is 10·top + left
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // Tops 0 … 1, lefts 0 … 2: six positions, about 100 each.
    expect([...counts.keys()].sort()).toEqual(['0', '1', '10', '11', '12', '2']);
    for (const count of counts.values()) expect(count).toBeGreaterThan(60);
    expect(Array.from(crop(grid, new Generator(8)).data)).toEqual(Array.from(crop(grid, new Generator(8)).data));
  });

  it('pads first with padding, up to the size with padIfNeeded, and refuses a crop that does not fit', () => {
    const padded = randomCrop([5, 6], { padding: 1 })(grid, new Generator(0));
    expect([padded.height, padded.width]).toEqual([5, 6]);
    expect(rows(padded)[0]).toEqual([0, 0, 0, 0, 0, 0]);
    const grown = randomCrop(5, { padIfNeeded: true })(grid, new Generator(0));
    expect([grown.height, grown.width]).toEqual([5, 5]);
    expect(() => randomCrop(5)(grid, new Generator(0))).toThrow(/the crop 5×5 \(height×width\) is larger than the 3×4 image/);
  });
});
