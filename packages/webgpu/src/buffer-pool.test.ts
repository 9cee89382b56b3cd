import { describe, expect, it } from 'vitest';
import { sizeClass } from './buffer-pool.js';

describe('sizeClass', () => {
  it('rounds up to 256 bytes, then powers of two and their midpoints', () => {
    expect([1, 256, 257, 384, 385, 512, 513, 768, 769, 1024].map(sizeClass)).toEqual([256, 256, 384, 384, 512, 512, 768, 768, 1024, 1024]);
  });
  it('wastes less than a third of any class', () => {
    for (let bytes = 257; bytes < 1 << 20; bytes = Math.ceil(bytes * 1.07)) {
      expect(sizeClass(bytes)).toBeGreaterThanOrEqual(bytes);
      expect(sizeClass(bytes) / bytes).toBeLessThan(1.5);
    }
  });
});
