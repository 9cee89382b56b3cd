import { describe, expect, it } from 'vitest';
import { coversBuffer, type BackendBuffer, type View } from '../src/backend-entry.js';

const buffer = (length: number): BackendBuffer => ({ dtype: 'float32', length }) as BackendBuffer;
const view = (length: number, shape: number[], strides: number[], offset = 0): View => ({ buffer: buffer(length), shape, strides, offset });

describe('coversBuffer', () => {
  it('holds for a row-major view of the whole buffer, size-1 dims with any stride', () => {
    expect(coversBuffer(view(6, [2, 3], [3, 1]))).toBe(true);
    expect(coversBuffer(view(6, [2, 1, 3], [3, 99, 1]))).toBe(true);
    expect(coversBuffer(view(1, [], []))).toBe(true);
  });

  it('fails for an offset, a part, a transpose or a broadcast', () => {
    expect(coversBuffer(view(7, [2, 3], [3, 1], 1))).toBe(false);
    expect(coversBuffer(view(8, [2, 3], [3, 1]))).toBe(false);
    expect(coversBuffer(view(6, [3, 2], [1, 3]))).toBe(false);
    expect(coversBuffer(view(3, [2, 3], [0, 1]))).toBe(false);
  });
});
