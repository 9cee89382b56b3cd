import { afterAll, beforeAll, describe, it } from 'vitest';
import { createCpuBackend } from '@fathom/core/backend';
import { runGradientConformance } from '../src/testing/index.js';

// The cross-backend check run on a second CPU backend in float32: every other
// backend (wasm, webgpu) calls the same function from its own test file.
runGradientConformance({ backend: () => ({ ...createCpuBackend(), name: 'cpu-float32' }), harness: { describe, it, beforeAll, afterAll } });
