import { describe, expect, it } from 'vitest';
import { memoryStats } from '../index.js';
import { makeInput } from './make-input.js';
import type { Layout } from './op-spec.js';
import { ref } from './reference.js';

const grid = ref([3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

describe('makeInput', () => {
  const cases: [Layout, (t: { isContiguous(): boolean; offset: number }) => boolean][] = [
    ['contiguous', (t) => t.isContiguous() && t.offset === 0],
    ['transposed', (t) => !t.isContiguous()],
    ['strided', (t) => !t.isContiguous()],
    ['offset', (t) => t.offset > 0],
  ];
  for (const [layout, property] of cases) {
    it(`makes a ${layout} tensor with the same values and frees it on dispose`, async () => {
      const before = memoryStats('cpu');
      const t = await makeInput({ value: grid, layout }, 'cpu');
      expect(property(t)).toBe(true);
      expect(t.shape).toEqual([3, 4]);
      expect([...(await t.data())]).toEqual([...grid.data]);
      t.dispose();
      expect(memoryStats('cpu')).toEqual(before);
    });
  }

  it('makes 0-d offset views and int32 / bool inputs', async () => {
    const scalar = await makeInput({ value: ref([], [2.5]), layout: 'offset' }, 'cpu');
    expect(scalar.offset).toBe(1);
    expect(await scalar.item()).toBe(2.5);
    scalar.dispose();
    const ints = await makeInput({ value: ref([2, 3], [1, -2, 3, -4, 5, -6], 'int32'), layout: 'transposed' }, 'cpu');
    expect(ints.dtype).toBe('int32');
    expect(await ints.toArray()).toEqual([[1, -2, 3], [-4, 5, -6]]);
    ints.dispose();
    const bools = await makeInput({ value: ref([5], [1, 0, 0, 1, 1], 'bool'), layout: 'strided' }, 'cpu');
    expect([...(await bools.data())]).toEqual([1, 0, 0, 1, 1]);
    bools.dispose();
  });

  it('refuses a layout the shape cannot show, without leaking', async () => {
    const before = memoryStats('cpu');
    await expect(makeInput({ value: ref([1, 4], [1, 2, 3, 4]), layout: 'transposed' }, 'cpu')).rejects.toThrow(/contiguous/);
    await expect(makeInput({ value: ref([4], [1, 2, 3, 4]), layout: 'transposed' }, 'cpu')).rejects.toThrow(/at least 2 dims/);
    await expect(makeInput({ value: ref([], [1]), layout: 'strided' }, 'cpu')).rejects.toThrow(/at least 1 dim/);
    await expect(makeInput({ value: ref([0, 3], []), layout: 'offset' }, 'cpu')).rejects.toThrow(/element 0/);
    expect(memoryStats('cpu')).toEqual(before);
  });
});
