import { DTypeError, ShapeError } from '@fathom/core';
import { foldMatmulBatches, type BackendBuffer, type View } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { MAX_RANK, stridedFields, stridedOffsets } from '../wgsl/strided.js';
import { bindingDeclarations, linearEntry, linearGrid, type KernelRunner } from './launch.js';
import { gemmGrid, tiledGemmSource, tileFor, type GemmTile } from './tiled-gemm.js';

// Below this many outputs per matrix, the per-element kernel (tests and benchmarks may lower it).
let SMALL_PRODUCT = 4096;
let tileOverride: GemmTile | undefined;

/** Sets the tile and the size threshold of the tiled kernel (for benchmarks comparing variants); no arguments restore the defaults. */
export function setMatmulTuning(tile?: GemmTile, smallProduct = 4096): void {
  tileOverride = tile;
  SMALL_PRODUCT = smallProduct;
}

function matmulLayout(batchRank: number): ParamLayout {
  return new ParamLayout([
    { name: 'total', type: 'u32' },
    { name: 'm', type: 'u32' },
    { name: 'n', type: 'u32' },
    { name: 'k', type: 'u32' },
    { name: 'aRow', type: 'i32' },
    { name: 'aCol', type: 'i32' },
    { name: 'bRow', type: 'i32' },
    { name: 'bCol', type: 'i32' },
    ...stridedFields(batchRank, ['a', 'b'], 'batchShape'),
  ]);
}

/** WGSL of a batched matrix product, one invocation per output element, both operands read through their strides. */
export function matmulSource(batchRank: number): string {
  return `${bindingDeclarations([
    { name: 'left', type: 'f32', access: 'read' },
    { name: 'right', type: 'f32', access: 'read' },
    { name: 'out', type: 'f32', access: 'read_write' },
  ], matmulLayout(batchRank).wgsl())}
${linearEntry(`let col = i % p.n;
  let row = (i / p.n) % p.m;
  let batch = i / (p.n * p.m);
  ${stridedOffsets(batchRank, ['a', 'b'], 'batch', 'batchShape')}
  var ai = i32(aAt) + i32(row) * p.aRow;
  var bi = i32(bAt) + i32(col) * p.bCol;
  var acc = 0.0;
  for (var k = 0u; k < p.k; k++) {
    acc += left[u32(ai)] * right[u32(bi)];
    ai += p.aCol;
    bi += p.bRow;
  }
  out[i] = acc;`)}`;
}

/**
 * WGSL of the tiled batched matmul: {@link tiledGemmSource} reading both
 * operands through their strides; with a vector broadcast tile, B is bound as
 * vec4s and read four columns at a time (its rows contiguous and 16-byte
 * aligned: {@link readsQuadsOfB}).
 */
export function tiledMatmulSource(batchRank: number, tile: GemmTile): string {
  const quads = Boolean(tile.broadcast && tile.vector);
  const bAt = 'u32(bBase + i32(k) * p.bRow + i32(col) * p.bCol)';
  return tiledGemmSource({
    declarations: `${bindingDeclarations([
      { name: 'left', type: 'f32', access: 'read' },
      { name: 'right', type: quads ? 'vec4<f32>' : 'f32', access: 'read' },
      { name: 'out', type: 'f32', access: 'read_write' },
    ], matmulLayout(batchRank).wgsl())}
var<private> aBase: i32;
var<private> bBase: i32;`,
    prelude: `${stridedOffsets(batchRank, ['a', 'b'], 'batch', 'batchShape')}
  aBase = i32(aAt);
  bBase = i32(bAt);`,
    loadA: 'return left[u32(aBase + i32(row) * p.aRow + i32(k) * p.aCol)];',
    loadB: quads ? `let at = ${bAt};
  return right[at / 4u][at % 4u];` : `return right[${bAt}];`,
    loadB4: quads ? 'return right[u32(bBase + i32(k) * p.bRow) / 4u + quad];' : undefined,
    store: 'out[(batch * p.m + row) * p.n + col] = value;',
  }, tile);
}

/** Whether B's rows are contiguous runs of whole, 16-byte-aligned quads in every batch: a vector broadcast tile may read them as vec4s. */
function readsQuadsOfB(n: number, bRow: number, bCol: number, offset: number, batchStrides: readonly number[]): boolean {
  return bCol === 1 && n % 4 === 0 && bRow % 4 === 0 && offset % 4 === 0 && batchStrides.every((s) => s % 4 === 0);
}

/** Kernels.matmul. */
export function matmulKernel(runner: KernelRunner, a: View, b: View, out: BackendBuffer): void {
  if (a.buffer.dtype !== 'float32' || b.buffer.dtype !== 'float32') {
    throw new DTypeError(`webgpu: matmul has float32 kernels only, got ${a.buffer.dtype} and ${b.buffer.dtype}`);
  }
  // Batch dims where b repeats fold into M, the rest merge where they can (core's shared geometry).
  const { m, n, k, aRowStride, aColStride, bRowStride, bColStride, batchShape, aBatchStrides, bBatchStrides, batches } = foldMatmulBatches(a, b);
  const total = batches * m * n;
  if (total === 0) return;
  const batchRank = batchShape.length;
  if (batchRank > MAX_RANK) throw new ShapeError(`webgpu: matmul handles at most ${MAX_RANK} non-mergeable batch dims, got [${a.shape.slice(0, -2).join(',')}]`);
  const params = matmulLayout(batchRank).pack({
    total, m, n, k,
    aRow: aRowStride, aCol: aColStride, bRow: bRowStride, bCol: bColStride,
    batchShape, aStrides: aBatchStrides, aOffset: a.offset, bStrides: bBatchStrides, bOffset: b.offset,
  });
  const quads = readsQuadsOfB(n, bRowStride, bColStride, b.offset, bBatchStrides);
  const chosen = tileOverride ?? tileFor(m, n, runner.cpuTiles, quads);
  // A forced vector broadcast tile reads B as scalars where B's layout has no whole quads.
  const tile = chosen.broadcast && chosen.vector && !quads ? { ...chosen, vector: false } : chosen;
  const max = runner.maxWorkgroupsPerDimension;
  const groups = gemmGrid(m, n, batches, tile);
  // Small products leave a tile mostly idle; the per-element kernel serves them (and any grid too big for one dispatch).
  if (m * n >= SMALL_PRODUCT && groups.every((g) => g <= max)) {
    runner.launch({
      kernel: 'matmulTiled',
      key: { batchRank, x: tile.x, y: tile.y, rows: tile.rows, cols: tile.cols, depth: tile.depth, vector: Boolean(tile.vector), broadcast: Boolean(tile.broadcast) },
      source: () => tiledMatmulSource(batchRank, tile),
      reads: [a.buffer, b.buffer],
      writes: [{ buffer: out, whole: true }],
      params,
      workgroups: groups,
    });
    return;
  }
  runner.launch({
    kernel: 'matmul',
    key: { batchRank },
    source: () => matmulSource(batchRank),
    reads: [a.buffer, b.buffer],
    writes: [{ buffer: out, whole: true }],
    params,
    workgroups: linearGrid(total, runner),
  });
}
