import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFathomError, scope, tensor, type Tensor } from '@fathom/core';
import type { WebGpuBackend } from '../src/index.js';
import { bindingDeclarations, LINEAR_WORKGROUP, linearEntry } from '../src/kernels/launch.js';
import { ParamLayout } from '../src/params.js';
import { backendOrReason, backendWith, noAdapter } from './adapter.js';

// Bind groups of buffers are cached by layout and bound buffers (the
// parameter block has its own group), dropped with their buffers, and capped:
// past `maxBindGroups` a dispatch runs through scratch buffers instead of
// making one.

const HALVES = new ParamLayout([{ name: 'total', type: 'u32' }]);

/** Launches a kernel that writes `out[i] = 10·x[i]` for even `i` only, so `out` is written in part. */
function launchEvenTimesTen(backend: WebGpuBackend, x: Tensor, out: Tensor): void {
  const length = out.storage.buffer.length;
  backend.launch({
    kernel: 'test-even-times-ten',
    key: {},
    source: () => `${bindingDeclarations([{ name: 'x', type: 'f32', access: 'read' }, { name: 'out', type: 'f32', access: 'read_write' }], HALVES.wgsl())}
${linearEntry('if (i % 2u == 0u) { out[i] = 10.0 * x[i]; }')}`,
    reads: [x.storage.buffer],
    writes: [{ buffer: out.storage.buffer, whole: false }],
    params: HALVES.pack({ total: length }),
    workgroups: [Math.ceil(length / LINEAR_WORKGROUP), 1],
  });
}

const found = await backendOrReason();
if ('backend' in found) {
  await found.backend.destroy();

  describe('a repeated computation', () => {
    const backend = backendWith({ beforeAll, afterAll }, {});
    it('reuses its bind groups', async () => {
      const x = tensor([1, 2, 3, 4], { device: 'webgpu' });
      const step = async (): Promise<number[]> => {
        const total = scope(() => x.mul(2).add(x).relu().sum());
        const values = Array.from(await total.data());
        total.dispose();
        return values;
      };
      expect(await step()).toEqual([30]);
      const warm = backend().activity();
      for (let i = 0; i < 5; i++) expect(await step()).toEqual([30]);
      const after = backend().activity();
      // The fused mul, add and relu (the 2 inlined), and the sum.
      expect(after.dispatches - warm.dispatches).toBeGreaterThanOrEqual(5 * 2);
      expect(after.bindGroups).toBe(warm.bindGroups);
      expect(backend().memory().bindGroups).toBeGreaterThan(0);
      x.dispose();
    });
  });

  describe('a destroyed buffer', () => {
    // With no room in the pool, every released buffer is destroyed.
    const backend = backendWith({ beforeAll, afterAll }, { maxPooledBytes: 0 });
    it('takes its bind groups with it', async () => {
      const before = backend().memory().bindGroups;
      const a = tensor([1, 2, 3, 4], { device: 'webgpu' });
      const b = a.neg();
      expect(Array.from(await b.data())).toEqual([-1, -2, -3, -4]);
      expect(backend().memory().bindGroups).toBe(before + 1);
      a.dispose();
      b.dispose();
      expect(backend().memory().bindGroups).toBe(before);
      expect(backend().memory().pooledBuffers).toBe(0);
    });
  });

  describe('past maxBindGroups', () => {
    const backend = backendWith({ beforeAll, afterAll }, { maxBindGroups: 16 });
    it('dispatches through scratch buffers, with the same results and no new bind group', async () => {
      const x = tensor([1, 2, 3, 4, 5, 6, 7, 8], { device: 'webgpu' });
      const y = tensor([10, 20, 30, 40, 50, 60, 70, 80], { device: 'webgpu' });
      await x.data();
      const before = backend().activity();
      // Every sum lands in a new buffer, so each needs a new bind group: the first 16 fill the budget.
      const sums = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? x.add(y) : y.sub(x)));
      // A kernel that writes only some elements keeps the others through the copies.
      const out = tensor([-1, -2, -3, -4, -5, -6, -7, -8], { device: 'webgpu' });
      launchEvenTimesTen(backend(), x, out);
      const made = backend().activity().bindGroups - before.bindGroups;
      expect(made).toBeLessThanOrEqual(16 + 4);
      for (const [i, sum] of sums.entries()) {
        expect(Array.from(await sum.data())).toEqual(i % 2 === 0 ? [11, 22, 33, 44, 55, 66, 77, 88] : [9, 18, 27, 36, 45, 54, 63, 72]);
      }
      expect(Array.from(await out.data())).toEqual([10, -2, 30, -4, 50, -6, 70, -8]);
      for (const t of [x, y, out, ...sums]) t.dispose();
    });
  });

  describe('a kernel whose shader disagrees with its reads and writes', () => {
    const backend = backendWith({ beforeAll, afterAll }, {});
    it('fails with a DeviceError naming it (layouts are explicit, not inferred)', async () => {
      const x = tensor([1, 2, 3, 4], { device: 'webgpu' });
      const out = tensor([0, 0, 0, 0], { device: 'webgpu' });
      backend().launch({
        kernel: 'test-misdeclared',
        key: { variant: 1 },
        // Binding 0 is a read, so its layout entry is read-only; the shader declares it writable.
        source: () => `${bindingDeclarations([{ name: 'x', type: 'f32', access: 'read_write' }, { name: 'out', type: 'f32', access: 'read_write' }], HALVES.wgsl())}
${linearEntry('out[i] = x[i];')}`,
        reads: [x.storage.buffer],
        writes: [{ buffer: out.storage.buffer, whole: true }],
        params: HALVES.pack({ total: 4 }),
        workgroups: [1, 1],
      });
      const error = await backend().sync().catch((e: unknown) => e);
      expect(isFathomError(error, 'DeviceError')).toBe(true);
      expect((error as Error).message).toContain('test-misdeclared {variant: 1}');
    });
  });
} else noAdapter({ it }, found.reason);
