import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool2d, avgPool2d, cat, conv2d, conv2dInputGrad, conv2dWeightGrad, logSoftmax, manualSeed, matmul, maxPool2dWithIndices, rand, randint, randn,
  registerBackend, sum, unregisterBackend, where, type Conv2dOptions, type Tensor,
} from '@fathom/core';
import { createWasmBackend, type WasmBackend } from '../src/node/index.js';
import { maxRelativeError } from './relative-error.js';

// The kit's cases are small; these are big enough to take the parallel paths
// (GEMM split by rows and by columns, batches and images spread over threads,
// per-thread weight-gradient partials, pooling by planes, random fill by
// ranges) and are checked against the CPU backend at 3, 2 and 1 threads.

async function relativeError(actual: Tensor, expected: Tensor): Promise<number> {
  return maxRelativeError(await actual.data(), await expected.data());
}

const backends: WasmBackend[] = [];
afterAll(async () => {
  unregisterBackend('wasm');
  for (const backend of backends) await backend.destroy();
});

for (const threads of [3, 2, 1]) {
  describe(`wasm with ${threads} thread(s) against cpu`, () => {
    const ready = (async () => {
      const backend = await createWasmBackend({ threads });
      backends.push(backend);
      return backend;
    })();
    const onWasm = async (): Promise<WasmBackend> => {
      const backend = await ready;
      registerBackend(backend);
      return backend;
    };

    it('runs on the threads it was asked for', async () => {
      expect((await onWasm()).threads).toBe(threads);
    });

    it('matmul: square, thin, wide, transposed and batched with broadcast', async () => {
      await onWasm();
      manualSeed(1);
      for (const [m, k, n] of [[300, 200, 170], [1, 500, 300], [129, 3, 257], [64, 64, 64], [513, 257, 33], [40, 1000, 41]]) {
        const a = randn([m, k]);
        const b = randn([k, n]);
        const expected = matmul(a, b);
        expect(await relativeError(matmul(a.to('wasm'), b.to('wasm')), expected)).toBeLessThan(1e-5);
        const aT = a.t().contiguous().to('wasm').t();
        const bT = b.t().contiguous().to('wasm').t();
        expect(await relativeError(matmul(aT, bT), expected)).toBeLessThan(1e-5);
      }
      const a = randn([5, 3, 40, 30]);
      const b = randn([3, 30, 20]);
      expect(await relativeError(matmul(a.to('wasm'), b.to('wasm')), matmul(a, b))).toBeLessThan(1e-5);
      const c = randn([6, 100, 90]);
      const d = randn([6, 90, 80]);
      expect(await relativeError(matmul(c.to('wasm'), d.to('wasm')), matmul(c, d))).toBeLessThan(1e-5);
    });

    it('conv2d with a bias and both gradients: padded, strided, grouped, pointwise, one image and many', async () => {
      await onWasm();
      manualSeed(2);
      const cases: [number, number, number, number, number, number, number, number][] = [
        // batch, inChannels, size, outChannels, kernel, stride, padding, groups
        [4, 6, 20, 8, 3, 1, 1, 1],
        [3, 4, 17, 6, 5, 2, 2, 2],
        [1, 8, 9, 8, 1, 1, 0, 1],
        [5, 16, 12, 32, 3, 2, 1, 1],
        [2, 3, 32, 16, 7, 2, 3, 1],
        [1, 16, 24, 24, 3, 1, 1, 1],
        [6, 8, 10, 8, 1, 1, 0, 4],
        // fewer than 64 output positions: the images run as one GEMM
        [6, 8, 8, 12, 3, 2, 1, 2],
        [3, 16, 5, 16, 3, 1, 1, 1],
        [4, 12, 4, 8, 1, 2, 0, 1],
        // 3×3 on 4×4 planes: forward and input gradient tap by tap, the weight gradient by Winograd
        [4, 32, 4, 48, 3, 1, 1, 1],
        // tap by tap with channels that fill no whole 4×8 tile: 3×3 (the weight gradient's
        // nine-tap layout) and 5×5 on 2×2 planes (25 taps, 16 of them reaching nothing)
        [5, 30, 3, 22, 3, 1, 1, 1],
        [3, 60, 2, 20, 5, 1, 2, 1],
        // 131,072 outputs through the GEMM: the bias pass splits over the threads
        [4, 8, 64, 32, 3, 2, 1, 1],
      ];
      for (const [batch, inChannels, size, outChannels, kernel, stride, padding, groups] of cases) {
        const options = { stride, padding, groups };
        const x = randn([batch, inChannels, size, size]);
        const w = randn([outChannels, inChannels / groups, kernel, kernel]);
        const bias = randn([outChannels]);
        const y = conv2d(x, w, options);
        const gradOut = randn(y.shape);
        const xw = x.to('wasm');
        const ww = w.to('wasm');
        const gw = gradOut.to('wasm');
        expect(await relativeError(conv2d(xw, ww, options), y)).toBeLessThan(1e-5);
        expect(await relativeError(conv2d(xw, ww, { ...options, bias: bias.to('wasm') }), conv2d(x, w, { ...options, bias }))).toBeLessThan(1e-5);
        expect(await relativeError(conv2dInputGrad(gw, ww, x.shape, options), conv2dInputGrad(gradOut, w, x.shape, options))).toBeLessThan(1e-5);
        expect(await relativeError(conv2dWeightGrad(xw, gw, w.shape, options), conv2dWeightGrad(x, gradOut, w.shape, options))).toBeLessThan(1e-5);
      }
    });

    /** The convolution and both gradients of a batch against one image at a time (each path's chunks summed in order). */
    async function expectChunksMatchImages(seed: number, inputShape: number[], weightShape: number[], options: Conv2dOptions = {}): Promise<void> {
      await onWasm();
      manualSeed(seed);
      const x = randn(inputShape, { device: 'wasm' });
      const w = randn(weightShape, { device: 'wasm' });
      const y = conv2d(x, w, options);
      const gradOut = randn(y.shape, { device: 'wasm' });
      const images = [...Array(inputShape[0]).keys()];
      const one = (t: Tensor, n: number): Tensor => t.narrow(0, n, 1);
      expect(await relativeError(y, cat(images.map((n) => conv2d(one(x, n), w, options))))).toBeLessThan(1e-6);
      const inputGrads = images.map((n) => conv2dInputGrad(one(gradOut, n), w, [1, ...inputShape.slice(1)], options));
      expect(await relativeError(conv2dInputGrad(gradOut, w, x.shape, options), cat(inputGrads))).toBeLessThan(1e-6);
      const weightGrads = images.map((n) => conv2dWeightGrad(one(x, n), one(gradOut, n), w.shape, options));
      expect(await relativeError(conv2dWeightGrad(x, gradOut, w.shape, options), weightGrads.reduce((total, g) => total.add(g)))).toBeLessThan(1e-5);
    }

    it('conv2d with few output positions over several chunks of images, against one image at a time', async () => {
      // (C·kH·kW + O)·P = (1200·9 + 128)·49 floats per image: 7 images to a 4M-float chunk, so 9 take two.
      await expectChunksMatchImages(6, [9, 1200, 9, 9], [128, 1200, 3, 3]);
    });

    it('3×3 convolutions on the Winograd path over several chunks of images, against one image at a time', async () => {
      // 16·(C + O)·tiles = 16·128·64 floats per image: 16 images to a 2M-float chunk, so 17 take two.
      await expectChunksMatchImages(9, [17, 64, 16, 16], [64, 64, 3, 3], { padding: 1 });
    });

    it('3×3 convolutions on 2×2 planes, tap by tap over several chunks of images, against one image at a time', async () => {
      // max(C, O)·max(P, Q) = 512·4 floats per image: 32 images to a 64K-float chunk, so 40 take two.
      // The weight gradient's chunks are 4× larger: 128 images, one chunk here.
      await expectChunksMatchImages(10, [40, 512, 2, 2], [512, 512, 3, 3], { padding: 1 });
    });

    it('3×3 weight gradients on 3×3 planes, tap by tap over two chunks of images (the second adding into the first)', async () => {
      // 512·9 floats per image: 56 images to the weight gradient's 256K-float chunk, so 60 take two.
      await expectChunksMatchImages(12, [60, 512, 3, 3], [512, 512, 3, 3], { padding: 1 });
    });

    it('3×3 weight gradients on 1×1 planes, tap by tap: the eight taps that reach no position are zero, whatever the scratch held', async () => {
      await onWasm();
      manualSeed(11);
      const x = randn([4, 64, 1, 1], { device: 'wasm' });
      const gradOut = randn([4, 64, 1, 1], { device: 'wasm' });
      // A 2×2 layer just before writes every tap's plane of the scratch the 1×1 layer then uses.
      const before = randn([4, 64, 2, 2], { device: 'wasm' });
      conv2dWeightGrad(before, randn([4, 64, 2, 2], { device: 'wasm' }), [64, 64, 3, 3], { padding: 1 });
      const actual = conv2dWeightGrad(x, gradOut, [64, 64, 3, 3], { padding: 1 });
      expect(await relativeError(actual, conv2dWeightGrad(x.to('cpu'), gradOut.to('cpu'), [64, 64, 3, 3], { padding: 1 }))).toBeLessThan(1e-5);
      const values = await actual.data();
      expect(values.filter((_, i) => i % 9 !== 4 && values[i] !== 0).length).toBe(0);
    });

    it('elementwise ops and reductions big enough to split, with transposed and broadcast operands', async () => {
      await onWasm();
      manualSeed(8);
      const a = randn([300, 700]);
      const b = randn([700, 300]);
      const channel = randn([1, 64, 1, 1]);
      const act = randn([16, 64, 20, 20]);
      const [aw, bw, cw, xw] = [a, b, channel, act].map((t) => t.to('wasm'));
      expect(await relativeError(aw.add(bw.t()), a.add(b.t()))).toBe(0);
      expect(await relativeError(bw.t().contiguous(), b.t().contiguous())).toBe(0);
      expect(await relativeError(xw.sub(cw).relu(), act.sub(channel).relu())).toBe(0);
      expect(await relativeError(xw.sum([0, 2, 3]), act.sum([0, 2, 3]))).toBeLessThan(1e-6);
      expect(await relativeError(aw.sum(0), a.sum(0))).toBeLessThan(1e-6);
      expect(await relativeError(bw.t().sum(1), b.t().sum(1))).toBeLessThan(1e-6);
      // 210,000 elements: log-softmax's runs split over the threads, along rows and down columns.
      expect(await relativeError(logSoftmax(aw, 1), logSoftmax(a, 1))).toBeLessThan(1e-6);
      expect(await relativeError(logSoftmax(aw, 0), logSoftmax(a, 0))).toBeLessThan(1e-6);
    });

    it('elementwise ops and sums over short rows, walked in groups of rows: broadcast, transposed, bool and int32 operands, cut between threads', async () => {
      await onWasm();
      manualSeed(9);
      // 50·300·3·3 = 135,000 elements: split over the threads at cuts inside the 3×3 planes.
      const x = randn([50, 300, 3, 3]);
      const other = randn([50, 300, 3, 3]).transpose(2, 3); // strided over each plane
      const channel = randn([1, 300, 1, 1]);
      const mask = randn([1, 300, 1, 1]).gt(0); // one bool per channel
      const ints = randint(-50, 50, [50, 300, 3, 3]);
      const channelInts = randint(-50, 50, [1, 300, 1, 1]);
      const [xw, ow, cw, mw, iw, ciw] = [x, other, channel, mask, ints, channelInts].map((t) => t.to('wasm'));
      // The first differing element, if any (a diff of 135,000 values would take vitest minutes to print).
      const same = async (actual: Tensor, expected: Tensor): Promise<void> => {
        expect(actual.dtype).toBe(expected.dtype);
        const [a, e] = [await actual.data(), await expected.data()];
        const at = e.findIndex((v, i) => !Object.is(a[i], v));
        expect(at === -1 ? null : { at, actual: a[at], expected: e[at] }).toBeNull();
      };
      await same(xw.mul(cw), x.mul(channel));
      await same(xw.add(cw, { alpha: 0.3 }), x.add(channel, { alpha: 0.3 }));
      await same(cw.sub(xw), channel.sub(x));
      await same(xw.add(ow), x.add(other));
      await same(xw.gt(cw), x.gt(channel));
      await same(where(mw, xw, ow), where(mask, x, other));
      await same(where(xw.gt(0), cw, xw), where(x.gt(0), channel, x));
      await same(iw.add(ciw), ints.add(channelInts));
      await same(cw.expand([50, 300, 3, 3]).contiguous(), channel.expand([50, 300, 3, 3]).contiguous());
      await same(ow.neg(), other.neg());
      // Sums of whole 3×3 planes, run after run of rows: per channel (a BatchNorm's), per plane, of everything.
      expect(await relativeError(xw.sum([0, 2, 3]), x.sum([0, 2, 3]))).toBeLessThan(1e-6);
      expect(await relativeError(xw.sum([2, 3]), x.sum([2, 3]))).toBeLessThan(1e-6);
      expect(await relativeError(xw.sum(), x.sum())).toBeLessThan(1e-6);
    });

    it('pooling over many planes', async () => {
      await onWasm();
      manualSeed(3);
      const x = randn([8, 16, 30, 30]);
      const xw = x.to('wasm');
      const cpu = maxPool2dWithIndices(x, 3, { stride: 2, padding: 1 });
      const wasmResult = maxPool2dWithIndices(xw, 3, { stride: 2, padding: 1 });
      expect(await relativeError(wasmResult.output, cpu.output)).toBe(0);
      expect(Array.from(await wasmResult.indices.data())).toEqual(Array.from(await cpu.indices.data()));
      expect(await relativeError(avgPool2d(xw, 2, { padding: 1, countIncludePad: false }), avgPool2d(x, 2, { padding: 1, countIncludePad: false }))).toBeLessThan(1e-6);
      expect(await relativeError(adaptiveAvgPool2d(xw, [7, 5]), adaptiveAvgPool2d(x, [7, 5]))).toBeLessThan(1e-6);
    });

    it('random fill over ranges gives the CPU stream', async () => {
      await onWasm();
      manualSeed(4);
      const uniformWasm = await randn([1], { device: 'wasm' }).data(); // moves the stream on, as on cpu
      manualSeed(4);
      const uniformCpu = await randn([1]).data();
      expect(uniformWasm[0]).toBe(uniformCpu[0]);
      manualSeed(5);
      const normal = randn([200_000], { device: 'wasm' });
      manualSeed(5);
      expect(await relativeError(normal, randn([200_000]))).toBeLessThan(1e-6);
    });

    it('random fill from every lane of a Philox block, split over threads, gives the CPU stream', async () => {
      await onWasm();
      for (const head of [1, 2, 3]) {
        manualSeed(6);
        rand([head], { device: 'wasm' });
        const uniform = await rand([200_003], { device: 'wasm' }).data();
        const normal = randn([131_077], { device: 'wasm' });
        manualSeed(6);
        rand([head]);
        const uniformCpu = await rand([200_003]).data();
        let mismatches = 0;
        for (let i = 0; i < uniform.length; i++) if (uniform[i] !== uniformCpu[i]) mismatches++;
        expect(mismatches, `rand after an offset of ${head}`).toBe(0);
        expect(await relativeError(normal, randn([131_077]))).toBeLessThan(1e-6);
      }
    });

    it('a large sum', async () => {
      await onWasm();
      const x = randn([1000, 300]);
      expect(Math.abs((await sum(x.to('wasm')).item()) - (await sum(x).item()))).toBeLessThan(1e-3);
    });
  });
}

