import { describe, expect, it } from 'vitest';
import { rawImage, type RawImage } from './raw-image.js';
import { resize, resizeImage } from './resize.js';

const row = (values: number[]): RawImage => rawImage(Uint8Array.from(values), values.length, 1, 1);

/**
 * Float64 reference written plainly: each output pixel is a 2-D weighted sum
 * of the box's pixels with PIL's stretched-triangle weights.
 */
function reference(image: RawImage, width: number, height: number): number[] {
  const axisWeights = (inSize: number, outSize: number, at: number): number[] => {
    const scale = inSize / outSize;
    const stretch = Math.max(scale, 1);
    const centre = (at + 0.5) * scale;
    const weights = Array.from({ length: inSize }, (_, i) => {
      const inside = i >= Math.trunc(centre - stretch + 0.5) && i < Math.trunc(centre + stretch + 0.5);
      return inside ? Math.max(0, 1 - Math.abs((i + 0.5 - centre) / stretch)) : 0;
    });
    const total = weights.reduce((a, b) => a + b, 0);
    return weights.map((w) => w / total);
  };
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    const wy = axisWeights(image.height, height, y);
    for (let x = 0; x < width; x++) {
      const wx = axisWeights(image.width, width, x);
      for (let c = 0; c < image.channels; c++) {
        let sum = 0;
        for (let i = 0; i < image.height; i++) for (let j = 0; j < image.width; j++) sum += wy[i] * wx[j] * image.data[(i * image.width + j) * image.channels + c];
        out.push(Math.min(255, Math.max(0, Math.round(sum))));
      }
    }
  }
  return out;
}

describe('resizeImage', () => {
  it('upsamples with half-pixel bilinear weights, as torch and PIL', () => {
    // Centres 0.25, 0.75, 1.25, 1.75 over [0, 255]: 0, 63.75, 191.25, 255.
    expect(Array.from(resizeImage(row([0, 255]), 4, 1).data)).toEqual([0, 64, 191, 255]);
  });

  it('widens the filter when shrinking (antialias), as PIL', () => {
    // Output 0 averages inputs 0, 1, 2 with weights 3/7, 3/7, 1/7; output 1 inputs 1, 2, 3 with 1/7, 3/7, 3/7.
    expect(Array.from(resizeImage(row([0, 100, 200, 255]), 2, 1).data)).toEqual([71, 209]);
    // Without antialias it samples between the two nearest pixels.
    expect(Array.from(resizeImage(row([0, 100, 200, 255]), 2, 1, { antialias: false }).data)).toEqual([50, 228]);
  });

  it('picks the pixel under each centre with nearest', () => {
    expect(Array.from(resizeImage(row([0, 100, 200, 255]), 2, 1, { interpolation: 'nearest' }).data)).toEqual([100, 255]);
    expect(Array.from(resizeImage(row([10, 20]), 4, 1, { interpolation: 'nearest' }).data)).toEqual([10, 10, 20, 20]);
  });

  it('matches the float64 reference on a random RGB image, shrinking and growing', () => {
    let state = 17;
    const data = Uint8Array.from({ length: 13 * 9 * 3 }, () => (state = (state * 1103515245 + 12345) % 2147483648) % 256);
    const image = rawImage(data, 13, 9, 3);
    for (const [width, height] of [[5, 4], [20, 11], [13, 3], [1, 1]]) {
      expect(Array.from(resizeImage(image, width, height).data)).toEqual(reference(image, width, height));
    }
  });

  it('resizes only the box when given one', () => {
    const image = rawImage(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 3, 3, 1);
    expect(Array.from(resizeImage(image, 2, 2, { box: { top: 1, left: 1, height: 2, width: 2 } }).data)).toEqual([5, 6, 8, 9]);
    expect(() => resizeImage(image, 2, 2, { box: { top: 2, left: 0, height: 2, width: 1 } })).toThrow(/not a non-empty rectangle inside the 3×3 image/);
  });

  it('keeps a constant image constant', () => {
    const image = rawImage(new Uint8Array(7 * 5 * 3).fill(77), 7, 5, 3);
    expect(resizeImage(image, 3, 11).data.every((v) => v === 77)).toBe(true);
  });
});

describe('resize', () => {
  it('matches the shorter edge and keeps the aspect ratio as torchvision (floor of the long edge)', () => {
    const landscape = rawImage(new Uint8Array(500 * 375), 500, 375, 1);
    const out = resize(256)(landscape);
    expect([out.width, out.height]).toEqual([341, 256]);
    const portrait = resize(100)(rawImage(new Uint8Array(30 * 70), 30, 70, 1));
    expect([portrait.width, portrait.height]).toEqual([100, 233]);
    const capped = resize(100, { maxSize: 150 })(rawImage(new Uint8Array(30 * 70), 30, 70, 1));
    expect([capped.width, capped.height]).toEqual([64, 150]);
  });

  it('takes [height, width]', () => {
    const out = resize([10, 20])(rawImage(new Uint8Array(4), 2, 2, 1));
    expect([out.height, out.width]).toEqual([10, 20]);
    expect(() => resize(0)).toThrow(/size must be a positive integer/);
  });
});
