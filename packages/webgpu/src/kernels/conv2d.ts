import { DTypeError } from '@fathom/core';
import type { BackendBuffer, Conv2dParams, View } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { divisionFunctions, FAST_DIVIDE_LIMIT } from '../wgsl/fast-divide.js';
import { conv2dDirect, conv2dInputGradDirect, conv2dWeightGradDirect } from './conv2d-direct.js';
import { declarations, geometry, GEOMETRY } from './conv2d-geometry.js';
import type { KernelRunner } from './launch.js';
import { reduceKernel } from './reduce.js';
import { gemmGrid, tiledGemmSource, tileFor, type GemmTile } from './tiled-gemm.js';

// ── as implicit GEMMs ───────────────────────────────────────────────────────
// Per group g, conv2d is out_g (Og × N·OH·OW) = W_g (Og × Cg·KH·KW) · cols_g,
// and its input gradient is dx_g (Cg × N·H·W) = W_gᵀ-by-tap · gradOut taps;
// the B operand is read straight from the image (im2col without the matrix).

const GEMM_GEOMETRY = new ParamLayout([...GEOMETRY.fields, { name: 'm', type: 'u32' }, { name: 'n', type: 'u32' }, { name: 'k', type: 'u32' }]);


function packGemm(p: Conv2dParams, first: View, second: View, m: number, n: number, k: number): Uint32Array {
  return GEMM_GEOMETRY.pack({ ...geometry(p, m * n, first, second), m, n, k });
}

// Tap k of a kernel window: (channel, kh, kw) with k = (channel·KH + kh)·KW + kw.
const TAP = `let taps = u32(p.kernelHeight * p.kernelWidth);
  let channel = quot(k, taps);
  let kh = i32(quot(k - channel * taps, u32(p.kernelWidth)));
  let kw = i32(rem(k, u32(p.kernelWidth)));`;

/** WGSL of conv2d as a GEMM per group: rows are output channels, columns (n, oh, ow), K the taps (c, kh, kw). */
export function conv2dGemmSource(tile: GemmTile, fastDivide: boolean): string {
  return tiledGemmSource({
    declarations: `${declarations('x', 'weight', GEMM_GEOMETRY)}
${divisionFunctions(fastDivide)}`,
    loadA: 'return weight[p.secondOffset + (batch * p.groupOut + row) * p.k + k];',
    loadB: `${TAP}
  let plane = u32(p.outHeight * p.outWidth);
  let n = quot(col, plane);
  let q = col - n * plane;
  let oh = quot(q, u32(p.outWidth));
  let ow = i32(q - oh * u32(p.outWidth));
  let ih = i32(oh) * p.strideHeight - p.padHeight + kh * p.dilationHeight;
  let iw = ow * p.strideWidth - p.padWidth + kw * p.dilationWidth;
  if (ih < 0 || ih >= p.inHeight || iw < 0 || iw >= p.inWidth) { return 0.0; }
  return x[p.firstOffset + ((n * p.inChannels + batch * p.groupIn + channel) * u32(p.inHeight) + u32(ih)) * u32(p.inWidth) + u32(iw)];`,
    store: `let plane = u32(p.outHeight * p.outWidth);
  let n = quot(col, plane);
  out[(n * p.outChannels + batch * p.groupOut + row) * plane + col - n * plane] = value;`,
  }, tile);
}

/** WGSL of conv2d's input gradient as a GEMM per group: rows are input channels, columns (n, ih, iw), K the taps (o, kh, kw). */
export function conv2dInputGradGemmSource(tile: GemmTile, fastDivide: boolean): string {
  return tiledGemmSource({
    declarations: `${declarations('gradOut', 'weight', GEMM_GEOMETRY)}
${divisionFunctions(fastDivide)}`,
    loadA: `let taps = u32(p.kernelHeight * p.kernelWidth);
  let o = quot(k, taps);
  return weight[p.secondOffset + ((batch * p.groupOut + o) * p.groupIn + row) * taps + k - o * taps];`,
    loadB: `${TAP}
  let plane = u32(p.inHeight * p.inWidth);
  let n = quot(col, plane);
  let q = col - n * plane;
  let ihu = quot(q, u32(p.inWidth));
  let th = i32(ihu) + p.padHeight - kh * p.dilationHeight;
  let tw = i32(q - ihu * u32(p.inWidth)) + p.padWidth - kw * p.dilationWidth;
  if (th < 0 || tw < 0) { return 0.0; }
  let oh = quot(u32(th), u32(p.strideHeight));
  let ow = quot(u32(tw), u32(p.strideWidth));
  if (oh * u32(p.strideHeight) != u32(th) || ow * u32(p.strideWidth) != u32(tw)) { return 0.0; }
  if (oh >= u32(p.outHeight) || ow >= u32(p.outWidth)) { return 0.0; }
  return gradOut[p.firstOffset + ((n * p.outChannels + batch * p.groupOut + channel) * u32(p.outHeight) + oh) * u32(p.outWidth) + ow];`,
    store: `let plane = u32(p.inHeight * p.inWidth);
  let n = quot(col, plane);
  out[(n * p.inChannels + batch * p.groupIn + row) * plane + col - n * plane] = value;`,
  }, tile);
}

