import { isFathomError, ones, tensor, zeros } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { defaultCollate } from './collate.js';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('defaultCollate', () => {
  it('stacks tensors along a new first dimension and makes int32 labels', async () => {
    const batch = defaultCollate([
      { x: tensor([[1, 2], [3, 4]]), y: 3 },
      { x: tensor([[5, 6], [7, 8]]), y: 9 },
    ]);
    expect(batch.x.shape).toEqual([2, 2, 2]);
    expect(Array.from(await batch.x.data())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(batch.y.dtype).toBe('int32');
    expect(Array.from(await batch.y.data())).toEqual([3, 9]);
  });

  it('makes float32 from non-integers, bool from booleans, string arrays from strings', async () => {
    const batch = defaultCollate([
      { weight: 0.5, flag: true, name: 'a' },
      { weight: 2, flag: false, name: 'b' },
    ]);
    expect(batch.weight.dtype).toBe('float32');
    expect(Array.from(await batch.weight.data())).toEqual([0.5, 2]);
    expect(batch.flag.dtype).toBe('bool');
    expect(Array.from(await batch.flag.data())).toEqual([1, 0]);
    expect(batch.name).toEqual(['a', 'b']);
  });

  it('collates tuples position by position and typed arrays into (B, L)', async () => {
    const batch = defaultCollate([
      [new Float32Array([1, 2, 3]), 0] as [Float32Array, number],
      [new Float32Array([4, 5, 6]), 1] as [Float32Array, number],
    ]);
    expect(batch[0].shape).toEqual([2, 3]);
    expect(batch[0].dtype).toBe('float32');
    expect(Array.from(await batch[0].data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await batch[1].data())).toEqual([0, 1]);
  });

  it('names the field when shapes or structures differ', () => {
    const shapes = thrown(() => defaultCollate([{ x: zeros([3, 4]) }, { x: ones([3, 5]) }]));
    expect(isFathomError(shapes, 'ShapeError')).toBe(true);
    expect(shapes.message).toMatch(/defaultCollate: field x: stack: all tensors must have one shape/);
    const kinds = thrown(() => defaultCollate([{ x: zeros([2]) }, { x: 1 }] as { x: unknown }[]));
    expect(isFathomError(kinds, 'DataError')).toBe(true);
    expect(kinds.message).toMatch(/field x: sample 0 is a tensor \[2\] but sample 1 is number/);
    const missing = thrown(() => defaultCollate([{ x: 1, y: 2 }, { x: 1 }] as { x: number; y?: number }[]));
    expect(missing.message).toMatch(/sample 0 has field y but sample 1 does not/);
    expect(isFathomError(thrown(() => defaultCollate([])), 'DataError')).toBe(true);
  });
});
