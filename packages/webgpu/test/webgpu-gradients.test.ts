import { afterAll, beforeAll, describe, it } from 'vitest';
import { runGradientConformance } from '@fathom/autograd/testing';
import { backendOrReason, noAdapter } from './adapter.js';

// Every differentiable kit sample's float32 gradients on webgpu against the CPU's float64 ones.
const found = await backendOrReason();
if ('backend' in found) {
  const { backend } = found;
  runGradientConformance({ backend: () => backend, harness: { describe, it, beforeAll, afterAll: (fn) => afterAll(async () => {
    await fn();
    await backend.destroy();
  }) } });
} else noAdapter({ it }, found.reason);
