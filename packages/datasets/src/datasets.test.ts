import { Generator, isFathomError, randperm } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { ConcatDataset } from './concat-dataset.js';
import type { Dataset } from './dataset.js';
import { randomSplit } from './random-split.js';
import { Subset } from './subset.js';

const range = (n: number, offset = 0): Dataset<number> => ({ length: n, get: (i) => offset + i });

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('Subset', () => {
  it('maps indices and checks them', () => {
    const subset = new Subset(range(10, 100), [7, 2, 2]);
    expect(subset.length).toBe(3);
    expect([0, 1, 2].map((i) => subset.get(i))).toEqual([107, 102, 102]);
    expect(isFathomError(thrown(() => subset.get(3)), 'IndexError')).toBe(true);
    expect(thrown(() => new Subset(range(10), [0, 10])).message).toMatch(/indices\[1\] = 10 is out of range for a dataset of 10/);
  });

  it('passes setEpoch on', () => {
    const epochs: number[] = [];
    const subset = new Subset({ ...range(4), setEpoch: (e: number) => epochs.push(e) }, [0]);
    subset.setEpoch(3);
    expect(epochs).toEqual([3]);
  });
});

describe('ConcatDataset', () => {
  it('puts datasets one after another, empty ones included', () => {
    const all = new ConcatDataset([range(3, 0), range(0, 50), range(2, 10), range(1, 20)]);
    expect(all.length).toBe(6);
    expect(Array.from({ length: 6 }, (_, i) => all.get(i))).toEqual([0, 1, 2, 10, 11, 20]);
    expect(all.cumulativeSizes).toEqual([3, 3, 5, 6]);
    expect(isFathomError(thrown(() => all.get(6)), 'IndexError')).toBe(true);
    expect(isFathomError(thrown(() => all.get(-1)), 'IndexError')).toBe(true);
    expect(new ConcatDataset([]).length).toBe(0);
  });
});

describe('randomSplit', () => {
  it('splits by lengths into disjoint parts following the seeded permutation', () => {
    const parts = randomSplit(range(10), [3, 7], { seed: 5 });
    const permutation = Array.from(randperm(10, { generator: new Generator(5) }).dataSync());
    expect(Array.from(parts[0].indices)).toEqual(permutation.slice(0, 3));
    expect(Array.from(parts[1].indices)).toEqual(permutation.slice(3));
    expect(new Set([...parts[0].indices, ...parts[1].indices]).size).toBe(10);
  });

  it('deals the remainder of fractions one at a time, as PyTorch', () => {
    // floor(0.34·10) = 3, floor(0.33·10) = 3, floor(0.33·10) = 3: one left over goes to the first part.
    expect(randomSplit(range(10), [0.34, 0.33, 0.33], { seed: 0 }).map((p) => p.length)).toEqual([4, 3, 3]);
    expect(randomSplit(range(7), [0.5, 0.5], { seed: 0 }).map((p) => p.length)).toEqual([4, 3]);
  });

  it('gives the same split for the same seed and a different one for another', () => {
    const a = randomSplit(range(100), [0.8, 0.2], { seed: 1 });
    const b = randomSplit(range(100), [0.8, 0.2], { seed: 1 });
    const c = randomSplit(range(100), [0.8, 0.2], { seed: 2 });
    expect(Array.from(a[1].indices)).toEqual(Array.from(b[1].indices));
    expect(Array.from(a[1].indices)).not.toEqual(Array.from(c[1].indices));
  });

  it('rejects sizes that fit neither reading', () => {
    for (const sizes of [[3, 3], [0.5, 0.6], [-1, 11], []]) {
      expect(isFathomError(thrown(() => randomSplit(range(10), sizes, { seed: 0 })), 'ValueError')).toBe(true);
    }
    expect(thrown(() => randomSplit(range(10), [0.5, 0.5], { seed: -1 })).message).toMatch(/seed must be a non-negative safe integer/);
  });
});
