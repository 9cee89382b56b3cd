import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scope, tensor } from '@fathom/core';
import type { WebGpuBackend } from '../src/index.js';
import { backendOrReason, noAdapter, useForFile } from './adapter.js';

// Dawn in Node frees a bind group only when the event loop turns, and
// lavapipe segfaults once about 65,536 exist. With a new bind group per
// dispatch, a synchronous loop of 75,000 dispatches crashed the process (a
// crash fails the run: vitest reports the file's worker as gone); with bind
// groups cached it makes a handful. Fusion is off, so that every op dispatches.
const found = await backendOrReason({ fuseElementwise: false });
if ('backend' in found) {
  const backend: WebGpuBackend = found.backend;
  useForFile({ beforeAll, afterAll }, backend);

  describe('a long synchronous stretch of work', () => {
    it('runs 75,000 dispatches with no await between them and reads the right values', async () => {
      const steps = 25_000;
      const start = Float32Array.from({ length: 64 }, (_, i) => i - 32);
      const x = tensor(start, { device: 'webgpu' });
      let y = x.mul(1);
      await y.data();
      const before = backend.activity();
      for (let step = 0; step < steps; step++) {
        const next = scope(() => y.mul(0.75).add(x)); // (64) three dispatches: a fill of 0.75, mul, add
        y.dispose();
        y = next;
      }
      const after = backend.activity();
      const values = await y.data();

      // The same recurrence in float32 on the CPU: WGSL rounds f32 + and × correctly.
      const expected = Float32Array.from(start);
      for (let step = 0; step < steps; step++) {
        for (let i = 0; i < expected.length; i++) expected[i] = Math.fround(Math.fround(expected[i] * 0.75) + start[i]);
      }
      expect(Array.from(values)).toEqual(Array.from(expected));
      expect(after.dispatches - before.dispatches).toBeGreaterThanOrEqual(70_000);
      expect(after.bindGroups - before.bindGroups).toBeLessThan(100);
      x.dispose();
      y.dispose();
    });
  });
} else noAdapter({ it }, found.reason);
