import { describe, expect, it } from 'vitest';
import { tensor } from '@fathom/core';
import { DataLoader } from '@fathom/datasets';
import { DistributedSampler } from './distributed-sampler.js';

const datasetOf = (n: number) => ({ length: n, get: (i: number) => i });
const shardsOf = (n: number, replicas: number, options: { shuffle?: boolean; dropLast?: boolean; seed?: number } = {}, epoch = 0) =>
  Array.from({ length: replicas }, (_, rank) => {
    const sampler = new DistributedSampler(datasetOf(n), { numReplicas: replicas, rank, ...options });
    sampler.setEpoch(epoch);
    return Array.from(sampler);
  });
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('DistributedSampler', () => {
  for (const replicas of [1, 2, 3, 4]) {
    for (const n of [0, 1, 5, 8, 11]) {
      for (const shuffle of [false, true]) {
        it(`${replicas} ranks, ${n} samples, shuffle ${shuffle}: equal shards that cover the dataset; padding repeats the order's start`, () => {
          const shards = shardsOf(n, replicas, { shuffle, seed: 7 });
          const perRank = Math.ceil(n / replicas);
          for (const shard of shards) expect(shard).toHaveLength(perRank);
          const all = shards.flat();
          expect(new Set(all)).toEqual(new Set(range(n)));
          // Rebuild the padded order from the shards (rank r holds positions r, r + R, …): its first n
          // entries are a permutation of the dataset, the rest repeat them from the start.
          const order = range(perRank * replicas).map((p) => shards[p % replicas][Math.floor(p / replicas)]);
          expect(sorted(order.slice(0, n))).toEqual(range(n));
          order.slice(n).forEach((index, k) => expect(index).toBe(order[k % n]));
        });
        it(`${replicas} ranks, ${n} samples, shuffle ${shuffle}, dropLast: disjoint equal shards, only the uneven tail left out`, () => {
          const shards = shardsOf(n, replicas, { shuffle, seed: 7, dropLast: true });
          const perRank = Math.floor(n / replicas);
          for (const shard of shards) expect(shard).toHaveLength(perRank);
          const all = shards.flat();
          expect(new Set(all).size).toBe(all.length);
          expect(all.every((i) => i >= 0 && i < n)).toBe(true);
        });
      }
    }
  }

  it('without padding, shards of ⌊n/R⌋ or ⌈n/R⌉ together hold every sample exactly once', () => {
    for (const n of [0, 1, 7, 10]) {
      for (const replicas of [1, 2, 3, 4]) {
        const shards = Array.from({ length: replicas }, (_, rank) => Array.from(new DistributedSampler(datasetOf(n), { numReplicas: replicas, rank, pad: false, seed: 2 })));
        expect(sorted(shards.flat())).toEqual(range(n));
        for (const shard of shards) expect([Math.floor(n / replicas), Math.ceil(n / replicas)]).toContain(shard.length);
      }
    }
  });

  it('reshuffles by epoch, the same way on every rank (seed + epoch), and leaves order alone without shuffle', () => {
    const epoch0 = shardsOf(100, 2, { seed: 3 }, 0);
    const epoch1 = shardsOf(100, 2, { seed: 3 }, 1);
    expect(epoch1).not.toEqual(epoch0);
    expect(shardsOf(100, 2, { seed: 3 }, 1)).toEqual(epoch1);
    expect(shardsOf(100, 2, { seed: 4 }, 1)).not.toEqual(epoch1);
    expect(shardsOf(6, 2, { shuffle: false })).toEqual([[0, 2, 4], [1, 3, 5]]);
  });

  it('serves as the dataset of a DataLoader, which calls its setEpoch every epoch: each epoch both ranks together see every sample once', async () => {
    const n = 10;
    const samples = { length: n, get: (i: number) => ({ x: tensor([i]), y: i }) };
    const loaders = [0, 1].map((rank) => new DataLoader(new DistributedSampler(samples, { numReplicas: 2, rank, seed: 1 }), { batchSize: 2 }));
    const seen: number[][] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      const epochSeen: number[] = [];
      for (const loader of loaders) {
        expect(loader.length).toBe(3);
        for await (const batch of loader) epochSeen.push(...(batch as { y: { dataSync(): ArrayLike<number> } }).y.dataSync() as unknown as number[]);
      }
      expect(sorted(epochSeen)).toEqual(range(n));
      seen.push(epochSeen);
    }
    expect(seen[1]).not.toEqual(seen[0]);
  });

  it('refuses bad arguments with the value in the message', () => {
    expect(() => new DistributedSampler(datasetOf(4), {})).toThrow(/give a group, or numReplicas and rank/);
    expect(() => new DistributedSampler(datasetOf(4), { numReplicas: 2, rank: 2 })).toThrow(/rank 2 is not in 0 … 1/);
    expect(() => new DistributedSampler(datasetOf(4), { numReplicas: 2, rank: 0 }).get(2)).toThrow(/index 2 is out of range for a shard of 2/);
  });
});