describe('the same bits on any number of threads', () => {
  it('matmul, conv2d with both gradients, elementwise ops and reductions', async () => {
    const results: Float32Array[][] = [];
    for (const threads of [1, 2, 3]) {
      const backend = await createWasmBackend({ threads });
      backends.push(backend);
      registerBackend(backend);
      manualSeed(7);
      const outputs: Float32Array[] = [];
      for (const [m, k, n] of [[9, 600, 8], [300, 520, 170], [1, 700, 300], [130, 64, 257]]) {
        outputs.push((await matmul(randn([m, k], { device: 'wasm' }), randn([k, n], { device: 'wasm' })).data()) as Float32Array);
      }
      for (const [batch, channels, size, kernel, padding, groups] of [[5, 16, 14, 3, 1, 1], [1, 32, 12, 3, 1, 1], [4, 8, 9, 1, 0, 2], [6, 32, 4, 3, 1, 2], [9, 32, 2, 3, 1, 1], [16, 64, 4, 3, 1, 1]]) {
        const options = { padding, groups };
        const x = randn([batch, channels, size, size], { device: 'wasm' });
        const w = randn([24, channels / groups, kernel, kernel], { device: 'wasm' });
        const y = conv2d(x, w, options);
        const gradOut = randn(y.shape, { device: 'wasm' });
        outputs.push((await y.data()) as Float32Array);
        outputs.push((await conv2dInputGrad(gradOut, w, x.shape, options).data()) as Float32Array);
        outputs.push((await conv2dWeightGrad(x, gradOut, w.shape, options).data()) as Float32Array);
      }
      const act = randn([16, 64, 20, 20], { device: 'wasm' });
      const wide = randn([700, 300], { device: 'wasm' });
      outputs.push((await act.sum([0, 2, 3]).data()) as Float32Array);
      outputs.push((await act.sub(act.mean([0, 2, 3], true)).sigmoid().data()) as Float32Array);
      outputs.push((await wide.t().add(randn([300, 700], { device: 'wasm' })).data()) as Float32Array);
      outputs.push((await wide.sum(0).data()) as Float32Array);
      results.push(outputs);
    }
    for (const other of results.slice(1)) {
      other.forEach((values, i) => expect(Array.from(values), `output ${i}`).toEqual(Array.from(results[0][i])));
    }
  });
});

