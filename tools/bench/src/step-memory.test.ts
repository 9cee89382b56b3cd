import { getBackend, scope, zeros } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { peakBackendBytes } from './step-memory.js';

describe('peakBackendBytes', () => {
  it('finds the peak of a step whose temporaries are freed before it ends, and puts allocate back', async () => {
    const backend = getBackend('cpu');
    const allocate = backend.allocate;
    const kept = zeros([250]); // 1,000 bytes held through the step
    const memory = await peakBackendBytes(backend, () => {
      scope(() => {
        const a = zeros([1000]); // 4,000 bytes
        const b = a.add(1); // 4,000 more
        b.dataSync();
      });
    });
    expect(memory.counts).toBe('backend bytes');
    expect(memory.restingBytes).toBeGreaterThanOrEqual(1000);
    expect(memory.peakBytes - memory.restingBytes).toBeGreaterThanOrEqual(8000);
    // The scope freed the temporaries: the backend is back where it was.
    expect(backend.memory().bytes).toBe(memory.restingBytes);
    expect(backend.allocate).toBe(allocate);
    kept.dispose();
  });
});
