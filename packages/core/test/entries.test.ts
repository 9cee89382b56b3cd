import { describe, expect, it } from 'vitest';
import * as backendEntry from '../src/backend-entry.js';
import * as main from '../src/index.js';
import * as binaryOps from '../src/ops/binary.js';
import * as unaryOps from '../src/ops/unary.js';

// Both entries list their exports by name (no `export *`), so a new function in
// ops/unary.ts or ops/binary.ts is public only once index.ts names it.
describe("core's entries", () => {
  it('export every elementwise op: the user-facing ones from @fathom/core, the dispatchers from @fathom/core/backend', () => {
    const dispatchers = ['unary', 'binary', 'operands'];
    for (const name of [...Object.keys(unaryOps), ...Object.keys(binaryOps)]) {
      if (dispatchers.includes(name)) {
        expect(name in main, `${name} is a helper, not user API`).toBe(false);
        expect(name in backendEntry, `${name} in @fathom/core/backend`).toBe(true);
      } else {
        expect(name in main, `${name} in @fathom/core`).toBe(true);
      }
    }
  });

  it('keep engine internals out of @fathom/core and in @fathom/core/backend', () => {
    const internals = [
      'recordOp', 'withoutRecording', 'installGradientEngine', 'gradientEngine', 'Storage', 'BACKEND_API_VERSION', 'coversBuffer',
      'collapseDims', 'splitReducedDims', 'foldMatmulBatches', 'describeMemoryHolders', 'createCpuBackend', 'conv2dParams', 'pool2dParams',
    ];
    for (const name of internals) {
      expect(name in main, `${name} not in @fathom/core`).toBe(false);
      expect(name in backendEntry, `${name} in @fathom/core/backend`).toBe(true);
    }
  });
});
