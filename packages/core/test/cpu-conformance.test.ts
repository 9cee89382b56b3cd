import { afterAll, beforeAll, describe, it } from 'vitest';
import { createCpuBackend } from '../src/backend-entry.js';
import { runConformance } from '../src/testing/index.js';

runConformance({ backend: createCpuBackend(), harness: { describe, it, beforeAll, afterAll } });
