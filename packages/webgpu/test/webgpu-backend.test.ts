import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFathomError, manualSeed, rand, randn, scope, tensor } from '@fathom/core';
import { webgpu, type WebGpuBackend } from '../src/index.js';
import { LINEAR_WORKGROUP, linearEntry } from '../src/kernels/launch.js';
import { backendOrReason, noAdapter, useForFile } from './adapter.js';

describe('webgpu() without an adapter', () => {
  it('throws a DeviceError saying what to install', async () => {
    const error = await webgpu({ gpu: { requestAdapter: async () => null } }).catch((e: unknown) => e);
    expect(isFathomError(error, 'DeviceError')).toBe(true);
    expect((error as Error).message).toContain('found no WebGPU adapter');
    expect((error as Error).message).toContain('mesa-vulkan-drivers');
    expect((error as Error).message).toContain('bookworm-backports');
  });
});

const found = await backendOrReason();
if ('backend' in found) {
  const backend: WebGpuBackend = found.backend;
  useForFile({ beforeAll, afterAll }, backend);

  describe('command batching', () => {
    it('records ops without submitting, and submits once per read', async () => {
      const x = tensor([1, 2, 3, 4], { device: 'webgpu' });
      await x.data();
      const before = backend.activity();
      const y = scope(() => {
        let t = x;
        for (let i = 0; i < 20; i++) t = t.mul(1.5).add(1).relu();
        return t;
      });
      const recorded = backend.activity();
      expect(recorded.submits).toBe(before.submits);
      await y.data();
      const after = backend.activity();
      expect(after.submits).toBe(before.submits + 1);
      // Each of the 60 ops dispatched, or ran fused into another's kernel.
      expect(after.dispatches - before.dispatches + after.fusedAway - before.fusedAway).toBeGreaterThanOrEqual(60);
      x.dispose();
      y.dispose();
    });

    it('keeps an upload after the pending reads of the buffer it reuses', async () => {
      const a = tensor([1, 2, 3, 4], { device: 'webgpu' });
      await a.data();
      const b = a.mul(10); // recorded, not submitted: reads a's buffer later
      a.dispose(); // a's buffer returns to the pool with that read pending
      const c = tensor([100, 200, 300, 400], { device: 'webgpu' }); // takes the same buffer
      expect(Array.from(await b.data())).toEqual([10, 20, 30, 40]);
      expect(Array.from(await c.data())).toEqual([100, 200, 300, 400]);
      b.dispose();
      c.dispose();
    });
  });

  describe('memory', () => {
    it('returns buffers to a pool by size class and reports them', () => {
      const start = backend.memory();
      const buffers = [backend.allocate('float32', 1000), backend.allocate('int32', 10), backend.allocate('bool', 0)];
      expect(backend.memory().buffers).toBe(start.buffers + 3);
      for (const b of buffers) backend.release(b);
      const end = backend.memory();
      expect(end.buffers).toBe(start.buffers);
      expect(end.bytes).toBe(start.bytes);
      expect(end.pooledBuffers).toBeGreaterThanOrEqual(start.pooledBuffers + 1);
      const again = backend.allocate('float32', 900); // same size class as 1000 elements: reused
      expect(backend.memory().pooledBuffers).toBe(end.pooledBuffers - 1);
      backend.release(again);
    });

    it('reads a reused buffer as zeros, as allocate() promises', async () => {
      const first = backend.allocate('float32', 64);
      backend.upload(first, new Float32Array(64).fill(7));
      backend.release(first);
      const second = backend.allocate('float32', 64);
      expect(Array.from(await backend.read(second)).every((v) => v === 0)).toBe(true);
      backend.release(second);
    });

    it('refuses float64 with a DeviceError naming it', () => {
      expect(() => backend.allocate('float64', 4)).toThrow(/float64/);
    });
  });

  // One invocation serves a Philox block of four counters, so a draw that
  // starts at lane 1, 2 or 3 of a block or ends inside one must still give the
  // CPU stream: uniform bit for bit, normal within the kit's WebGPU T2 tolerance.
  describe('random fill', () => {
    it('draws the CPU stream from every lane offset, over many workgroups', async () => {
      for (const head of [0, 1, 2, 3]) {
        for (const length of [1, 2, 3, 5, 8, 1001, 70_001]) {
          manualSeed(17);
          rand([head], { device: 'webgpu' }).dispose();
          const uniformGpu = rand([length], { device: 'webgpu' });
          const normalGpu = randn([length], { device: 'webgpu' });
          manualSeed(17);
          rand([head]).dispose();
          const uniformCpu = await rand([length]).data();
          const normalCpu = await randn([length]).data();
          const uniform = await uniformGpu.data();
          const normal = await normalGpu.data();
          uniformGpu.dispose();
          normalGpu.dispose();
          let uniformMismatches = 0;
          let normalMismatches = 0;
          for (let i = 0; i < length; i++) {
            if (uniform[i] !== uniformCpu[i]) uniformMismatches++;
            if (!(Math.abs(normal[i] - normalCpu[i]) <= 1e-5 + 1e-4 * Math.abs(normalCpu[i]))) normalMismatches++;
          }
          expect(uniformMismatches, `rand: offset ${head}, length ${length}`).toBe(0);
          expect(normalMismatches, `randn: offset ${head + length}, length ${length}`).toBe(0);
        }
      }
    });
  });
} else noAdapter({ it }, found.reason);

describe('errors surface as typed errors naming the adapter', () => {
  let spare: WebGpuBackend | null = null;
  beforeAll(async () => {
    const made = await backendOrReason();
    if ('backend' in made) spare = made.backend;
  });
  afterAll(async () => {
    await spare?.destroy();
  });

  it('a shader that fails to compile names its kernel and parameters', async (context) => {
    if (!spare) return context.skip();
    const out = spare.allocate('float32', 4);
    spare.launch({
      kernel: 'broken',
      key: { op: 'nonsense', rank: 2 },
      source: () => `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
struct Params { total: u32 }
@group(0) @binding(1) var<storage, read> p: Params;
${linearEntry('out[i] = undefinedFunction(1.0);')}`,
      reads: [],
      writes: [{ buffer: out, whole: true }],
      params: new Uint32Array([4]),
      workgroups: [Math.ceil(4 / LINEAR_WORKGROUP), 1],
    });
    const error = await spare.sync().catch((e: unknown) => e);
    expect(isFathomError(error, 'DeviceError')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('broken {op: "nonsense", rank: 2}');
    expect(message).toContain(spare.adapterName);
    expect(message).toMatch(/undefinedFunction/);
    // The failure sticks: later calls report it too.
    expect(() => spare?.allocate('float32', 1)).toThrow(/broken/);
  });

  it('a destroyed backend says so', async (context) => {
    const made = await backendOrReason();
    if (!('backend' in made)) return context.skip();
    await made.backend.destroy();
    expect(() => made.backend.allocate('float32', 1)).toThrow(/destroyed/);
  });
});
