import { isFathomError } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { idxBytes, mnistFiles, mnistPixel } from '../test/fixtures.js';
import { mnistFromIdx } from './mnist-idx.js';

function errorOf(images: Uint8Array, labels: Uint8Array): string {
  try {
    mnistFromIdx(images, labels, { imagesSource: 'imgs', labelsSource: 'lbls' });
  } catch (error) {
    expect(isFathomError(error, 'DataError')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a DataError');
}

describe('mnistFromIdx', () => {
  it('gives images / 255 as (N, 1, 28, 28) and int32 labels, and get(i) as { x, y }', async () => {
    const { images, labels, labelValues } = mnistFiles(3);
    const mnist = mnistFromIdx(images, labels);
    expect(mnist.images.shape).toEqual([3, 1, 28, 28]);
    expect(mnist.labels.dtype).toBe('int32');
    expect(Array.from(await mnist.labels.data())).toEqual(labelValues);
    const pixels = await mnist.images.data();
    for (const [i, r, c] of [[0, 0, 0], [1, 5, 27], [2, 27, 13]]) {
      expect(pixels[i * 784 + r * 28 + c]).toBe(Math.fround(mnistPixel(i, r, c) / 255));
    }
    const sample = mnist.get(2);
    expect(sample.y).toBe(labelValues[2]);
    expect(sample.x.shape).toEqual([1, 28, 28]);
    expect((await sample.x.data())[3]).toBe(Math.fround(mnistPixel(2, 0, 3) / 255));
    expect(mnist.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('rejects wrong element types, wrong dimensions, labels out of range and mismatched counts', () => {
    const { images, labels } = mnistFiles(2);
    expect(errorOf(idxBytes(0x09, [2, 28, 28], new Uint8Array(1568)), labels)).toMatch(/imgs: holds int8 elements; MNIST images are uint8/);
    expect(errorOf(idxBytes(0x08, [2, 784], new Uint8Array(1568)), labels)).toMatch(/imgs: wrong dimensions \[2, 784\]; MNIST images are \[N, 28, 28\]/);
    expect(errorOf(idxBytes(0x08, [2, 28, 27], new Uint8Array(1512)), labels)).toMatch(/imgs: wrong dimensions \[2, 28, 27\]/);
    expect(errorOf(images, idxBytes(0x08, [2, 1], [1, 2]))).toMatch(/lbls: wrong dimensions \[2, 1\]; MNIST labels are \[N\]/);
    expect(errorOf(images, idxBytes(0x08, [2], [4, 10]))).toMatch(/lbls: label 10 at index 1 is out of range 0 … 9/);
    expect(errorOf(images, idxBytes(0x08, [3], [1, 2, 3]))).toMatch(/imgs holds 2 images but lbls holds 3 labels/);
  });
});
