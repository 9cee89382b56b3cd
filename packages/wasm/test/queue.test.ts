import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2d, DeviceError, DTypeError, matmul, profile, randn, registerBackend, tensor, unregisterBackend, zeros, type Tensor } from '@fathom/core';
import type { BackendBuffer, View } from '@fathom/core/backend';
import { createWasmBackend, type WasmBackend } from '../src/node/index.js';
import { maxRelativeError } from './relative-error.js';

// With more than one thread, kernels go through a queue (csrc/queue.c): a
// kernel call returns before the kernel runs, on worker 1. These tests pin
// what must still hold: order, reads after their writers, JavaScript's
// writes after every earlier kernel, refusals reported as typed errors.

/** Float64 row-major product of two n×n matrices given as flat arrays. */
function referenceProduct(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  }
  return c;
}

const flat = (buffer: BackendBuffer, length: number): View => ({ buffer, shape: [length], strides: [1], offset: 0 });
const noParams = { alpha: 0, min: 0, max: 0 };

describe('the wasm kernel queue (2 threads)', () => {
  let backend: WasmBackend;
  beforeAll(async () => {
    backend = await createWasmBackend({ threads: 2 });
    registerBackend(backend);
  });
  afterAll(async () => {
    unregisterBackend('wasm');
    await backend.destroy();
  });

  it('writes uploaded values only after the kernels queued before them ran', () => {
    const n = 384;
    const a = randn([n, n], { device: 'wasm' });
    const values = a.dataSync().slice();
    // The product is queued and still reads a's block when a is released and
    // the same-sized block is handed to the upload below.
    const product = matmul(a, a);
    a.dispose();
    const overwrite = tensor(new Float32Array(n * n).fill(7), { device: 'wasm', shape: [n, n] });
    expect(maxRelativeError(product.dataSync(), referenceProduct(values, values, n))).toBeLessThan(1e-5);
    expect(overwrite.dataSync().every((v) => v === 7)).toBe(true);
    product.dispose();
    overwrite.dispose();
  });

  it('writes uploaded values into a buffer a queued kernel reads only after that kernel ran', () => {
    const n = 384;
    const values = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
    const a = backend.allocate('float32', n * n);
    backend.upload(a, values);
    const product = backend.allocate('float32', n * n);
    const square = { buffer: a, shape: [n, n], strides: [n, 1], offset: 0 };
    // A slow product first, so the one reading a has not started when a is written below.
    const big = 1024;
    const b = backend.allocate('float32', big * big);
    backend.upload(b, new Float32Array(big * big).fill(1));
    const slow = backend.allocate('float32', big * big);
    backend.kernels.matmul({ buffer: b, shape: [big, big], strides: [big, 1], offset: 0 }, { buffer: b, shape: [big, big], strides: [big, 1], offset: 0 }, slow);
    backend.kernels.matmul(square, square, product);
    // The same buffer, still read by the queued product, gets new values.
    backend.upload(a, new Float32Array(n * n).fill(3));
    expect(maxRelativeError(backend.readSync?.(product) ?? [], referenceProduct(values, values, n))).toBeLessThan(1e-5);
    expect((backend.readSync?.(a) ?? []).every((v) => v === 3)).toBe(true);
    for (const buffer of [a, product, b, slow]) backend.release(buffer);
  });

  it('uploads into memory no queued kernel touches without waiting for the queue', async () => {
    const n = 1024;
    const a = backend.allocate('float32', n * n);
    backend.upload(a, new Float32Array(n * n).fill(1));
    await backend.sync();
    const square = { buffer: a, shape: [n, n], strides: [n, 1], offset: 0 };
    const products = [0, 1, 2].map(() => backend.allocate('float32', n * n));
    const start = performance.now();
    for (const c of products) backend.kernels.matmul(square, square, c);
    // A fresh buffer never released by anything: its upload need not wait for the products.
    const fresh = backend.allocate('float32', 64);
    backend.upload(fresh, new Float32Array(64).fill(2));
    const uploaded = performance.now();
    await backend.sync();
    const finished = performance.now();
    // Had the upload waited for the queue, it would have returned after the three products ran.
    expect(uploaded - start).toBeLessThan(finished - uploaded);
    expect((backend.readSync?.(products[2]) ?? [])[0]).toBe(n);
    for (const buffer of [a, ...products, fresh]) backend.release(buffer);
  });

  it('reads a reused block as zeros once a kernel reading it has queued its clearing', () => {
    const n = 384;
    const before = backend.allocate('float32', n * n);
    backend.upload(before, new Float32Array(n * n).fill(5));
    backend.release(before);
    // The same size again: the block just released, owed its zeros.
    const reused = backend.allocate('float32', n * n);
    const a = backend.allocate('float32', n * n);
    backend.upload(a, Float32Array.from({ length: n * n }, (_, i) => Math.cos(i)));
    const product = backend.allocate('float32', n * n);
    const square = { buffer: a, shape: [n, n], strides: [n, 1], offset: 0 };
    backend.kernels.matmul(square, square, product);
    const out = backend.allocate('float32', n * n);
    // Reading `reused` makes the backend clear its memory first: a kernel queued behind the product.
    backend.kernels.unary('neg', flat(reused, n * n), out, noParams);
    expect(backend.readSync?.(reused).every((v) => v === 0)).toBe(true);
    expect(backend.readSync?.(out).every((v) => v === 0)).toBe(true);
    for (const buffer of [reused, a, product, out]) backend.release(buffer);
  });

  it('takes scratch for a queued kernel from memory no later kernel reads', async () => {
    const other = await createWasmBackend({ threads: 2 });
    const outputs = 1 << 15;
    // b: as many bytes as the reduction below asks for scratch (8 per output), so it could serve that request.
    const b = other.allocate('float32', outputs * 2);
    const values = Float32Array.from({ length: outputs * 2 }, (_, i) => (i % 97) - 48);
    other.upload(b, values);
    // A slow kernel first (no scratch), so that JavaScript runs ahead.
    const length = 1 << 23;
    const a = other.allocate('float32', length);
    other.kernels.fill(a, 0.5);
    const exps = other.allocate('float32', length);
    other.kernels.unary('exp', flat(a, length), exps, noParams);
    // A sum over [outputs, 2] that asks for scratch when worker 1 reaches it, then a copy of b after it.
    const sums = other.allocate('float32', outputs);
    other.kernels.reduce('sum', { buffer: exps, shape: [outputs, 2], strides: [2, 1], offset: 0 }, [1], sums);
    const copy = other.allocate('float32', outputs * 2);
    other.kernels.copy(flat(b, outputs * 2), { buffer: copy, shape: [outputs * 2], strides: [1], offset: 0 });
    other.release(b);
    const copied = other.readSync?.(copy) ?? new Float32Array(0);
    expect(values.filter((v, i) => copied[i] !== v).length).toBe(0);
    await other.destroy();
  });

  it('runs more kernels than its ring holds, in order', () => {
    // ~20 words an addition: 30,000 wrap the 65,536-word ring nine times and fill it while JavaScript runs ahead.
    let x: Tensor = zeros([8], { device: 'wasm' });
    for (let i = 0; i < 30_000; i++) {
      const next = x.add(1);
      x.dispose();
      x = next;
    }
    expect(Array.from(x.dataSync())).toEqual(new Array(8).fill(30_000));
    x.dispose();
  });

  it('hands scratch space to kernels run on the queue', () => {
    // A fresh backend's first convolution asks for its scratch from worker 1.
    const x = randn([4, 16, 20, 20], { device: 'wasm' });
    const w = randn([24, 16, 3, 3], { device: 'wasm' });
    const actual = conv2d(x, w, { padding: 1 }).dataSync();
    const expected = conv2d(x.to('cpu'), w.to('cpu'), { padding: 1 }).dataSync();
    expect(maxRelativeError(actual, expected)).toBeLessThan(1e-5);
  });

  it('reports a kernel that refused its arguments by the wait that covers it, as a typed error naming it, once', async () => {
    const x = backend.allocate('bool', 4);
    backend.upload(x, new Uint8Array([1, 0, 1, 0]));
    const out = backend.allocate('bool', 4);
    // neg of bools is refused by the C kernel (core never asks for it). The
    // refusal is reported by the first enqueue or wait after the kernel ran:
    // its own call, when worker 1 was quick, or the read of its output.
    const refusal = (wait: () => unknown): unknown => {
      try {
        backend.kernels.unary('neg', flat(x, 4), out, noParams);
        wait();
      } catch (error) {
        return error;
      }
      return null;
    };
    const first = refusal(() => backend.readSync?.(out));
    expect(first).toBeInstanceOf(DTypeError);
    expect((first as Error).message).toMatch(/wasm\.neg: this combination of dtypes/);
    expect(Array.from(backend.readSync?.(x) ?? [])).toEqual([1, 0, 1, 0]);
    backend.kernels.unary('logicalNot', flat(x, 4), out, noParams);
    expect(Array.from(backend.readSync?.(out) ?? [])).toEqual([0, 1, 0, 1]);
    expect(refusal(() => backend.readSync?.(out))).toBeInstanceOf(DTypeError);
    await backend.sync();
    backend.release(x);
    backend.release(out);
  });

  it('runs each kernel at its call while a profile records', () => {
    const x = backend.allocate('bool', 4);
    backend.upload(x, new Uint8Array([1, 0, 1, 0]));
    const out = backend.allocate('bool', 4);
    profile(() => {
      expect(() => backend.kernels.unary('neg', flat(x, 4), out, noParams)).toThrow(/wasm\.neg/);
    });
    backend.release(x);
    backend.release(out);
  });

  it("charges a profile's first kernel with its own time, not that of the kernels queued before it", () => {
    const n = 768;
    const a = backend.allocate('float32', n * n);
    backend.upload(a, new Float32Array(n * n).fill(1));
    const square = { buffer: a, shape: [n, n], strides: [n, 1], offset: 0 };
    const products = [0, 1, 2, 3].map(() => backend.allocate('float32', n * n));
    // Three products queued before the profile, the same product once inside it.
    for (const c of products.slice(0, 3)) backend.kernels.matmul(square, square, c);
    const x = backend.allocate('float32', 4);
    const y = backend.allocate('float32', 4);
    const { events } = profile(() => {
      backend.kernels.unary('neg', flat(x, 4), y, noParams);
      backend.kernels.matmul(square, square, products[3]);
    });
    const [neg, product] = events;
    expect([neg.name, product.name]).toEqual(['neg', 'matmul']);
    // Waiting for the three products would take about three times the one's time.
    expect(neg.duration).toBeLessThan(product.duration);
    for (const buffer of [a, ...products, x, y]) backend.release(buffer);
  });

  it('finishes queued kernels before destroy stops the workers', async () => {
    const other = await createWasmBackend({ threads: 2 });
    const n = 256;
    const a = other.allocate('float32', n * n);
    const values = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
    other.upload(a, values);
    const c = other.allocate('float32', n * n);
    other.kernels.matmul(
      { buffer: a, shape: [n, n], strides: [n, 1], offset: 0 },
      { buffer: a, shape: [n, n], strides: [n, 1], offset: 0 },
      c,
    );
    await other.destroy();
    expect(maxRelativeError(other.readSync?.(c) ?? [], referenceProduct(values, values, n))).toBeLessThan(1e-5);
  });
});

