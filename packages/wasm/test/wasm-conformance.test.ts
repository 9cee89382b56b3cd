import { afterAll, beforeAll, describe, it } from 'vitest';
import { runConformance } from '@fathom/core/testing';
import { createWasmBackend } from '../src/node/index.js';

runConformance({ backend: () => createWasmBackend(), harness: { describe, it, beforeAll, afterAll } });
