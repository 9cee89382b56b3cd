import { describe, expect, it } from 'vitest';
import { zeros } from '@fathom/core';
import { assignBuckets } from './gradient-bucket.js';

describe('assignBuckets', () => {
  it('fills buckets up to the cap in reverse parameter order; a parameter over the cap gets its own', () => {
    // float32 sizes in bytes: 40, 400, 8, 1200, 12
    const parameters = [zeros([10]), zeros([10, 10]), zeros([2]), zeros([300]), zeros([3])];
    const buckets = assignBuckets(parameters, 450);
    const members = buckets.map((b) => b.parameters.map((p) => parameters.indexOf(p)));
    expect(members).toEqual([[4], [3], [2, 1, 0]]);
    expect(buckets.map((b) => b.values.length)).toEqual([3, 300, 112]);
    expect(buckets[2].offsets).toEqual([0, 2, 102]);
    expect(buckets.every((b) => b.values.buffer instanceof SharedArrayBuffer)).toBe(true);
  });
});
