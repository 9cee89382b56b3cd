import { Generator, isFathomError, manualSeed, memoryStats, randperm, scopeAsync, tensor, type Tensor } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { DataLoader } from './data-loader.js';
import type { Dataset } from './dataset.js';

/** Sample i is { x: [i, 10·i] (float32), y: i }: each batch says which samples it holds. */
function numbered(n: number): Dataset<{ x: Tensor; y: number }> {
  return { length: n, get: (i) => ({ x: tensor([i, 10 * i]), y: i }) };
}

async function labelsOf(loader: DataLoader<{ x: Tensor; y: number }>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const { y } of loader) out.push(Array.from(await y.data()));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DataLoader batching', () => {
  it('batches in order, keeps a short last batch, and stacks x', async () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const seen: number[][] = [];
    for await (const { x, y } of loader) {
      const labels = Array.from(await y.data());
      seen.push(labels);
      expect(x.shape).toEqual([labels.length, 2]);
      expect(Array.from(await x.data())).toEqual(labels.flatMap((i) => [i, 10 * i]));
    }
    expect(seen).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('drops the short last batch with dropLast', async () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(await labelsOf(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  it('takes a custom collate', async () => {
    const loader = new DataLoader(numbered(5), { batchSize: 2, collate: (samples) => samples.map((s) => s.y).join('+') });
    const out: string[] = [];
    for await (const batch of loader) out.push(batch);
    expect(out).toEqual(['0+1', '2+3', '4']);
  });

  it('rejects bad options with ValueError', () => {
    for (const options of [{ batchSize: 0 }, { batchSize: 1.5 }, { prefetch: -1 }, { shuffle: true, seed: -3 }]) {
      let error: unknown;
      try {
        new DataLoader(numbered(3), options);
      } catch (caught) {
        error = caught;
      }
      expect(isFathomError(error, 'ValueError')).toBe(true);
    }
  });
});

describe('DataLoader shuffling', () => {
  it('gives the same order for the same seed on every run (pinned values)', async () => {
    // Philox randperm under seed 0: epoch e is the permutation at counter offset e·n
    // (values from core's BigInt permutationReference(0, 10·e, 10), four counters per block).
    const loader = new DataLoader(numbered(10), { batchSize: 4, shuffle: true, seed: 0 });
    expect(await labelsOf(loader)).toEqual([[7, 1, 9, 5], [6, 2, 4, 8], [0, 3]]);
    expect(await labelsOf(loader)).toEqual([[4, 0, 7, 1], [3, 2, 6, 5], [8, 9]]);
    expect(loader.epoch).toBe(2);
  });

  it('draws epoch e as the e-th permutation of one Generator(seed) stream', async () => {
    const loader = new DataLoader(numbered(37), { batchSize: 8, shuffle: true, seed: 12345 });
    const generator = new Generator(12345);
    for (let epoch = 0; epoch < 3; epoch++) {
      const expected = Array.from(randperm(37, { generator }).dataSync());
      expect((await labelsOf(loader)).flat()).toEqual(expected);
    }
  });

  it('takes its default seed from manualSeed', async () => {
    manualSeed(7);
    const a = new DataLoader(numbered(20), { batchSize: 20, shuffle: true });
    manualSeed(7);
    const b = new DataLoader(numbered(20), { batchSize: 20, shuffle: true });
    expect(a.seed).toBe(b.seed);
    expect(await labelsOf(a)).toEqual(await labelsOf(b));
  });

  it('tells the dataset each epoch', async () => {
    const epochs: number[] = [];
    const dataset = { ...numbered(4), setEpoch: (e: number) => epochs.push(e) };
    const loader = new DataLoader(dataset, { batchSize: 2 });
    await labelsOf(loader);
    await labelsOf(loader);
    loader.setEpoch(7);
    await labelsOf(loader);
    expect(epochs).toEqual([0, 1, 7]);
  });
});

describe('DataLoader resuming', () => {
  it('continues after a break, and a restored state continues exactly like an uninterrupted run', async () => {
    const options = { batchSize: 3, shuffle: true, seed: 99 } as const;
    const uninterrupted = new DataLoader(numbered(20), options);
    const reference = [...(await labelsOf(uninterrupted)), ...(await labelsOf(uninterrupted))];

    const first = new DataLoader(numbered(20), options);
    const seen: number[][] = [];
    for await (const { y } of first) {
      seen.push(Array.from(await y.data()));
      if (seen.length === 4) break;
    }
    const saved = first.stateDict();
    expect(saved).toEqual({ seed: 99, epoch: 0, position: 4 });

    // A new process: a loader with another seed, restored from the checkpoint.
    const resumed = new DataLoader(numbered(20), { ...options, seed: 1 });
    resumed.loadStateDict(JSON.parse(JSON.stringify(saved)));
    seen.push(...(await labelsOf(resumed)), ...(await labelsOf(resumed)));
    expect(seen).toEqual(reference);
  });

  it('treats a checkpoint taken during the last batch as the end of the epoch', async () => {
    const loader = new DataLoader(numbered(6), { batchSize: 3 });
    loader.loadStateDict({ seed: 0, epoch: 2, position: 2 });
    expect(await labelsOf(loader)).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(loader.epoch).toBe(4);
  });

  it('checks the state it is given and refuses changes during a loop', async () => {
    const loader = new DataLoader(numbered(6), { batchSize: 3 });
    expect(() => loader.loadStateDict({ seed: 0, epoch: 0, position: 3 })).toThrow(/position 3 is past the 2 batches/);
    expect(() => loader.loadStateDict({ seed: 0, epoch: -1, position: 0 })).toThrow(/epoch must be an integer/);
    for await (const batch of loader) {
      expect(batch.x.shape).toEqual([3, 2]);
      expect(() => loader.setEpoch(0)).toThrow(/while a loop over the loader is running/);
      const inner = loader[Symbol.asyncIterator]();
      await expect(inner.next()).rejects.toThrow(/cannot be called while a loop/);
      break;
    }
  });
});

describe('DataLoader prefetching', () => {
  it('requests up to prefetch batches ahead and yields in order whatever order samples finish in', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const dataset: Dataset<{ x: Tensor; y: number }> = {
      length: 24,
      async get(i) {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await sleep((i * 7) % 5); // later samples often finish first
        inFlight--;
        return { x: tensor([i]), y: i };
      },
    };
    const loader = new DataLoader(dataset, { batchSize: 4, prefetch: 2 });
    const seen = await labelsOf(loader);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5].map((b) => [4 * b, 4 * b + 1, 4 * b + 2, 4 * b + 3]));
    // The batch being waited for and two more: 3 × 4 samples at most.
    expect(mostInFlight).toBe(12);
  });

  it('loads on demand with prefetch 0', async () => {
    let requested = 0;
    const loader = new DataLoader({ length: 6, get: (i: number) => { requested++; return i; } }, { batchSize: 2, prefetch: 0 });
    const iterator = loader[Symbol.asyncIterator]();
    await iterator.next();
    expect(requested).toBe(2);
    await iterator.return?.();
  });

  it('reports a failing sample at its batch, with no unhandled rejection, and can go on afterwards', async () => {
    let fail = true;
    const dataset: Dataset<number> = {
      length: 8,
      get: async (i) => {
        await sleep(1);
        if (fail && i === 5) throw new Error('sample 5 is broken');
        return i;
      },
    };
    const loader = new DataLoader(dataset, { batchSize: 2, prefetch: 3 });
    const seen: number[][] = [];
    await expect(
      (async () => {
        for await (const batch of loader) seen.push(Array.from(await batch.data()));
      })(),
    ).rejects.toThrow('sample 5 is broken');
    expect(seen).toEqual([[0, 1], [2, 3]]);
    expect(loader.position).toBe(2);
    fail = false;
    const rest: number[][] = [];
    for await (const batch of loader) rest.push(Array.from(await batch.data()));
    expect(rest).toEqual([[4, 5], [6, 7]]);
  });
});

