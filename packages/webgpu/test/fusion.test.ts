import { afterAll, describe, expect, it } from 'vitest';
import { manualSeed, randn, registerBackend, scope, tensor, unregisterBackend, type Tensor } from '@fathom/core';
import type { WebGpuBackend } from '../src/index.js';
import { backendOrReason, noAdapter } from './adapter.js';

// Both backends register as 'webgpu'; each computation registers the one it runs on.
function on<T>(backend: WebGpuBackend, fn: () => T): T {
  registerBackend(backend);
  try {
    return fn();
  } finally {
    unregisterBackend('webgpu');
  }
}

async function onAsync(backend: WebGpuBackend, fn: () => Promise<void>): Promise<void> {
  registerBackend(backend);
  try {
    await fn();
  } finally {
    unregisterBackend('webgpu');
  }
}

async function values(backend: WebGpuBackend, make: () => Tensor): Promise<Float32Array> {
  registerBackend(backend);
  try {
    const result = scope(make);
    const data = (await result.data()) as Float32Array;
    result.dispose();
    return data;
  } finally {
    unregisterBackend('webgpu');
  }
}

// The same inputs on every device, from one seed.
function inputs(device: 'cpu' | 'webgpu', count: number, shape: readonly number[]): Tensor[] {
  manualSeed(7);
  return Array.from({ length: count }, () => randn(shape).to(device));
}

function bits(array: Float32Array): number[] {
  return Array.from(new Uint32Array(array.buffer, array.byteOffset, array.length));
}

