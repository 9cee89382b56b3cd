import { afterAll, beforeAll, describe, it } from 'vitest';
import { runConformance } from '@fathom/core/testing';
import { backendOrReason, noAdapter } from './adapter.js';

const found = await backendOrReason();
if ('backend' in found) {
  const only = process.env.FATHOM_ONLY?.split(',');
  runConformance({ backend: () => found.backend, harness: { describe, it, beforeAll, afterAll }, ...(only ? { only } : {}) });
} else noAdapter({ it }, found.reason);
