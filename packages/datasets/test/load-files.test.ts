// loadMnist and loadCifar10 on small files written here with known contents.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isFathomError } from '@fathom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLoader, compose, randomCrop, toTensor } from '../src/index.js';
import { loadCifar10, loadMnist } from '../src/node/index.js';
import { cifarBytes, cifarPixel, mnistFiles, mnistPixel } from './fixtures.js';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'fathom-files-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(isFathomError(error, 'DataError')).toBe(true);
    return error as Error;
  }
  throw new Error('expected a DataError');
}

describe('loadMnist', () => {
  it('reads plain and gzipped IDX files by their distribution names', async () => {
    const dir = join(folder, 'mnist');
    await mkdir(dir);
    const train = mnistFiles(5);
    const test = mnistFiles(2);
    await writeFile(join(dir, 'train-images-idx3-ubyte'), train.images);
    await writeFile(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(train.labels));
    await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(test.images));
    await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(test.labels));

    const mnist = await loadMnist(dir, { split: 'train' });
    expect(mnist.length).toBe(5);
    expect(Array.from(await mnist.labels.data())).toEqual(train.labelValues);
    expect((await mnist.images.data())[4 * 784 + 9 * 28 + 20]).toBe(Math.fround(mnistPixel(4, 9, 20) / 255));
    const held = await loadMnist(dir, { split: 'test' });
    expect(Array.from(await held.labels.data())).toEqual(test.labelValues);

    // The same kind of dataset as the embedded digits: straight into a DataLoader.
    const batches: number[][] = [];
    for await (const { x, y } of new DataLoader(mnist, { batchSize: 2 })) {
      expect(x.shape.slice(1)).toEqual([1, 28, 28]);
      batches.push(Array.from(await y.data()));
    }
    expect(batches.flat()).toEqual(train.labelValues);
  });

  it('names the missing, the damaged and the mismatched file', async () => {
    const dir = join(folder, 'mnist-bad');
    await mkdir(dir);
    expect((await rejection(loadMnist(dir))).message).toMatch(/found neither train-images-idx3-ubyte nor train-images-idx3-ubyte\.gz in .*mnist-bad/);
    const files = mnistFiles(3);
    await writeFile(join(dir, 'train-images-idx3-ubyte'), files.images.slice(0, 1000));
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), files.labels);
    expect((await rejection(loadMnist(dir))).message).toMatch(/mnist-bad[/\\]train-images-idx3-ubyte: truncated: the header declares dimensions \[3, 28, 28\]/);
    await writeFile(join(dir, 'train-images-idx3-ubyte'), files.images);
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), mnistFiles(4).labels);
    expect((await rejection(loadMnist(dir))).message).toMatch(/train-images-idx3-ubyte holds 3 images but .*train-labels-idx1-ubyte holds 4 labels/);
    await rm(join(dir, 'train-labels-idx1-ubyte'));
    await writeFile(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(files.labels).subarray(0, 15));
    expect((await rejection(loadMnist(dir))).message).toMatch(/train-labels-idx1-ubyte\.gz: is not a valid gzip file/);
  });
});

describe('loadCifar10', () => {
  it('reads the five training batches in order, from the folder or its parent', async () => {
    const dir = join(folder, 'cifar', 'cifar-10-batches-bin');
    await mkdir(dir, { recursive: true });
    for (let b = 1; b <= 5; b++) await writeFile(join(dir, `data_batch_${b}.bin`), cifarBytes([b, (b + 5) % 10], 2 * (b - 1)));
    await writeFile(join(dir, 'test_batch.bin'), cifarBytes([7], 100));
    const train = await loadCifar10(join(folder, 'cifar'), { recordsPerFile: 2, seed: 0 });
    expect(Array.from(train.labels)).toEqual([1, 6, 2, 7, 3, 8, 4, 9, 5, 0]);
    const image = train.image(9);
    expect(image.data[(31 * 32 + 31) * 3 + 1]).toBe(cifarPixel(9, 1, 31, 31));
    const test = await loadCifar10(dir, { split: 'test', recordsPerFile: 'any' });
    expect(test.length).toBe(1);
    expect((await test.get(0).x.data())[0]).toBe(Math.fround(cifarPixel(100, 0, 0, 0) / 255));
  });

  it('runs its transform per sample with per-epoch randomness', async () => {
    const dir = join(folder, 'cifar', 'cifar-10-batches-bin');
    const train = await loadCifar10(dir, { recordsPerFile: 2, seed: 4, transform: compose(randomCrop(32, { padding: 4 }), toTensor()) });
    const firstEpoch = Array.from(train.get(3).x.dataSync());
    train.setEpoch(0);
    expect(Array.from(train.get(3).x.dataSync())).toEqual(firstEpoch); // the same draw for the same (seed, epoch, index)
    train.setEpoch(1);
    expect(Array.from(train.get(3).x.dataSync())).not.toEqual(firstEpoch);
  });

  it('names a missing or damaged batch file', async () => {
    const dir = join(folder, 'cifar-bad');
    await mkdir(dir);
    expect((await rejection(loadCifar10(dir, { split: 'test' }))).message).toMatch(/loadCifar10: cannot read .*cifar-bad[/\\]test_batch\.bin/);
    await writeFile(join(dir, 'test_batch.bin'), cifarBytes([1, 2, 3]).subarray(0, 9000));
    expect((await rejection(loadCifar10(dir, { split: 'test', recordsPerFile: 'any' }))).message).toMatch(/test_batch\.bin: 9000 bytes is not a whole number of 3073-byte records/);
    await writeFile(join(dir, 'test_batch.bin'), cifarBytes([1, 2, 3]));
    expect((await rejection(loadCifar10(dir, { split: 'test' }))).message).toMatch(/test_batch\.bin: holds 3 records, expected 10000/);
  });
});