// The weight gradient is a GEMM with a long K (N·OH·OW) and a small M × N
// (the weights): too few tiles to fill a device. K is split into slices,
// each a z index of the dispatch writing its partial product to a scratch
// (slices, O, Cg·KH·KW); the backend's reduce kernel then sums the slices.
const WEIGHT_GEMM = new ParamLayout([...GEMM_GEOMETRY.fields, { name: 'slices', type: 'u32' }, { name: 'kTotal', type: 'u32' }]);

/** WGSL of conv2d's weight gradient as split-K GEMMs: rows are output channels, columns the taps (c, kh, kw), K the (n, oh, ow) of one slice. */
export function conv2dWeightGradGemmSource(tile: GemmTile, fastDivide: boolean): string {
  // One (n, oh, ow) position of the slice; 0 past the end of K.
  const position = `let kk = kBase + k;
  if (kk >= p.kTotal) { return 0.0; }
  let plane = u32(p.outHeight * p.outWidth);
  let n = quot(kk, plane);
  let q = kk - n * plane;`;
  return tiledGemmSource({
    declarations: `${declarations('x', 'gradOut', WEIGHT_GEMM)}
${divisionFunctions(fastDivide)}
var<private> group: u32;
var<private> slice: u32;
var<private> kBase: u32;`,
    prelude: `group = batch / p.slices;
  slice = batch % p.slices;
  kBase = slice * p.k;`,
    loadA: `${position}
  return gradOut[p.secondOffset + (n * p.outChannels + group * p.groupOut + row) * plane + q];`,
    loadB: `${position}
  let taps = u32(p.kernelHeight * p.kernelWidth);
  let channel = quot(col, taps);
  let kh = i32(quot(col - channel * taps, u32(p.kernelWidth)));
  let kw = i32(rem(col, u32(p.kernelWidth)));
  let oh = quot(q, u32(p.outWidth));
  let ih = i32(oh) * p.strideHeight - p.padHeight + kh * p.dilationHeight;
  let iw = i32(q - oh * u32(p.outWidth)) * p.strideWidth - p.padWidth + kw * p.dilationWidth;
  if (ih < 0 || ih >= p.inHeight || iw < 0 || iw >= p.inWidth) { return 0.0; }
  return x[p.firstOffset + ((n * p.inChannels + group * p.groupIn + channel) * u32(p.inHeight) + u32(ih)) * u32(p.inWidth) + u32(iw)];`,
    store: 'out[(slice * p.outChannels + group * p.groupOut + row) * p.n + col] = value;',
  }, tile);
}

/** Which kernels the convolutions take: `auto` picks the GEMM or the direct kernels by the layer and the adapter (see useGemm). */
export type ConvStrategy = 'auto' | 'gemm' | 'direct';
let convStrategy: ConvStrategy = 'auto';

/** Forces a convolution strategy (for tests and benchmarks comparing the variants); no argument restores `auto`. */
export function setConvStrategy(strategy: ConvStrategy = 'auto'): void {
  convStrategy = strategy;
}

// Where the direct kernels win, measured on lavapipe (`pnpm
// bench:conv-strategies` in tools/bench; docs/BENCHMARKS.md). With a GPU's
// tile (8 channels, one item), where a GEMM tile's rows would be few
// channels: each staged im2col element then feeds too few multiply-adds to
// pay for its index arithmetic. With lavapipe's CPU tile (16 channels by up
// to 16 items): every weight gradient, and the forward and input-gradient
// passes over at least CPU_DIRECT_POSITIONS positions (a full tile of
// items; on smaller planes each broadcast weight feeds too few).
const GEMM_MIN_ROWS = { forward: 17, inputGrad: 33, weightGrad: 33 };
const CPU_DIRECT_POSITIONS = 1024;

function useGemm(pass: keyof typeof GEMM_MIN_ROWS, m: number, n: number, k: number, groups: number, runner: KernelRunner): boolean {
  const grid = gemmGrid(m, n, groups, tileFor(m, pass === 'weightGrad' ? n : Infinity));
  if (grid.some((g) => g > runner.maxWorkgroupsPerDimension)) return false;
  if (convStrategy !== 'auto') return convStrategy === 'gemm';
  // Staging a K-slice costs more than it saves when the window is small.
  const gemmPays = m >= GEMM_MIN_ROWS[pass] && k >= 48;
  if (!runner.cpuTiles) return gemmPays && (pass !== 'weightGrad' || m * n * k >= 1 << 20);
  return gemmPays && pass !== 'weightGrad' && n < CPU_DIRECT_POSITIONS;
}

