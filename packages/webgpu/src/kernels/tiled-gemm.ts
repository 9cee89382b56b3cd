// The tiled matrix-product skeleton that matmul and the convolutions share:
// C (M × N) = A (M × K) · B (K × N), one product per z workgroup index
// ("batch": a batch entry for matmul, a group for convolutions). Each op
// supplies how to read an element of A and of B and where to write one of C,
// so a convolution reads its input as the im2col matrix without building it.

/** Tile geometry: a workgroup of `x`×`y` invocations computes a (y·rows)×(x·cols) block of C, staging `depth` columns of K at a time. */
export interface GemmTile {
  readonly x: number;
  readonly y: number;
  /** Output rows per invocation. */
  readonly rows: number;
  /** Output columns per invocation. */
  readonly cols: number;
  /** K-slice staged in workgroup memory per step. */
  readonly depth: number;
  /**
   * Read the B slice as vec4s: an invocation's columns are then contiguous
   * (`cols` a multiple of 4) rather than interleaved, trading the interleaved
   * layout's conflict-free scalar reads for one 16-byte read per 4 columns.
   */
  readonly vector?: boolean;
  /**
   * A CPU adapter's tile (lavapipe): the workgroup's `rows`
   * rows are the same for all its invocations, so A is read once for all of
   * them (a CPU runs invocations as the lanes of a vector), and each
   * invocation keeps `cols` columns strided by `x`, read from memory with no
   * workgroup staging or barrier. `y` is 1; `depth` is unused; `vector`
   * reads B four columns at a time (the op's loadB4), `cols` then counting
   * columns in quads strided by `x`.
   */
  readonly broadcast?: boolean;
}

/** What an op plugs into {@link tiledGemmSource}. */
export interface GemmOperands {
  /** Bindings, the Params struct and any helpers; Params must have `m`, `n` and `k` (u32). */
  readonly declarations: string;
  /** WGSL run once per invocation before the loop, with `batch` in scope (e.g. per-batch base offsets into `var<private>`s). */
  readonly prelude?: string;
  /** Body of `fn loadA(batch: u32, row: u32, k: u32) -> f32`, called only inside M × K. */
  readonly loadA: string;
  /** Body of `fn loadB(batch: u32, k: u32, col: u32) -> f32`, called only inside K × N. */
  readonly loadB: string;
  /** Body of `fn loadB4(batch: u32, k: u32, quad: u32) -> vec4<f32>`, columns 4·quad … 4·quad + 3 (a vector broadcast tile's reads; N divisible by 4). */
  readonly loadB4?: string;
  /** Body of `fn store(batch: u32, row: u32, col: u32, value: f32)`, called only inside M × N. */
  readonly store: string;
}

/**
 * A tile for an M × N product: 128 × 128 blocks of 8 × 8 outputs per
 * invocation when M is large, flatter and wider blocks when it is small (a
 * convolution with 6 output channels would leave most of a tall tile idle).
 * Chosen by timing the variants on lavapipe (tools/bench); 8 × 8 outputs per
 * invocation with vec4 reads of B beat 4 × 4 there by about 1.8×. On a CPU
 * (`cpu`: lavapipe, KernelRunner.cpuTiles) a {@link GemmTile.broadcast}
 * tile instead: 16 rows by 16 columns an invocation, 2–3× the shared-memory
 * tiles' rate on lavapipe, or 8 rows by 4 quads of columns where the op can
 * read B four columns at once (`quadsOfB`), another 1.5×
 * (docs/BENCHMARKS.md).
 */
