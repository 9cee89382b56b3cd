import { Generator } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { adjustBrightness, adjustContrast, adjustSaturation, colorJitter } from './color-jitter.js';
import { rawImage } from './raw-image.js';

// Two RGB pixels.
const image = rawImage(Uint8Array.from([200, 100, 50, 10, 20, 30]), 2, 1, 3);
const gray = (r: number, g: number, b: number): number => Math.trunc(0.2989 * r + 0.587 * g + 0.114 * b);

describe('colour adjustments (torchvision on uint8: blend, clamp, truncate)', () => {
  it('scales brightness', () => {
    expect(Array.from(adjustBrightness(image, 1.5).data)).toEqual([255, 150, 75, 15, 30, 45]);
    expect(Array.from(adjustBrightness(image, 0.33).data)).toEqual([66, 33, 16, 3, 6, 9]);
  });

  it('blends contrast with the mean gray level', () => {
    const mean = (gray(200, 100, 50) + gray(10, 20, 30)) / 2;
    const expected = [200, 100, 50, 10, 20, 30].map((v) => Math.min(255, Math.max(0, Math.trunc(0.5 * v + 0.5 * mean))));
    expect(Array.from(adjustContrast(image, 0.5).data)).toEqual(expected);
  });

  it('blends saturation with the pixel’s gray', () => {
    const g0 = gray(200, 100, 50);
    const g1 = gray(10, 20, 30);
    expect(Array.from(adjustSaturation(image, 0).data)).toEqual([g0, g0, g0, g1, g1, g1]);
    expect(Array.from(adjustSaturation(image, 2).data)).toEqual([200, 100, 50, 10, 20, 30].map((v, i) => {
      const g = i < 3 ? g0 : g1;
      return Math.min(255, Math.max(0, Math.trunc(2 * v - g)));
    }));
  });
});

describe('colorJitter', () => {
  it('applies fixed factors whatever the order draws', () => {
    const jitter = colorJitter({ brightness: [1.5, 1.5] });
    expect(Array.from(jitter(image, new Generator(0)).data)).toEqual([255, 150, 75, 15, 30, 45]);
  });

  it('is the same for the same generator and varies across generators', () => {
    const jitter = colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 });
    expect(Array.from(jitter(image, new Generator(1)).data)).toEqual(Array.from(jitter(image, new Generator(1)).data));
    const outputs = new Set(Array.from({ length: 20 }, (_, s) => Array.from(jitter(image, new Generator(s)).data).join(',')));
    expect(outputs.size).toBeGreaterThan(15);
  });

  it('leaves a grayscale image gray and rejects negative amounts', () => {
    const single = rawImage(Uint8Array.from([100, 50]), 2, 1, 1);
    expect(colorJitter({ saturation: 1 })(single, new Generator(0)).channels).toBe(1);
    expect(() => colorJitter({ brightness: -0.1 })).toThrow(/brightness must be/);
  });
});