function checkFloat32(op: string, ...views: View[]): void {
  for (const v of views) if (v.buffer.dtype !== 'float32') throw new DTypeError(`webgpu: ${op} has float32 kernels only, got ${v.buffer.dtype}`);
}

/** Kernels.conv2d. */
export function conv2dKernel(runner: KernelRunner, x: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  checkFloat32('conv2d', x, weight);
  const total = p.batch * p.outChannels * p.outHeight * p.outWidth;
  if (total === 0) return;
  const m = p.outChannels / p.groups;
  const n = p.batch * p.outHeight * p.outWidth;
  const k = (p.inChannels / p.groups) * p.kernelHeight * p.kernelWidth;
  if (useGemm('forward', m, n, k, p.groups, runner)) {
    const tile = tileFor(m);
    const fastDivide = Math.max(n, k) < FAST_DIVIDE_LIMIT;
    runner.launch({
      kernel: 'conv2dGemm', key: { ...tile, vector: Boolean(tile.vector), fastDivide }, source: () => conv2dGemmSource(tile, fastDivide),
      reads: [x.buffer, weight.buffer], writes: [{ buffer: out, whole: true }],
      params: packGemm(p, x, weight, m, n, k),
      workgroups: gemmGrid(m, n, p.groups, tile),
    });
    return;
  }
  conv2dDirect(runner, x, weight, out, p);
}

/** Kernels.conv2dInputGrad. */
export function conv2dInputGradKernel(runner: KernelRunner, gradOut: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  checkFloat32('conv2dInputGrad', gradOut, weight);
  const total = p.batch * p.inChannels * p.inHeight * p.inWidth;
  if (total === 0) return;
  const m = p.inChannels / p.groups;
  const n = p.batch * p.inHeight * p.inWidth;
  const k = (p.outChannels / p.groups) * p.kernelHeight * p.kernelWidth;
  if (useGemm('inputGrad', m, n, k, p.groups, runner)) {
    const tile = tileFor(m);
    const fastDivide = Math.max(n, k) < FAST_DIVIDE_LIMIT;
    runner.launch({
      kernel: 'conv2dInputGradGemm', key: { ...tile, vector: Boolean(tile.vector), fastDivide }, source: () => conv2dInputGradGemmSource(tile, fastDivide),
      reads: [gradOut.buffer, weight.buffer], writes: [{ buffer: out, whole: true }],
      params: packGemm(p, gradOut, weight, m, n, k),
      workgroups: gemmGrid(m, n, p.groups, tile),
    });
    return;
  }
  conv2dInputGradDirect(runner, gradOut, weight, out, p);
}

/** Kernels.conv2dWeightGrad. */
export function conv2dWeightGradKernel(runner: KernelRunner, x: View, gradOut: View, out: BackendBuffer, p: Conv2dParams): void {
  checkFloat32('conv2dWeightGrad', x, gradOut);
  const total = p.outChannels * (p.inChannels / p.groups) * p.kernelHeight * p.kernelWidth;
  if (total === 0) return;
  const m = p.outChannels / p.groups;
  const n = (p.inChannels / p.groups) * p.kernelHeight * p.kernelWidth;
  const k = p.batch * p.outHeight * p.outWidth;
  if (k > 0 && useGemm('weightGrad', m, n, k, p.groups, runner)) {
    const tile = tileFor(m, n);
    const fastDivide = Math.max(n, k) < FAST_DIVIDE_LIMIT;
    const [tilesX, tilesY] = gemmGrid(m, n, 1, tile);
    // Enough slices for about 64 workgroups, each slice at least 256 positions long.
    const slices = Math.max(1, Math.min(Math.ceil(64 / (tilesX * tilesY * p.groups)), Math.ceil(k / 256)));
    const sliceLength = Math.ceil(k / slices);
    if (p.groups * slices <= runner.maxWorkgroupsPerDimension) {
      const scratch = slices > 1 ? runner.allocate('float32', slices * total) : out;
      runner.launch({
        kernel: 'conv2dWeightGradGemm', key: { ...tile, vector: Boolean(tile.vector), fastDivide }, source: () => conv2dWeightGradGemmSource(tile, fastDivide),
        reads: [x.buffer, gradOut.buffer], writes: [{ buffer: scratch, whole: true }],
        params: WEIGHT_GEMM.pack({ ...geometry(p, total, x, gradOut), m, n, k: sliceLength, slices, kTotal: k }),
        workgroups: gemmGrid(m, n, p.groups * slices, tile),
      });
      if (scratch !== out) {
        reduceKernel(runner, 'sum', { buffer: scratch, shape: [slices, total], strides: [total, 1], offset: 0 }, [0], out);
        runner.release(scratch);
      }
      return;
    }
  }
  conv2dWeightGradDirect(runner, x, gradOut, out, p);
}