const found = await backendOrReason();
const unfusedFound = await backendOrReason({ fuseElementwise: false });
if ('backend' in found && 'backend' in unfusedFound) {
  const fused: WebGpuBackend = found.backend;
  const unfused: WebGpuBackend = unfusedFound.backend;
  afterAll(async () => {
    await fused.destroy();
    await unfused.destroy();
  });

  // Runs `chain` on each backend: the fused bits, the unfused bits, the CPU values and the fused backend's activity.
  async function compare(count: number, shape: readonly number[], chain: (xs: Tensor[]) => Tensor) {
    const cpu = Float32Array.from(await scope(() => chain(inputs('cpu', count, shape))).data());
    const run = async (backend: WebGpuBackend) => {
      const xs = on(backend, () => inputs('webgpu', count, shape));
      await Promise.all(xs.map((x) => x.data()));
      const start = backend.memory();
      const before = backend.activity();
      const result = await values(backend, () => chain(xs));
      const after = backend.activity();
      for (const x of xs) x.dispose();
      return { result, dispatches: after.dispatches - before.dispatches, fusedAway: after.fusedAway - before.fusedAway, start };
    };
    return { cpu, fused: await run(fused), unfused: await run(unfused) };
  }

  function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < actual.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tolerance * (1 + Math.abs(expected[i])));
  }

  describe('an elementwise chain', () => {
    it('runs as one kernel, with the unfused bits and the CPU values', async () => {
      const { cpu, fused: f, unfused: u } = await compare(2, [3, 50], ([x, y]) => x.mul(2).add(y).relu().sigmoid());
      expect(bits(f.result)).toEqual(bits(u.result));
      expectClose(f.result, cpu, 1e-5);
      // Unfused: a fill of 2 and four ops; fused: one kernel, with the 2 as a constant.
      expect(u.dispatches).toBe(5);
      expect(f.dispatches).toBe(1);
      expect(f.fusedAway).toBe(4);
    });

    it('fuses broadcasts, parameters, comparisons, where and shared subexpressions', async () => {
      const { cpu, fused: f, unfused: u } = await compare(3, [4, 1, 6], ([x, y, z]) => {
        const t = x.sub(y.sum(0).mul(2)); // (4, 1, 6) minus a pending (1, 6) row, broadcast
        const shared = t.mul(t).leakyRelu(0.2).clamp(-0.5, 1.5);
        return shared.where(t.gt(z), z.exp().div(shared.add(3))).tanh();
      });
      expect(bits(f.result)).toEqual(bits(u.result));
      expectClose(f.result, cpu, 1e-4);
      expect(f.dispatches).toBeLessThan(u.dispatches);
      expect(f.fusedAway).toBeGreaterThanOrEqual(8);
    });

    it('fuses dtype conversions and integer ops', async () => {
      const { cpu, fused: f, unfused: u } = await compare(2, [40], ([x, y]) => x.gt(y).to('float32').mul(x).mul(7).to('int32').add(1).abs().to('float32'));
      expect(bits(f.result)).toEqual(bits(u.result));
      expectClose(f.result, cpu, 1e-6);
      expect(f.dispatches).toBe(1);
    });

    it('fuses scaled sums, each alpha a parameter of its own, with no scale tensors', async () => {
      const { cpu, fused: f, unfused: u } = await compare(3, [6, 9], ([x, y, z]) => x.add(y, { alpha: 0.1 }).sub(z, { alpha: -3 }).relu());
      expect(bits(f.result)).toEqual(bits(u.result));
      expectClose(f.result, cpu, 1e-6);
      // Unfused: one kernel per op, alpha in its parameters; fused: one kernel.
      expect(u.dispatches).toBe(3);
      expect(f.dispatches).toBe(1);
      expect(f.fusedAway).toBe(2);
    });

    it('splits a chain reading more buffers than one kernel may bind', async () => {
      const { cpu, fused: f, unfused: u } = await compare(20, [33], (xs) => xs.reduce((sum, x) => sum.mul(x).add(x)));
      expect(bits(f.result)).toEqual(bits(u.result));
      expectClose(f.result, cpu, 1e-4);
      expect(f.dispatches).toBeGreaterThan(1);
      expect(f.dispatches).toBeLessThan(u.dispatches);
    });

    it('splits a chain longer than one kernel computes', async () => {
      const { cpu, fused: f, unfused: u } = await compare(1, [10], ([x]) => {
        let t = x;
        for (let i = 0; i < 100; i++) t = t.mul(0.99).relu().sin();
        return t;
      });
      expect(bits(f.result)).toEqual(bits(u.result));
      expectClose(f.result, cpu, 1e-4);
      // 100 fills of the scalar 0.99 and 300 ops, about 32 to a kernel.
      expect(u.dispatches).toBe(400);
      expect(f.dispatches).toBeLessThanOrEqual(16);
    });

    it('computes a pending result first where a view does not line up with it', async () => {
      const { cpu, fused: f, unfused: u } = await compare(2, [5, 7], ([x, y]) => x.mul(y).transpose(0, 1).add(1).sum(1));
      expect(bits(f.result)).toEqual(bits(u.result));
      expectClose(f.result, cpu, 1e-4);
    });
  });

  describe('a pending result', () => {
    it('is never computed when released before anything reads it', async () => {
      const [p, grad] = on(fused, () => [tensor([1, 2, 3, 4], { device: 'webgpu' }), tensor([10, 20, 30, 40], { device: 'webgpu' })]);
      const lr = on(fused, () => tensor(0.5, { device: 'webgpu' }));
      await Promise.all([p.data(), grad.data(), lr.data()]);
      const before = fused.activity();
      const updated = on(fused, () => {
        const step = grad.mul(lr);
        const next = p.sub(step);
        step.dispose();
        return next;
      });
      expect(Array.from(await updated.data())).toEqual([-4, -8, -12, -16]);
      const after = fused.activity();
      expect(after.dispatches - before.dispatches).toBe(1);
      expect(after.fusedAway - before.fusedAway).toBe(1);
      for (const t of [p, grad, lr, updated]) t.dispose();
    });

    it('reads the contents its inputs had, though copy_, fill or upload overwrite them later', async () => {
      await onAsync(fused, async () => {
        const x = tensor([1, 2, 3], { device: 'webgpu' });
        const viaCopy = x.mul(3);
        x.copy_(tensor([7, 8, 9], { device: 'webgpu' }));
        const viaFill = x.add(1);
        fused.kernels.fill(x.layout().buffer, 5);
        const viaUpload = x.neg();
        fused.upload(x.layout().buffer, new Float32Array([-1, -2, -3]));
        const inPlace = x.mul(2);
        x.copy_(inPlace.add(x)); // reads x's own buffer while writing it
        expect(Array.from(await viaCopy.data())).toEqual([3, 6, 9]);
        expect(Array.from(await viaFill.data())).toEqual([8, 9, 10]);
        expect(Array.from(await viaUpload.data())).toEqual([-5, -5, -5]);
        expect(Array.from(await inPlace.data())).toEqual([-2, -4, -6]);
        expect(Array.from(await x.data())).toEqual([-3, -6, -9]);
        for (const t of [x, viaCopy, viaFill, viaUpload, inPlace]) t.dispose();
      });
    });

    it('runs an SGD update as one kernel, leaving the difference as a view of the parameter until the parameter changes', async () => {
      await onAsync(fused, async () => {
        const p = tensor([1, 2, 3, 4], { device: 'webgpu' });
        const grad = tensor([10, 20, 30, 40], { device: 'webgpu' });
        await Promise.all([p.data(), grad.data()]);
        const before = fused.activity();
        const next = p.sub(grad.mul(0.5));
        p.copy_(next);
        expect(fused.activity().dispatches - before.dispatches).toBe(1);
        p.copy_(p.add(100));
        expect(Array.from(await next.data())).toEqual([-4, -8, -12, -16]);
        expect(Array.from(await p.data())).toEqual([96, 92, 88, 84]);
        for (const t of [p, grad, next]) t.dispose();
      });
    });

    it('reads a copy of a small input that changes, rather than being computed early', async () => {
      await onAsync(fused, async () => {
        const x = tensor([[1, 2, 3], [4, 5, 6]], { device: 'webgpu' });
        const bias = tensor([10, 20, 30], { device: 'webgpu' });
        const update = tensor([-1, -1, -1], { device: 'webgpu' });
        await Promise.all([x.data(), bias.data(), update.data()]);
        const start = fused.memory();
        const activations = scope(() => x.add(bias).relu()); // (2, 3) pending, reading the (3) bias
        const before = fused.activity();
        bias.copy_(update);
        expect(fused.activity().dispatches - before.dispatches).toBe(1); // the copy_ alone
        expect(Array.from(await activations.data())).toEqual([11, 22, 33, 14, 25, 36]);
        expect(Array.from(await bias.data())).toEqual([-1, -1, -1]);
        activations.dispose();
        expect(fused.memory().buffers).toBe(start.buffers);
        for (const t of [x, bias, update]) t.dispose();
      });
    });

    it('is computed before a kernel writes part of it', async () => {
      await onAsync(fused, async () => {
        const out = tensor([1, 2, 3, 4], { device: 'webgpu' }).mul(2);
        const index = tensor([0, 0, 3], { device: 'webgpu', dtype: 'int32' });
        const src = tensor([10, 20, 30], { device: 'webgpu' });
        fused.kernels.scatterAdd(out.layout().buffer, out.shape, 0, index.layout(), src.layout());
        expect(Array.from(await out.data())).toEqual([32, 4, 6, 38]);
        for (const t of [out, index, src]) t.dispose();
      });
    });

    it('keeps a released input from reuse until it is computed', async () => {
      await onAsync(fused, async () => {
        const a = tensor([1, 2, 3, 4], { device: 'webgpu' });
        await a.data();
        const b = a.mul(10);
        a.dispose(); // b still reads a's buffer
        const c = tensor([100, 200, 300, 400], { device: 'webgpu' }); // must not take a's buffer
        expect(Array.from(await b.data())).toEqual([10, 20, 30, 40]);
        expect(Array.from(await c.data())).toEqual([100, 200, 300, 400]);
        b.dispose();
        c.dispose();
      });
    });

    it('is computed by flush, and leaves memory where it was once released', async () => {
      const x = on(fused, () => tensor([1, 2, 3, 4], { device: 'webgpu' }));
      await x.data();
      const start = fused.memory();
      for (let step = 0; step < 20; step++) {
        const y = on(fused, () => scope(() => x.mul(2).add(x).exp()));
        if (step % 2 === 0) fused.flush();
        if (step % 4 === 0) expect((await y.data())[0]).toBeCloseTo(Math.exp(3), 4);
        y.dispose();
      }
      await fused.sync();
      const end = fused.memory();
      expect(end.buffers).toBe(start.buffers);
      expect(end.bytes).toBe(start.bytes);
      expect(end.pooledBuffers).toBeLessThanOrEqual(start.pooledBuffers + 4);
      x.dispose();
    });
  });
} else noAdapter({ it }, 'reason' in found ? found.reason : 'no adapter');
