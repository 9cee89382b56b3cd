import { isFathomError } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { cifarBytes, cifarPixel } from '../test/fixtures.js';
import { cifar10FromBatches } from './cifar10.js';
import { toTensor } from './transforms/to-tensor.js';

function errorOf(bytes: Uint8Array, recordsPerFile: number | 'any' = 'any'): string {
  try {
    cifar10FromBatches([{ source: 'data_batch_9.bin', bytes }], { recordsPerFile });
  } catch (error) {
    expect(isFathomError(error, 'DataError')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a DataError');
}

describe('cifar10FromBatches', () => {
  it('reads labels and planar RGB records from several files, in order', async () => {
    const dataset = cifar10FromBatches(
      [{ source: 'a', bytes: cifarBytes([3, 9]) }, { source: 'b', bytes: cifarBytes([0], 2) }],
      { recordsPerFile: 'any', seed: 0 },
    );
    expect(dataset.length).toBe(3);
    expect(Array.from(dataset.labels)).toEqual([3, 9, 0]);
    expect(dataset.classes[3]).toBe('cat');
    // The stored image is interleaved (HWC).
    const image = dataset.image(1);
    expect([image.width, image.height, image.channels]).toEqual([32, 32, 3]);
    expect(image.data[(4 * 32 + 7) * 3 + 2]).toBe(cifarPixel(1, 2, 4, 7));
    // get() applies toTensor: (3, 32, 32) in [0, 1], channel planes again.
    const { x, y } = dataset.get(2);
    expect(y).toBe(0);
    expect(x.shape).toEqual([3, 32, 32]);
    const values = await x.data();
    for (const [ch, r, c] of [[0, 0, 0], [1, 31, 2], [2, 17, 30]]) expect(values[ch * 1024 + r * 32 + c]).toBe(Math.fround(cifarPixel(2, ch, r, c) / 255));
  });

  it('makes whole-set tensors with toTensors()', async () => {
    const dataset = cifar10FromBatches([{ source: 'a', bytes: cifarBytes([1, 2]) }], { recordsPerFile: 2, transform: toTensor() });
    const { images, labels } = dataset.toTensors();
    expect(images.shape).toEqual([2, 3, 32, 32]);
    expect((await images.data())[3072 + 1024 + 33]).toBe(Math.fround(cifarPixel(1, 1, 1, 1) / 255));
    expect(Array.from(await labels.data())).toEqual([1, 2]);
  });

  it('names the file for a truncated or extended file, a wrong record count and a label out of range', () => {
    const good = cifarBytes([1, 2]);
    expect(errorOf(good.slice(0, 6145))).toMatch(/data_batch_9\.bin: 6145 bytes is not a whole number of 3073-byte records \(1 records and 3072 bytes over/);
    expect(errorOf(new Uint8Array([...good, 0]))).toMatch(/6147 bytes is not a whole number/);
    expect(errorOf(new Uint8Array(0))).toMatch(/data_batch_9\.bin: is empty/);
    expect(errorOf(good, 10_000)).toMatch(/data_batch_9\.bin: holds 2 records, expected 10000/);
    expect(errorOf(cifarBytes([1, 10]))).toMatch(/data_batch_9\.bin: record 1 \(byte 3073\) has label 10, out of range 0 … 9/);
  });
});