export function tileFor(m: number, n = Infinity, cpu = false, quadsOfB = false): GemmTile {
  if (cpu && quadsOfB) {
    const x = n >= 1024 ? 64 : n >= 512 ? 32 : 16;
    return { x, y: 1, rows: Math.min(8, m), cols: 4 * Math.max(1, Math.min(4, Math.ceil(n / (4 * x)))), depth: 1, broadcast: true, vector: true };
  }
  if (cpu) {
    const x = n >= 1024 ? 64 : 16;
    return { x, y: 1, rows: Math.min(16, m), cols: Math.max(1, Math.min(16, Math.ceil(n / x))), depth: 1, broadcast: true };
  }
  // Narrow products (a weight gradient's N is the kernel taps, 25 for 5×5) get a narrow tile.
  if (n < 64) return m >= 12 ? { x: 8, y: 8, rows: 2, cols: 4, depth: 32 } : { x: 8, y: 4, rows: 2, cols: 4, depth: 32 };
  if (m >= 96) return { x: 16, y: 16, rows: 8, cols: 8, depth: 8, vector: true };
  if (m >= 48) return { x: 16, y: 8, rows: 8, cols: 8, depth: 8, vector: true };
  if (m >= 12) return { x: 32, y: 4, rows: 4, cols: 4, depth: 16 };
  return { x: 64, y: 1, rows: 8, cols: 4, depth: 16 };
}

// An invocation's rows × cols scalar accumulators acc{i}_{j} of a{i}·b{j},
// and their bounds-checked stores at rowBase + row(i), colBase + col(j).
function scalarOutputs(rows: number, cols: number, row: (i: number) => string, col: (j: number) => string): { accumulators: string[]; products: string[]; writes: string[] } {
  const accumulators: string[] = [];
  const products: string[] = [];
  const writes: string[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      accumulators.push(`var acc${i}_${j} = 0.0;`);
      products.push(`acc${i}_${j} += a${i} * b${j};`);
      writes.push(`{ let row = rowBase + ${row(i)}; let col = colBase + ${col(j)}; if (row < p.m && col < p.n) { store(batch, row, col, acc${i}_${j}); } }`);
    }
  }
  return { accumulators, products, writes };
}

// An invocation's rows × quads vec4 accumulators acc{i}_{q} of a{i}·b{q},
// and the bounds-checked stores of their components at rowBase + row(i),
// column col(q, c).
function quadOutputs(rows: number, quads: number, row: (i: number) => string, col: (q: number, c: number) => string): { accumulators: string[]; products: string[]; writes: string[] } {
  const accumulators: string[] = [];
  const products: string[] = [];
  const writes: string[] = [];
  for (let i = 0; i < rows; i++) {
    for (let q = 0; q < quads; q++) {
      accumulators.push(`var acc${i}_${q} = vec4<f32>();`);
      products.push(`acc${i}_${q} += a${i} * b${q};`);
      for (let c = 0; c < 4; c++) {
        writes.push(`{ let row = rowBase + ${row(i)}; let col = ${col(q, c)}; if (row < p.m && col < p.n) { store(batch, row, col, acc${i}_${q}[${c}]); } }`);
      }
    }
  }
  return { accumulators, products, writes };
}

// The op's declarations and its loadA, loadB (loadB4 if it has one) and store functions.
function operandFunctions(operands: GemmOperands): string {
  return `${operands.declarations}
fn loadA(batch: u32, row: u32, k: u32) -> f32 {
  ${operands.loadA}
}
fn loadB(batch: u32, k: u32, col: u32) -> f32 {
  ${operands.loadB}
}${operands.loadB4 ? `
fn loadB4(batch: u32, k: u32, quad: u32) -> vec4<f32> {
  ${operands.loadB4}
}` : ''}
fn store(batch: u32, row: u32, col: u32, value: f32) {
  ${operands.store}
}`;
}

/** Workgroups covering an M × N product for `batches` products. */
export function gemmGrid(m: number, n: number, batches: number, tile: GemmTile): [number, number, number] {
  return [Math.ceil(n / (tile.x * tile.cols)), Math.ceil(m / (tile.y * tile.rows)), batches];
}