describe('worker threads', () => {
  it('leave when the backend is destroyed, promptly', async () => {
    const backend = await createWasmBackend({ threads: 2 });
    const started = performance.now();
    await backend.destroy();
    expect(performance.now() - started).toBeLessThan(900); // before the 1 s terminate() fallback
  });

  it('after destroy, tensors still read but new ones are refused with a DeviceError', async () => {
    const backend = await createWasmBackend({ threads: 2 });
    const previous = registerBackend(backend);
    try {
      const a = randn([256, 256], { device: 'wasm' });
      await backend.destroy();
      expect(a.dataSync().length).toBe(256 * 256);
      expect(() => matmul(a, a)).toThrow(/the backend was destroyed/);
      a.dispose();
    } finally {
      if (previous) registerBackend(previous);
      else unregisterBackend('wasm');
    }
  });

  it('never keep a Node process alive, destroyed or not', () => {
    const entry = fileURLToPath(new URL('../dist/node/index.js', import.meta.url));
    expect(existsSync(entry), `${entry} is missing: build the package first (pnpm --filter @fathom/wasm build)`).toBe(true);
    const script = `
      const { matmul, randn, registerBackend } = await import('@fathom/core');
      const { createWasmBackend } = await import(${JSON.stringify(entry)});
      const backend = await createWasmBackend({ threads: 2 });
      registerBackend(backend);
      const a = randn([200, 200], { device: 'wasm' });
      await matmul(a, a).sum().item();
      if (process.argv.includes('destroy')) await backend.destroy();
      console.log('done', backend.threads);`;
    for (const mode of ['destroy', 'keep']) {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, '--', mode], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(child.error, `${mode}: the process did not exit by itself`).toBeUndefined();
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('done 2');
      expect(child.status).toBe(0);
    }
  });
});