describe('DataLoader memory', () => {
  it('releases each batch when the loop moves on, with a message that says so', async () => {
    const loader = new DataLoader(numbered(4), { batchSize: 2 });
    let previous: Tensor | undefined;
    for await (const { x } of loader) {
      if (previous) {
        expect(previous.isReleased).toBe(true);
        expect(() => previous?.dataSync()).toThrow(/released by the DataLoader when the loop moved past its batch \(pass retainBatches: true/);
      }
      previous = x;
    }
    expect(previous?.isReleased).toBe(true);
  });

  it('keeps batches with retainBatches', async () => {
    const loader = new DataLoader(numbered(4), { batchSize: 2, retainBatches: true });
    const kept: Tensor[] = [];
    for await (const { x } of loader) kept.push(x);
    expect(kept.map((x) => x.isReleased)).toEqual([false, false]);
    expect(Array.from(await kept[0].data())).toEqual([0, 0, 1, 10]);
    for (const x of kept) x.dispose();
  });

  it('holds the live tensor count flat over many epochs, also with a scope per step and early breaks', async () => {
    const loader = new DataLoader(numbered(50), { batchSize: 8, shuffle: true, seed: 3, prefetch: 3 });
    await labelsOf(loader); // warm up
    const before = memoryStats('cpu').tensors;
    for (let epoch = 0; epoch < 20; epoch++) {
      let step = 0;
      for await (const { x } of loader) {
        await scopeAsync(async () => {
          await x.mul(2).sum().item();
        });
        if (epoch % 5 === 4 && ++step === 2) break; // prefetched batches are abandoned
      }
    }
    await sleep(5); // let abandoned prefetches settle and be released
    expect(memoryStats('cpu').tensors).toBe(before);
  });
});