/**
 * WGSL of a tiled product: each workgroup stages a (BM × depth) slice of A
 * and a (depth × BN) slice of B in workgroup memory; each invocation
 * accumulates rows × cols outputs in registers. An invocation's outputs are
 * interleaved (row y + i·Y, column x + j·X), so neighbouring invocations read
 * neighbouring B columns from workgroup memory and write neighbouring outputs.
 * Edges are bounds-checked, so any M, N and K work.
 */
export function tiledGemmSource(operands: GemmOperands, tile: GemmTile): string {
  if (tile.broadcast) return broadcastGemmSource(operands, tile);
  if (tile.vector) return vectorGemmSource(operands, tile);
  const { x, y, rows, cols, depth } = tile;
  const bm = y * rows;
  const bn = x * cols;
  const threads = x * y;
  const { accumulators, products, writes } = scalarOutputs(rows, cols, (i) => `lid.y + ${i * y}u`, (j) => `lid.x + ${j * x}u`);
  const loadsA = Array.from({ length: rows }, (_, i) => `let a${i} = tileA[(lid.y + ${i * y}u) * ${depth}u + kk];`);
  const loadsB = Array.from({ length: cols }, (_, j) => `let b${j} = tileB[kk * ${bn}u + lid.x + ${j * x}u];`);
  return `${operandFunctions(operands)}
var<workgroup> tileA: array<f32, ${bm * depth}>;
var<workgroup> tileB: array<f32, ${depth * bn}>;
@compute @workgroup_size(${x}, ${y})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) flat: u32) {
  let batch = wid.z;
  ${operands.prelude ?? ''}
  let rowBase = wid.y * ${bm}u;
  let colBase = wid.x * ${bn}u;
  ${accumulators.join('\n  ')}
  for (var k0 = 0u; k0 < p.k; k0 += ${depth}u) {
    for (var e = flat; e < ${bm * depth}u; e += ${threads}u) {
      let row = rowBase + e / ${depth}u;
      let k = k0 + e % ${depth}u;
      var value = 0.0;
      if (row < p.m && k < p.k) { value = loadA(batch, row, k); }
      tileA[e] = value;
    }
    for (var e = flat; e < ${depth * bn}u; e += ${threads}u) {
      let k = k0 + e / ${bn}u;
      let col = colBase + e % ${bn}u;
      var value = 0.0;
      if (k < p.k && col < p.n) { value = loadB(batch, k, col); }
      tileB[e] = value;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${depth}u; kk++) {
      ${loadsA.join('\n      ')}
      ${loadsB.join('\n      ')}
      ${products.join('\n      ')}
    }
    workgroupBarrier();
  }
  ${writes.join('\n  ')}
}`;
}

