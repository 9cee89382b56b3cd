import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, profileAsync, Profiler, randn, scope, type ChromeTraceEvent, type ProfileEvent, type Tensor } from '@fathom/core';
import { backendOrReason, backendWith, noAdapter } from './adapter.js';

// With a profile running, each dispatch's compute pass is timestamped on the
// GPU and the time charged to the kernel call that recorded it; lavapipe
// (Mesa 25) offers 'timestamp-query', so CI checks the real thing.

function inputs(shapes: readonly (readonly number[])[]): Tensor[] {
  manualSeed(3);
  return shapes.map((shape) => randn([...shape], { device: 'webgpu' }));
}

function matmulOf(events: readonly ProfileEvent[], size: number): ProfileEvent {
  const event = events.find((e) => e.name === 'matmul' && e.inputShapes[0][0] === size);
  if (!event) throw new Error(`no matmul of size ${size} in the profile`);
  return event;
}

const found = await backendOrReason();
if ('backend' in found) {
  await found.backend.destroy();

  describe('GPU times from timestamp queries', () => {
    backendWith({ beforeAll, afterAll }, {});

    it('times a big matmul on the GPU, longer than a tiny one, and computes it as without timing', async () => {
      const [a, b, c, d] = inputs([[384, 384], [384, 384], [4, 4], [4, 4]]);
      // Compiled before the profile: a pipeline's first use costs the host, not the GPU.
      const expected = await a.matmul(b).data();
      await c.matmul(d).data();
      const result = await profileAsync(async () => {
        const tiny = c.matmul(d);
        const big = a.matmul(b);
        return { tiny, big };
      });
      expect(result.notes).toEqual([]);
      expect(result.timedDevices).toEqual(['webgpu']);
      const big = matmulOf(result.events, 384).gpuDuration ?? NaN;
      const tiny = matmulOf(result.events, 4).gpuDuration ?? NaN;
      expect(big).toBeGreaterThan(0);
      expect(tiny).toBeGreaterThanOrEqual(0);
      // 384³ multiply-adds against 4³: the big one takes longer whatever the adapter.
      expect(big).toBeGreaterThan(tiny);
      expect(await result.value.big.data()).toEqual(expected);

      const matmuls = result.keyAverages().find((row) => row.name === 'matmul');
      expect(matmuls?.gpuTime).toBeCloseTo(big + tiny, 9);
      expect(result.table()).toMatch(/^op +device +calls +host total ms +host self ms +host mean µs +self % +gpu total ms +gpu mean µs +allocated$/m);
      expect(result.table()).toContain('GPU time of the kernels on webgpu, as the device timed it:');
      const gpuTrack = (JSON.parse(result.chromeTrace()) as { traceEvents: ChromeTraceEvent[] }).traceEvents.filter((event) => event.tid === 2);
      expect(gpuTrack[0].args).toEqual({ name: 'webgpu GPU (device timestamps)' });
      expect(gpuTrack.filter((event) => event.name === 'matmul')).toHaveLength(result.gpuEvents.filter((event) => event.name === 'matmul').length);
      for (const event of result.gpuEvents) expect(event.start).toBeGreaterThanOrEqual(0);
    });

    it('charges a fused kernel to the op whose result it computes, and nothing to the ops inlined into it', async () => {
      const [x] = inputs([[64, 64]]);
      const profiler = new Profiler().start();
      const total = scope(() => x.mul(2).add(1).relu().sum());
      const result = await profiler.stopAsync();
      const gpu = Object.fromEntries(result.events.filter((event) => event.kernel !== 'fill').map((event) => [event.name, event.gpuDuration]));
      expect(Object.keys(gpu)).toEqual(['mul', 'add', 'relu', 'sum']);
      expect(gpu.mul).toBe(0);
      expect(gpu.add).toBe(0);
      expect(gpu.relu).toBeGreaterThan(0);
      expect(gpu.sum).toBeGreaterThan(0);
      total.dispose();
    });
  });

  describe('GPU times over more passes than one query set holds', () => {
    backendWith({ beforeAll, afterAll }, { maxDispatchesPerBatch: 8192 });

    it('submits a batch whose query set is full, and times every pass', async () => {
      const [x] = inputs([[16]]);
      const result = await profileAsync(async () => {
        scope(() => {
          for (let i = 0; i < 2100; i++) x.sum();
        });
      });
      const sums = result.events.filter((event) => event.name === 'sum');
      expect(sums).toHaveLength(2100);
      expect(sums.every((event) => event.gpuDuration !== null && event.gpuDuration > 0)).toBe(true);
      expect(result.gpuEvents).toHaveLength(2100);
    });
  });

  describe('GPU times turned off', () => {
    backendWith({ beforeAll, afterAll }, { timestampQueries: false });

    it('says so once, and gives host times only', async () => {
      const [a, b] = inputs([[64, 64], [64, 64]]);
      const result = await profileAsync(async () => {
        a.matmul(b);
        return a.matmul(b).relu();
      });
      expect(result.notes).toEqual(['GPU times on webgpu: timestamp queries are off (the timestampQueries option is false)']);
      expect(result.timedDevices).toEqual([]);
      expect(result.events.length).toBeGreaterThan(0);
      expect(result.events.every((event) => event.gpuDuration === null)).toBe(true);
      expect(result.gpuEvents).toEqual([]);
      expect(result.gpuTime).toBeNull();
      const table = result.table();
      expect(table).not.toContain('gpu total ms');
      expect(table.split('\n').at(-1)).toBe('GPU times on webgpu: timestamp queries are off (the timestampQueries option is false)');
    });
  });
} else {
  noAdapter({ it }, found.reason);
}
