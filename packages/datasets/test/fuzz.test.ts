// Every loader of an untrusted file (images: image-fuzz.test.ts), fed truncated, extended and bit-flipped
// copies of a valid file: each either loads or raises DataError — no other
// error, no hang, no allocation beyond what the file justifies.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isFathomError } from '@fathom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifar10FromBatches, decodeUtf8, mnistFromIdx, parseIdx } from '../src/index.js';
import { loadMnist } from '../src/node/index.js';
import { cifarBytes, damage, fuzzRandom, mnistFiles } from './fixtures.js';

const ROUNDS = 400;

/** Runs `load` on damaged copies; returns how many loaded and how many were DataErrors. */
async function fuzz(valid: Uint8Array, seed: number, load: (bytes: Uint8Array) => unknown, rounds = ROUNDS): Promise<{ loaded: number; rejected: number }> {
  const random = fuzzRandom(seed);
  let loaded = 0;
  let rejected = 0;
  for (let round = 0; round < rounds; round++) {
    const { bytes, how } = damage(valid, random);
    try {
      await load(bytes);
      loaded++;
    } catch (error) {
      if (!isFathomError(error, 'DataError')) throw new Error(`round ${round} (${how}): expected a DataError, got ${String(error)}`);
      rejected++;
    }
  }
  return { loaded, rejected };
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'fathom-fuzz-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('fuzzing the file loaders', () => {
  it('parseIdx and mnistFromIdx: images and labels files', async () => {
    const { images, labels } = mnistFiles(4);
    const before = process.memoryUsage().arrayBuffers;
    const onImages = await fuzz(images, 1, (bytes) => {
      const dataset = mnistFromIdx(bytes, labels);
      // A loaded file holds no more pixels than it has bytes.
      expect(dataset.images.numel).toBeLessThanOrEqual(bytes.length);
    });
    const onLabels = await fuzz(labels, 2, (bytes) => mnistFromIdx(images, bytes));
    const onIdx = await fuzz(images, 3, (bytes) => parseIdx(bytes));
    expect(onImages.rejected).toBeGreaterThan(100);
    expect(onImages.loaded).toBeGreaterThan(10); // flips in the pixels leave a valid file
    expect(onLabels.rejected).toBeGreaterThan(100);
    expect(onIdx.rejected + onIdx.loaded).toBe(ROUNDS);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('loadMnist on gzipped files', async () => {
    const { images, labels } = mnistFiles(2);
    const compressed = gzipSync(images);
    await writeFile(join(folder, 'train-labels-idx1-ubyte'), labels);
    const path = join(folder, 'train-images-idx3-ubyte.gz');
    const result = await fuzz(compressed, 4, async (bytes) => {
      await writeFile(path, bytes);
      await loadMnist(folder);
    }, 120);
    expect(result.rejected).toBeGreaterThan(50);
  });

  it('cifar10FromBatches', async () => {
    const valid = cifarBytes([0, 5, 9]);
    const result = await fuzz(valid, 5, (bytes) => cifar10FromBatches([{ source: 'fuzz.bin', bytes }], { recordsPerFile: 'any', seed: 0 }));
    expect(result.rejected).toBeGreaterThan(100);
    expect(result.loaded).toBeGreaterThan(50);
  });

  it('decodeUtf8', async () => {
    const valid = new TextEncoder().encode('Call me Ishmael — “whale” 🐋 naïve café. '.repeat(3));
    const result = await fuzz(valid, 6, (bytes) => decodeUtf8(bytes, 'fuzz.txt'));
    expect(result.rejected).toBeGreaterThan(50);
    expect(result.loaded).toBeGreaterThan(50);
  });
});