describe('the wasm kernel queue when its worker dies', () => {
  it('says so at the next wait, then runs kernels on the calling thread', async () => {
    const backend = await createWasmBackend({ threads: 2 });
    const x = backend.allocate('float32', 4);
    backend.upload(x, new Float32Array([1, -2, 3, -4]));
    const out = backend.allocate('float32', 4);
    // A view 1 GiB past the memory's end: the kernel traps on worker 1.
    backend.kernels.unary('neg', { buffer: x, shape: [4], strides: [1], offset: 2 ** 28 }, out, noParams);
    const after = backend.allocate('float32', 4);
    backend.kernels.unary('abs', flat(x, 4), after, noParams);
    expect(() => backend.readSync?.(out)).toThrow(DeviceError);
    // Queued after the one that trapped, abs never ran: its output says so rather than holding stale memory.
    expect(() => backend.readSync?.(after)).toThrow(/lost when a worker thread died/);
    backend.kernels.unary('neg', flat(x, 4), out, noParams);
    expect(Array.from(backend.readSync?.(out) ?? [])).toEqual([-1, 2, -3, 4]);
    await backend.destroy();
  });
});

describe('the wasm backend on one thread', () => {
  it('reports a refused kernel at its call', async () => {
    const backend = await createWasmBackend({ threads: 1 });
    const x = backend.allocate('bool', 4);
    backend.upload(x, new Uint8Array([1, 0, 1, 0]));
    const out = backend.allocate('bool', 4);
    expect(() => backend.kernels.unary('neg', flat(x, 4), out, noParams)).toThrow(/wasm\.neg: this combination of dtypes/);
    await backend.destroy();
  });
});
