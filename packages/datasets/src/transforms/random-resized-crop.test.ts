import { Generator } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { randomResizedCrop, randomResizedCropBox } from './random-resized-crop.js';
import { rawImage } from './raw-image.js';
import { resizeImage } from './resize.js';

describe('randomResizedCropBox', () => {
  it('keeps crops inside the image with area and aspect within range when a try fits', () => {
    const generator = new Generator(11);
    for (let i = 0; i < 500; i++) {
      const box = randomResizedCropBox(500, 375, generator);
      expect(box.left >= 0 && box.top >= 0 && box.left + box.width <= 500 && box.top + box.height <= 375).toBe(true);
      const area = (box.width * box.height) / (500 * 375);
      // Rounding each side to whole pixels moves the area and ratio a little.
      expect(area).toBeGreaterThan(0.08 * 0.9);
      expect(box.width / box.height).toBeGreaterThan((3 / 4) * 0.9);
      expect(box.width / box.height).toBeLessThan((4 / 3) * 1.1);
    }
  });

  it('falls back to the centred crop with the ratio clamped when no try fits', () => {
    // A 100×2 strip: a 3/4 … 4/3 crop of ≥ 8 % of the area never fits in 2 rows; the fallback is 3 wide (2 · 4/3 rounded) at floor(97 / 2).
    expect(randomResizedCropBox(100, 2, new Generator(0))).toEqual({ top: 0, left: 48, height: 2, width: 3 });
    expect(randomResizedCropBox(2, 100, new Generator(0))).toEqual({ top: 48, left: 0, height: 3, width: 2 });
  });
});

describe('randomResizedCrop', () => {
  it('resizes the drawn box to the size, drawing as the box function does', () => {
    const data = Uint8Array.from({ length: 40 * 30 * 3 }, (_, i) => (i * 7) % 256);
    const image = rawImage(data, 40, 30, 3);
    const out = randomResizedCrop(16)(image, new Generator(5));
    const box = randomResizedCropBox(40, 30, new Generator(5));
    expect([out.width, out.height, out.channels]).toEqual([16, 16, 3]);
    expect(Array.from(out.data)).toEqual(Array.from(resizeImage(image, 16, 16, { box }).data));
  });

  it('rejects bad ranges', () => {
    expect(() => randomResizedCrop(8, { scale: [0.5, 0.1] })).toThrow(/scale must be/);
    expect(() => randomResizedCrop(8, { ratio: [0, 1] })).toThrow(/ratio must be/);
  });
});
