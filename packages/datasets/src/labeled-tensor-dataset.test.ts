import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFathomError, registerBackend, tensor, unregisterBackend, type Backend } from '@fathom/core';
import { createCpuBackend } from '@fathom/core/backend';
import { DataLoader } from './data-loader.js';
import { LabeledTensorDataset } from './labeled-tensor-dataset.js';

// A device that, like webgpu, can only read asynchronously: the CPU's kernels without readSync.
const cpu = createCpuBackend();
const asyncOnly: Backend = { ...cpu, name: 'async-only', capabilities: { ...cpu.capabilities, syncRead: false }, readSync: undefined };
const device = asyncOnly.name;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => {
    throw new Error('expected a rejection');
  }, (error: unknown) => error);
}

describe('LabeledTensorDataset on a device without synchronous reads', () => {
  beforeAll(() => {
    registerBackend(asyncOnly);
  });
  afterAll(() => {
    unregisterBackend(device);
  });

  // 5 images (N, 2): image i holds [i, 10 + i]; labels chosen by hand.
  const labelList = [2, 0, 1, 2, 0];
  const make = (labels: readonly number[] = labelList) => ({
    images: tensor(Array.from({ length: labels.length }, (_, i) => [i, 10 + i]), { device }),
    labels: tensor([...labels], { dtype: 'int32', device }),
  });

  it('fromTensors reads the labels asynchronously and serves samples as on the CPU', async () => {
    const { images, labels } = make();
    expect(() => labels.dataSync()).toThrow(/cannot read synchronously/);
    const data = await LabeledTensorDataset.fromTensors(images, labels);
    expect(data.length).toBe(5);
    expect(data.classes).toEqual(['0', '1', '2']);
    expect([0, 1, 2, 3, 4].map((i) => data.label(i))).toEqual(labelList);
    const sample = data.get(3);
    expect(sample.y).toBe(2);
    expect(sample.x.device).toBe(device);
    expect(Array.from(await sample.x.data())).toEqual([3, 13]);

    // Batched by the loader, still on the device.
    const batches: number[][] = [];
    for await (const { x, y } of new DataLoader(data, { batchSize: 2 })) {
      expect(x.device).toBe(device);
      batches.push(Array.from(await y.data()));
    }
    expect(batches).toEqual([[2, 0], [1, 2], [0]]);
  });

  it('fromTensors keeps the checks: negative or out-of-range labels, wrong dtype, wrong shape', async () => {
    const negative = make([0, -1]);
    const error = await rejection(LabeledTensorDataset.fromTensors(negative.images, negative.labels));
    expect(isFathomError(error, 'DataError') && error.message).toMatch(/label -1 is negative/);

    const { images, labels } = make();
    const outOfRange = await rejection(LabeledTensorDataset.fromTensors(images, labels, { classes: ['a', 'b'] }));
    expect(isFathomError(outOfRange, 'DataError') && outOfRange.message).toMatch(/label 2 is out of range for 2 classes/);

    const float = await rejection(LabeledTensorDataset.fromTensors(images, tensor([0, 1, 2, 0, 1], { device })));
    expect(isFathomError(float, 'DataError') && float.message).toMatch(/labels must be int32, got float32/);

    const twoD = await rejection(LabeledTensorDataset.fromTensors(images, tensor([[0], [1], [2], [0], [1]], { dtype: 'int32', device })));
    expect(isFathomError(twoD, 'ShapeError') && twoD.message).toMatch(/labels must be \(N\)/);
  });

  it('the constructor names the way out instead of failing inside dataSync', () => {
    const { images, labels } = make();
    let thrown: unknown;
    try {
      new LabeledTensorDataset(images, labels);
    } catch (error) {
      thrown = error;
    }
    expect(isFathomError(thrown, 'DeviceError') && thrown.message).toBe(
      "LabeledTensorDataset: labels on device 'async-only' cannot be read synchronously; use await LabeledTensorDataset.fromTensors(images, labels), or pass labelValues",
    );
    // With the labels on the host it needs no read.
    expect(new LabeledTensorDataset(images, labels, { labelValues: Int32Array.from(labelList) }).label(0)).toBe(2);
    expect(() => new LabeledTensorDataset(images, labels, { labelValues: Int32Array.from([1, 2]) })).toThrow('LabeledTensorDataset: labelValues holds 2 labels for 5 samples');
  });
});
