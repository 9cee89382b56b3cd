import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '@fathom/core';
import { backendOrReason, backendWith, noAdapter } from './adapter.js';

// With no room in the pool every released buffer is destroyed; one that the
// unsubmitted batch still reads must outlive the batch's submit, or Dawn
// rejects the submit ("used in submit while destroyed") and the device fails.
const found = await backendOrReason();
if ('backend' in found) {
  await found.backend.destroy();
  const backend = backendWith({ beforeAll, afterAll }, { maxPooledBytes: 0 });

  describe('a buffer released while the batch still reads it', () => {
    it('is destroyed only after the batch is submitted', async () => {
      const a = tensor([1, 2, 3, 4], { device: 'webgpu' });
      await a.data();
      const b = a.mul(10); // recorded, not submitted: reads a's buffer later
      const c = b.add(1);
      a.dispose(); // no room in the pool: a's buffer is destroyed, after the submit
      b.dispose();
      expect(Array.from(await c.data())).toEqual([11, 21, 31, 41]);
      const d = c.neg(); // the device still works afterwards
      expect(Array.from(await d.data())).toEqual([-11, -21, -31, -41]);
      c.dispose();
      d.dispose();
      expect(backend().memory().pooledBuffers).toBe(0);
    });
  });
} else noAdapter({ it }, found.reason);
