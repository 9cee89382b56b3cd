import { describe, expect, it } from 'vitest';
import { isFathomError, manualSeed, matmul, memoryStats, pad, randn, registerBackend, scope, zeros, type Tensor } from '@fathom/core';
import { createWasmBackend } from '../src/node/index.js';
import { registeredWasmBackend } from './registered-backend.js';

const backend = registeredWasmBackend();

describe('memory on wasm', () => {
  it('stays flat over 5,000 steps of a small matmul/relu loop inside scope()', () => {
    manualSeed(0);
    const weight = randn([64, 32], { device: 'wasm' }); // (in, out)
    const input = randn([16, 64], { device: 'wasm' }); // (B, in)
    const step = (): void => {
      scope(() => {
        const hidden = matmul(input, weight).relu(); // (B, out)
        const loss = hidden.square().mean();
        loss.dataSync();
      });
    };
    for (let i = 0; i < 50; i++) step(); // let the allocator and the scratch block reach their sizes
    const before = memoryStats('wasm');
    const heapBefore = backend().heapStats();
    for (let i = 0; i < 5000; i++) step();
    const after = memoryStats('wasm');
    const heapAfter = backend().heapStats();
    expect(after).toEqual(before);
    expect(heapAfter.top).toBe(heapBefore.top);
    expect(heapAfter.memoryBytes).toBe(heapBefore.memoryBytes);
    expect(heapAfter.liveBlocks).toBe(heapBefore.liveBlocks);
    weight.dispose();
    input.dispose();
  });

  it('reuses released blocks instead of growing', () => {
    const first = zeros([1000], { device: 'wasm' });
    const top = backend().heapStats().top;
    first.dispose();
    const tensors: Tensor[] = [];
    for (let i = 0; i < 100; i++) {
      const t = zeros([1000], { device: 'wasm' });
      t.dispose();
    }
    for (let i = 0; i < 3; i++) tensors.push(zeros([900 + i], { device: 'wasm' }));
    expect(backend().heapStats().top).toBeLessThanOrEqual(top + 2 * 4096);
    for (const t of tensors) t.dispose();
  });

  it('gives reused blocks back zeroed', async () => {
    const dirty = randn([4096], { device: 'wasm' });
    dirty.dispose();
    const fresh = zeros([4096], { device: 'wasm' });
    const values = await fresh.data();
    expect(values.every((v) => v === 0)).toBe(true);
    fresh.dispose();
  });

  // Reused blocks are cleared only when something reads them before a kernel
  // overwrites them whole: each way of reading one must still see zeros.
  it('shows zeros in a reused block to kernels, partial copies and copies out of it', async () => {
    const dirty = (): void => randn([64, 64], { device: 'wasm' }).dispose();
    const ones = randn([64, 64], { device: 'wasm' }).abs().add(1);
    const expectZeros = async (t: Tensor, what: string): Promise<void> => {
      expect(Array.from(await t.data()).every((v) => v === 0), what).toBe(true);
    };
    dirty();
    const z = zeros([64, 64], { device: 'wasm' });
    await expectZeros(ones.mul(z), 'a kernel reading it');
    z.dispose();
    dirty();
    const padded = pad(ones.narrow(0, 0, 32), [0, 0, 0, 32]); // a copy into part of a fresh buffer
    await expectZeros(padded.narrow(0, 32, 32), 'the part a partial copy left');
    expect(await padded.narrow(0, 0, 32).sum().item()).toBeGreaterThan(0);
    padded.dispose();
    dirty();
    const copied = zeros([64, 64], { device: 'wasm' }).clone(); // a whole copy out of a block still owed its zeros
    dirty();
    await expectZeros(copied.add(zeros([64, 64], { device: 'wasm' })), 'a copy of it, added to another');
    dirty();
    await expectZeros(zeros([64, 64], { device: 'wasm' }).narrow(1, 8, 16).contiguous(), 'a strided view of it');
    ones.dispose();
  });

  it('reports buffers and bytes like the other backends', () => {
    const before = backend().memory();
    const t = zeros([10, 10], { device: 'wasm' });
    expect(backend().memory()).toEqual({ buffers: before.buffers + 1, bytes: before.bytes + 400 });
    t.dispose();
    expect(backend().memory()).toEqual(before);
  });

  it('refuses to grow past 4 GiB with a DeviceError that says so', () => {
    let caught: unknown;
    try {
      zeros([2 ** 30 + 16], { device: 'wasm' });
    } catch (error) {
      caught = error;
    }
    expect(isFathomError(caught, 'DeviceError')).toBe(true);
    expect((caught as Error).message).toMatch(/cannot grow past 4 GiB, the wasm32 limit/);
  });
});

describe('memory limit', () => {
  it('honours maxMemoryBytes and recovers once tensors are released', async () => {
    const small = await createWasmBackend({ threads: 1, maxMemoryBytes: 8 * 2 ** 20 });
    const device = small.name;
    const previous = registerBackend(small);
    try {
      const held: Tensor[] = [];
      let caught: unknown;
      try {
        for (let i = 0; i < 20; i++) held.push(zeros([256 * 1024], { device })); // 1 MiB each
      } catch (error) {
        caught = error;
      }
      expect(isFathomError(caught, 'DeviceError')).toBe(true);
      expect((caught as Error).message).toMatch(/cannot grow past 8\.0 MiB \(maxMemoryBytes\)/);
      // It names what holds the memory: the live tensors and the op that made the largest share.
      const n = held.length;
      // (Earlier tests' tensors on the other 'wasm' backend are counted too, so only the top holder is exact.)
      expect((caught as Error).message).toMatch(new RegExp(`; \\d+ live tensors hold [\\d.]+ MiB in \\d+ storages; the largest holders by the op that made them: full ${n}\\.0 MiB \\(`));
      for (const t of held) t.dispose();
      // Released blocks of other sizes are merged and serve a larger request.
      const big = zeros([1024 * 1024], { device }); // 4 MiB
      expect(big.numel).toBe(1024 * 1024);
      big.dispose();
      expect(small.memory()).toEqual({ buffers: 0, bytes: 0 });
    } finally {
      if (previous) registerBackend(previous);
      await small.destroy();
    }
  });
});
