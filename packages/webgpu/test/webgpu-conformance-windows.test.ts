import { afterAll, beforeAll, describe, it } from 'vitest';
import { runConformance } from '@fathom/core/testing';
import { backendOrReason, noAdapter } from './adapter.js';

// The whole kit again with bindings of 1 KiB and GPU buffers of 4 KiB: every
// tensor above 256 elements is bound through windows and most above 1,024
// span several buffers, so each op runs its split paths across window and
// buffer borders — what AlexNet's 151 MB weight meets at the real 128 MiB.
const found = await backendOrReason({ maxBindingBytes: 1024, maxBufferBytes: 4096 });
if ('backend' in found) {
  const only = process.env.FATHOM_ONLY?.split(',');
  runConformance({ backend: () => found.backend, harness: { describe, it, beforeAll, afterAll }, ...(only ? { only } : {}) });
} else noAdapter({ it }, found.reason);
