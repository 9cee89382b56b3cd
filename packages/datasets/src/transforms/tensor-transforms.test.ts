import { Generator, memoryStats, tensor, type Tensor } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { IMAGENET_MEAN, IMAGENET_STD, normalize } from './normalize.js';
import { flipImage, randomHorizontalFlip } from './random-horizontal-flip.js';
import { randomResizedCrop } from './random-resized-crop.js';
import { rawImage } from './raw-image.js';
import { toTensor } from './to-tensor.js';
import { compose, splitForWorkers } from './transform.js';
import { transformFromSpec } from './transform-from-spec.js';

// 2×2 RGB: pixel (r, c) has red 10·(2r + c), green 100, blue 255.
const image = rawImage(Uint8Array.from([0, 100, 255, 10, 100, 255, 20, 100, 255, 30, 100, 255]), 2, 2, 3);

describe('toTensor and normalize', () => {
  it('turns HWC bytes into CHW floats in [0, 1]', async () => {
    const x = toTensor()(image);
    expect(x.shape).toEqual([3, 2, 2]);
    expect(x.dtype).toBe('float32');
    expect(Array.from(await x.data())).toEqual([0, 10, 20, 30, 100, 100, 100, 100, 255, 255, 255, 255].map((v) => Math.fround(v / 255)));
  });

  it('normalises channel by channel, (x − mean) / std', async () => {
    const x = toTensor()(image);
    const y = normalize(IMAGENET_MEAN, IMAGENET_STD)(x);
    const values = await y.data();
    const expected = [0, 10, 20, 30, 100, 100, 100, 100, 255, 255, 255, 255].map((v, i) => {
      const c = Math.floor(i / 4);
      return (Math.fround(v / 255) - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
    });
    values.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(() => normalize([0.5], [0.5])(x)).toThrow(/expects \(…, 1, H, W\) for 1 channels, got \[3, 2, 2\]/);
    expect(() => normalize([0.5], [0])).toThrow(/std must be finite and non-zero/);
  });
});

describe('flips', () => {
  it('mirrors images and tensors left to right', async () => {
    expect(Array.from(flipImage(image).data)).toEqual([10, 100, 255, 0, 100, 255, 30, 100, 255, 20, 100, 255]);
    const flipped = flipImage(tensor([[1, 2, 3], [4, 5, 6]]));
    expect(await flipped.toArray()).toEqual([[3, 2, 1], [6, 5, 4]]);
  });

  it('flips about half the time, and never or always at p = 0 or 1', () => {
    const flip = randomHorizontalFlip(0.5);
    const generator = new Generator(4);
    let flips = 0;
    for (let i = 0; i < 400; i++) if (flip(image, generator).data[0] === 10) flips++;
    expect(flips).toBeGreaterThan(160);
    expect(flips).toBeLessThan(240);
    expect(randomHorizontalFlip(0)(image, generator)).toBe(image);
    expect(randomHorizontalFlip(1)(image, generator).data[0]).toBe(10);
  });
});

describe('compose', () => {
  const pipeline = compose(randomResizedCrop(8), randomHorizontalFlip(), toTensor(), normalize(IMAGENET_MEAN, IMAGENET_STD));

  it('chains transforms with one generator and releases the tensors in between', () => {
    const before = memoryStats('cpu').tensors;
    const a = pipeline(image, new Generator(2));
    const b = pipeline(image, new Generator(2));
    expect(a.shape).toEqual([3, 8, 8]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(memoryStats('cpu').tensors).toBe(before + 2);
  });

  it('is rebuilt from its spec with the same results', () => {
    const spec = pipeline.spec;
    expect(spec?.name).toBe('compose');
    const rebuilt = transformFromSpec(JSON.parse(JSON.stringify(spec))) as typeof pipeline;
    expect(Array.from(rebuilt(image, new Generator(9)).dataSync())).toEqual(Array.from(pipeline(image, new Generator(9)).dataSync()));
  });

  it('sends the built-in prefix to workers and keeps your own functions here', () => {
    const double = (x: Tensor): Tensor => x.mul(2);
    const mixed = compose(compose(randomResizedCrop(8), toTensor()), double, normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]));
    expect(mixed.spec).toBeUndefined();
    const { workerSpecs, rest } = splitForWorkers(mixed);
    expect(workerSpecs.map((s) => s.name)).toEqual(['randomResizedCrop', 'toTensor']);
    expect(rest.length).toBe(2);
    expect(() => transformFromSpec({ name: 'sharpen' })).toThrow(/unknown transform 'sharpen'/);
  });
});
