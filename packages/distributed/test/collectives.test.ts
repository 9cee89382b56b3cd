import { afterAll, describe, expect, it } from 'vitest';
import { describeRun, mpirun, mpirunMissing, outputDirectory } from './mpirun.js';

interface CollectivesReport {
  rank: number;
  worldSize: number;
  transport: string;
  sum: { shape: number[]; values: number[] };
  mean: number[];
  max: number[];
  ints: number[];
  broadcast: number[];
  gathered: number[][];
  big: { first: number; last: number; length: number };
}

const RANKS = 2;
// What test/ranks/collectives.mjs puts in element i on rank r.
const value = (r: number, i: number) => r * 100 + i + 0.25;
const ranks = Array.from({ length: RANKS }, (_, r) => r);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const missing = mpirunMissing();

describe.skipIf(missing !== null)('collectives across 2 ranks under mpirun', () => {
  const out = outputDirectory();
  afterAll(() => out.remove());

  it('allReduce (sum, mean, max, int32), broadcast, allGather and a 25 MB allReduce give every rank the values computed here', async () => {
    const result = await mpirun('collectives.mjs', [out.path], { ranks: RANKS });
    expect(result.code, describeRun(result)).toBe(0);
    for (const rank of ranks) {
      const got = out.read<CollectivesReport>(rank);
      expect(got.rank).toBe(rank);
      expect(got.worldSize).toBe(RANKS);
      expect(got.transport).toMatch(/^mpi /);
      expect(got.sum.shape).toEqual([2, 3]);
      expect(got.sum.values).toEqual(range(6).map((i) => Math.fround(ranks.reduce((s, r) => s + value(r, i), 0))));
      expect(got.mean).toEqual(range(5).map((i) => Math.fround(ranks.reduce((s, r) => s + value(r, i), 0) / RANKS)));
      expect(got.max).toEqual(range(3).map((i) => Math.max(...ranks.map((r) => value(r, i)))));
      expect(got.ints).toEqual([ranks.reduce((s, r) => s + r, 0), ranks.reduce((s, r) => s + 7 * r, 0)]);
      expect(got.broadcast).toEqual(range(4).map((i) => value(RANKS - 1, i)));
      expect(got.gathered).toEqual(ranks.map((r) => range(3).map((i) => value(r, i))));
      expect(got.big).toEqual({ first: ranks.reduce((s, r) => s + r + 1, 0), last: ranks.reduce((s, r) => s + 3 * r, 0), length: 25 * 1024 * 1024 / 4 });
    }
  });
});