// The vec4 variant of tiledGemmSource: invocation (x, y) owns columns
// x·cols … x·cols + cols − 1 of its block, accumulated as cols/4 vec4s per row.
function vectorGemmSource(operands: GemmOperands, tile: GemmTile): string {
  const { x, y, rows, cols, depth } = tile;
  if (cols % 4 !== 0) throw new Error(`tiledGemmSource: a vector tile needs cols divisible by 4, got ${cols}`);
  const quads = cols / 4;
  const bm = y * rows;
  const bn = x * cols;
  const threads = x * y;
  const { accumulators, products, writes } = quadOutputs(rows, quads, (i) => `lid.y + ${i * y}u`, (q, c) => `colBase + lid.x * ${cols}u + ${q * 4 + c}u`);
  const loadsA = Array.from({ length: rows }, (_, i) => `let a${i} = tileA[(lid.y + ${i * y}u) * ${depth}u + kk];`);
  const loadsB = Array.from({ length: quads }, (_, q) => `let b${q} = tileB[kk * ${bn / 4}u + lid.x * ${quads}u + ${q}u];`);
  return `${operandFunctions(operands)}
var<workgroup> tileA: array<f32, ${bm * depth}>;
var<workgroup> tileB: array<vec4<f32>, ${(depth * bn) / 4}>;
@compute @workgroup_size(${x}, ${y})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) flat: u32) {
  let batch = wid.z;
  ${operands.prelude ?? ''}
  let rowBase = wid.y * ${bm}u;
  let colBase = wid.x * ${bn}u;
  ${accumulators.join('\n  ')}
  for (var k0 = 0u; k0 < p.k; k0 += ${depth}u) {
    for (var e = flat; e < ${bm * depth}u; e += ${threads}u) {
      let row = rowBase + e / ${depth}u;
      let k = k0 + e % ${depth}u;
      var value = 0.0;
      if (row < p.m && k < p.k) { value = loadA(batch, row, k); }
      tileA[e] = value;
    }
    for (var e = flat; e < ${(depth * bn) / 4}u; e += ${threads}u) {
      let k = k0 + e / ${bn / 4}u;
      let col = colBase + (e % ${bn / 4}u) * 4u;
      var value = vec4<f32>();
      if (k < p.k) {
        for (var c = 0u; c < 4u; c++) { if (col + c < p.n) { value[c] = loadB(batch, k, col + c); } }
      }
      tileB[e] = value;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${depth}u; kk++) {
      ${loadsA.join('\n      ')}
      ${loadsB.join('\n      ')}
      ${products.join('\n      ')}
    }
    workgroupBarrier();
  }
  ${writes.join('\n  ')}
}`;
}

// The broadcast variant: rows rowBase … rowBase + rows − 1 are uniform across
// the workgroup, columns colBase + j·x are the invocation's own (with
// `vector`, column quads: loadB4 reads four columns at once). Loads past M or
// N read the last row or column (in bounds, never stored), so the loop has
// no branch.
function broadcastGemmSource(operands: GemmOperands, tile: GemmTile): string {
  const { x, rows, cols } = tile;
  if (tile.y !== 1) throw new Error(`tiledGemmSource: a broadcast tile has y = 1, got ${tile.y}`);
  const loadsA = Array.from({ length: rows }, (_, i) => `let a${i} = loadA(batch, min(rowBase + ${i}u, lastRow), k);`);
  let outputs: { accumulators: string[]; products: string[]; writes: string[] };
  let loadsB: string[];
  let lastCol: string;
  if (tile.vector) {
    if (cols % 4 !== 0 || !operands.loadB4) throw new Error(`tiledGemmSource: a vector broadcast tile needs cols divisible by 4 and loadB4, got cols ${cols}`);
    const quads = cols / 4;
    outputs = quadOutputs(rows, quads, (i) => `${i}u`, (q, c) => `(colBase + ${q * x}u) * 4u + ${c}u`);
    loadsB = Array.from({ length: quads }, (_, q) => `let b${q} = loadB4(batch, k, min(colBase + ${q * x}u, lastCol));`);
    lastCol = 'p.n / 4u - 1u';
  } else {
    outputs = scalarOutputs(rows, cols, (i) => `${i}u`, (j) => `${j * x}u`);
    loadsB = Array.from({ length: cols }, (_, j) => `let b${j} = loadB(batch, k, min(colBase + ${j * x}u, lastCol));`);
    lastCol = 'p.n - 1u';
  }
  const perInvocation = tile.vector ? cols / 4 : cols;
  return `${operandFunctions(operands)}
@compute @workgroup_size(${x})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let batch = wid.z;
  ${operands.prelude ?? ''}
  let rowBase = wid.y * ${rows}u;
  let colBase = wid.x * ${x * perInvocation}u + lid;
  let lastRow = p.m - 1u;
  let lastCol = ${lastCol};
  ${outputs.accumulators.join('\n  ')}
  for (var k = 0u; k < p.k; k++) {
    ${loadsA.join('\n    ')}
    ${loadsB.join('\n    ')}
    ${outputs.products.join('\n    ')}
  }
  ${outputs.writes.join('\n  ')}
}`;
}
