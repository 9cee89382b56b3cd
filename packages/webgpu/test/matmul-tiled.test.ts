import { afterAll, beforeAll, describe, it } from 'vitest';
import { runConformance } from '@fathom/core/testing';
import { setMatmulTuning } from '../src/kernels/matmul.js';
import { tileFor, type GemmTile } from '../src/kernels/tiled-gemm.js';
import { backendOrReason, noAdapter } from './adapter.js';

// The kit's matmul cases are mostly below the size where the backend picks the
// tiled kernel; here every case runs through it, for the default tile and for
// tiles whose edges fall differently (non-square, several outputs per
// invocation in one direction only, vec4 reads of B, a CPU adapter's
// broadcast rows), so bounds checks and strided loads of every kit layout
// are exercised.
const TILES: GemmTile[] = [
  ...[1, 12, 48, 96].map((m) => tileFor(m)), tileFor(1, 25), tileFor(16, 25), // every tile the backend picks
  { x: 8, y: 4, rows: 2, cols: 4, depth: 8 },
  { x: 4, y: 8, rows: 3, cols: 1, depth: 5 },
  { x: 4, y: 4, rows: 3, cols: 8, depth: 5, vector: true },
  // a CPU's (lavapipe): rows shared by the workgroup, columns strided by x
  tileFor(1, 25, true), tileFor(16, 300, true), tileFor(96, 4096, true),
  { x: 4, y: 1, rows: 3, cols: 5, depth: 1, broadcast: true },
  // …reading B four columns at once where its rows allow (else as scalars)
  tileFor(3, 40, true, true), tileFor(8, 600, true, true), tileFor(96, 4096, true, true),
  { x: 4, y: 1, rows: 3, cols: 8, depth: 1, broadcast: true, vector: true },
];

const found = await backendOrReason();
if ('backend' in found) {
  const { backend } = found;
  afterAll(async () => {
    setMatmulTuning();
    await backend.destroy();
  });
  for (const tile of TILES) {
    describe(`tile ${JSON.stringify(tile)}`, () => {
      beforeAll(() => setMatmulTuning(tile, 0));
      runConformance({ backend, harness: { describe, it }, only: ['matmul'] });
    });
  }
} else noAdapter({ it }, found.reason);
