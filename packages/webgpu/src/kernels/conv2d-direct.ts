import type { BackendBuffer, Conv2dParams, View } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { declarations, geometry, GEOMETRY } from './conv2d-geometry.js';
import { linearGrid, type KernelRunner } from './launch.js';
import { reduceKernel } from './reduce.js';
import { windowConstants, windowOf, type Window } from './window-fields.js';

// Direct convolutions: an invocation reads each input element once and
// applies it to a block of channels held in registers, for one or more lane
// items (output positions; input positions for the input gradient; weight
// taps for the weight gradient) strided by the workgroup's size. The
// weights (or, for the weight gradient, the output gradient) it multiplies
// by are the same for its whole workgroup (the channel block is the
// dispatch's z), so a GPU broadcasts them and lavapipe loads them once for
// all its lanes. They serve where an implicit GEMM's tile would be mostly
// staging (few channels a group: each staged im2col element would feed a
// handful of rows), and on lavapipe most layers (conv2d.ts
// decides). The window is compiled in (windowConstants).

/** Channels and lane items (positions, or taps) an invocation accumulates: a block × items tile in registers. */
export type DirectTile = {
  readonly block: number;
  readonly items: number;
};

const WORKGROUP = 64;

/**
 * The tile for a group of `channels` and `count` lane items (positions, or
 * taps): on a GPU a block of up to 8 channels and one item; on a CPU
 * (lavapipe: KernelRunner.cpuTiles), whose lanes share a core's registers
 * and caches, up to 16 channels by up to 16 items (as many as fill the
 * workgroup's lanes), so each input read feeds up to 16 multiply-adds and
 * each broadcast weight as many as there are items.
 */
function directTile(channels: number, count: number, cpu: boolean): DirectTile {
  if (!cpu) return { block: Math.min(channels, 8), items: 1 };
  let items = 1;
  while (items < 16 && items * 2 * WORKGROUP <= count) items *= 2;
  return { block: Math.min(channels, 16), items };
}

/** What a direct kernel's source is compiled for: its tile and window. */
export type DirectKey = Window & DirectTile;

function constants(key: DirectKey): string {
  return `const BLOCK = ${key.block}u;
${windowConstants(key)}`;
}

// The block of channels `wid.z` names within a group of `perGroup`: `group`,
// the block's first channel in the group `first`, and its last valid index
// `last` (< BLOCK where the group's channels do not fill the block).
const BLOCK_OF = (perGroup: string): string => `let blocks = (${perGroup} + BLOCK - 1u) / BLOCK;
  let group = wid.z / blocks;
  let first = (wid.z - group * blocks) * BLOCK;
  let last = min(${perGroup} - first, BLOCK) - 1u;`;

const range = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

/** WGSL lines `body(s)` for each item s, joined with `separator`. */
const perItem = (key: DirectKey, body: (s: number) => string, separator = '\n  '): string => range(key.items).map(body).join(separator);

const accumulators = (key: DirectKey): string => range(key.items).flatMap((s) => range(key.block).map((b) => `var acc${s}_${b} = 0.0;`)).join(' ');

// `w_b = second[at + b·stride]` for the block (rows past `last` read the last
// valid row: uniform, in bounds, never stored), then acc{s}_{b} += v{s}·w_b.
const accumulate = (key: DirectKey, second: string, at: string, stride: string): string => [
  ...range(key.block).map((b) => `let w${b} = ${second}[${at} + ${b === 0 ? '0u' : `min(${b}u, last) * ${stride}`}];`),
  ...range(key.items).flatMap((s) => range(key.block).map((b) => `acc${s}_${b} += v${s} * w${b};`)),
].join('\n        ');

const stores = (key: DirectKey, at: (s: number, b: number) => string): string =>
  range(key.items).flatMap((s) => range(key.block).map((b) => `if (valid${s} && ${b}u <= last) { out[${at(s, b)}] = acc${s}_${b}; }`)).join('\n  ');

// Item s of the invocation: index `firstItem + s·WORKGROUP` of `count`, clamped
// to the last one (then read but never stored), and whether it is real.
const ITEM = (s: number, count: string): string => `let item${s} = min(firstItem + ${s * WORKGROUP}u, ${count} - 1u);
  let valid${s} = firstItem + ${s * WORKGROUP}u < ${count};`;

// Item s's position in the (N, H, W) positions of the input or output planes: image n, in-plane index q, row and column.
const POSITION = (s: number, side: 'in' | 'out', row: string, column: string): string => `let n${s} = item${s} / plane;
  let q${s} = item${s} - n${s} * plane;
  let ${row}${s} = i32(q${s} / u32(p.${side}Width));
  let ${column}${s} = i32(q${s}) - ${row}${s} * p.${side}Width;`;

const ENTRY = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {`;

const FIRST_POSITION = (key: DirectKey): string => `let firstItem = (wid.y * nwg.x + wid.x) * ${WORKGROUP * key.items}u + lid;
  if (firstItem >= p.total) { return; }`;

/** WGSL of conv2d: an invocation per `items` output positions (n, oh, ow), a block of output channels each. */
export function conv2dDirectSource(key: DirectKey): string {
  return `${declarations('x', 'weight')}
${constants(key)}
${ENTRY}
  ${FIRST_POSITION(key)}
  ${BLOCK_OF('p.groupOut')}
  let plane = u32(p.outHeight * p.outWidth);
  let inPlane = u32(p.inHeight * p.inWidth);
  ${perItem(key, (s) => `${ITEM(s, 'p.total')}
  ${POSITION(s, 'out', 'oh', 'ow')}
  let image${s} = p.firstOffset + (n${s} * p.inChannels + group * p.groupIn) * inPlane;`)}
  let oc = group * p.groupOut + first;
  let rowStride = p.groupIn * u32(KH * KW);
  ${accumulators(key)}
  for (var c = 0u; c < p.groupIn; c++) {
    let taps = p.secondOffset + oc * rowStride + c * u32(KH * KW);
    for (var kh = 0; kh < KH; kh++) {
      ${perItem(key, (s) => `let ih${s} = oh${s} * SH - PH + kh * DH;
      let rowOk${s} = ih${s} >= 0 && ih${s} < p.inHeight;
      let row${s} = image${s} + c * inPlane + u32(ih${s} * p.inWidth);`, '\n      ')}
      for (var kw = 0; kw < KW; kw++) {
        ${perItem(key, (s) => `let iw${s} = ow${s} * SW - PW + kw * DW;
        let ok${s} = rowOk${s} && iw${s} >= 0 && iw${s} < p.inWidth;
        let v${s} = select(0.0, x[select(0u, row${s} + u32(iw${s}), ok${s})], ok${s});`, '\n        ')}
        ${accumulate(key, 'weight', `taps + u32(kh * KW + kw)`, 'rowStride')}
      }
    }
  }
  ${stores(key, (s, b) => `(n${s} * p.outChannels + oc + ${b}u) * plane + q${s}`)}
}`;
}

/** WGSL of conv2d's input gradient: an invocation per `items` input positions (n, ih, iw), a block of input channels each. */
export function conv2dInputGradDirectSource(key: DirectKey): string {
  return `${declarations('gradOut', 'weight')}
${constants(key)}
${ENTRY}
  ${FIRST_POSITION(key)}
  ${BLOCK_OF('p.groupIn')}
  let plane = u32(p.inHeight * p.inWidth);
  let outPlane = u32(p.outHeight * p.outWidth);
  ${perItem(key, (s) => `${ITEM(s, 'p.total')}
  ${POSITION(s, 'in', 'ih', 'iw')}
  let image${s} = p.firstOffset + n${s} * p.outChannels * outPlane;`)}
  ${accumulators(key)}
  for (var j = 0u; j < p.groupOut; j++) {
    let o = group * p.groupOut + j;
    let taps = p.secondOffset + (o * p.groupIn + first) * u32(KH * KW);
    for (var kh = 0; kh < KH; kh++) {
      ${perItem(key, (s) => `let th${s} = ih${s} + PH - kh * DH;
      let oh${s} = th${s} / SH;
      let rowOk${s} = th${s} >= 0 && th${s} % SH == 0 && oh${s} < p.outHeight;
      let row${s} = image${s} + o * outPlane + u32(oh${s} * p.outWidth);`, '\n      ')}
      for (var kw = 0; kw < KW; kw++) {
        ${perItem(key, (s) => `let tw${s} = iw${s} + PW - kw * DW;
        let ow${s} = tw${s} / SW;
        let ok${s} = rowOk${s} && tw${s} >= 0 && tw${s} % SW == 0 && ow${s} < p.outWidth;
        let v${s} = select(0.0, gradOut[select(0u, row${s} + u32(ow${s}), ok${s})], ok${s});`, '\n        ')}
        ${accumulate(key, 'weight', `taps + u32(kh * KW + kw)`, 'u32(KH * KW)')}
      }
    }
  }
  let c = group * p.groupIn + first;
  ${stores(key, (s, b) => `(n${s} * p.inChannels + c + ${b}u) * plane + q${s}`)}
}`;
}

const WEIGHT_GRAD = new ParamLayout([...GEOMETRY.fields, { name: 'chunk', type: 'u32' }]);

/**
 * WGSL of conv2d's weight gradient over one chunk of the (n, oh, ow)
 * positions: an invocation per `items` taps (c, kh, kw) of a group, a block
 * of output channels each, writing (chunk, O, Cg·KH·KW) partial sums. The
 * output gradient it reads at each position is the same for its whole
 * workgroup.
 */
export function conv2dWeightGradDirectSource(key: DirectKey): string {
  return `${declarations('x', 'gradOut', WEIGHT_GRAD)}
${constants(key)}
${ENTRY}
  let taps = p.groupIn * u32(KH * KW);
  let firstItem = wid.x * ${WORKGROUP * key.items}u + lid;
  if (firstItem >= taps) { return; }
  ${BLOCK_OF('p.groupOut')}
  let inPlane = u32(p.inHeight * p.inWidth);
  ${perItem(key, (s) => `${ITEM(s, 'taps')}
  let c${s} = item${s} / u32(KH * KW);
  let r${s} = i32(item${s} - c${s} * u32(KH * KW));
  let kh${s} = r${s} / KW;
  let kw${s} = r${s} - kh${s} * KW;
  let channel${s} = p.firstOffset + (group * p.groupIn + c${s}) * inPlane;`)}
  let plane = u32(p.outHeight * p.outWidth);
  let o = group * p.groupOut + first;
  var position = wid.y * p.chunk;
  let end = min(position + p.chunk, p.batch * plane);
  var n = position / plane;
  var q = position - n * plane;
  var oh = i32(q / u32(p.outWidth));
  var ow = i32(q) - oh * p.outWidth;
  ${accumulators(key)}
  for (; position < end; position++) {
    let image = n * p.inChannels * inPlane;
    ${perItem(key, (s) => `let ih${s} = oh * SH - PH + kh${s} * DH;
    let iw${s} = ow * SW - PW + kw${s} * DW;
    let ok${s} = ih${s} >= 0 && ih${s} < p.inHeight && iw${s} >= 0 && iw${s} < p.inWidth;
    let v${s} = select(0.0, x[select(0u, channel${s} + image + u32(ih${s} * p.inWidth + iw${s}), ok${s})], ok${s});`, '\n    ')}
    ${accumulate(key, 'gradOut', 'p.secondOffset + (n * p.outChannels + o) * plane + q', 'plane')}
    q++;
    ow++;
    if (ow == p.outWidth) {
      ow = 0;
      oh++;
      if (oh == p.outHeight) { oh = 0; n++; q = 0u; }
    }
  }
  ${stores(key, (s, b) => `(wid.y * p.outChannels + o + ${b}u) * taps + item${s}`)}
}`;
}

let tileOverride: DirectTile | undefined;

/** Forces the direct kernels' largest block and items an invocation (tests and benchmarks run both adapters' tiles on any adapter); no argument restores the adapter's. */
export function setDirectTile(tile?: DirectTile): void {
  tileOverride = tile;
}

function keyFor(runner: KernelRunner, p: Conv2dParams, channels: number, count: number): DirectKey {
  const tile = tileOverride ? { block: Math.min(channels, tileOverride.block), items: tileOverride.items } : directTile(channels, count, runner.cpuTiles);
  return { ...tile, ...windowOf(p) };
}

// The dispatch's z: a group's blocks of channels, for every group.
function blocks(p: Conv2dParams, channels: number, key: DirectKey): number {
  return p.groups * Math.ceil(channels / key.block);
}

/** conv2d through {@link conv2dDirectSource}. */
export function conv2dDirect(runner: KernelRunner, x: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  const positions = p.batch * p.outHeight * p.outWidth;
  const groupOut = p.outChannels / p.groups;
  const key = keyFor(runner, p, groupOut, positions);
  runner.launch({
    kernel: 'conv2dDirect', key, source: () => conv2dDirectSource(key),
    reads: [x.buffer, weight.buffer], writes: [{ buffer: out, whole: true }],
    params: GEOMETRY.pack(geometry(p, positions, x, weight)),
    workgroups: [...linearGrid(positions, runner, WORKGROUP * key.items), blocks(p, groupOut, key)],
  });
}

/** conv2dInputGrad through {@link conv2dInputGradDirectSource}. */
export function conv2dInputGradDirect(runner: KernelRunner, gradOut: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  const positions = p.batch * p.inHeight * p.inWidth;
  const groupIn = p.inChannels / p.groups;
  const key = keyFor(runner, p, groupIn, positions);
  runner.launch({
    kernel: 'conv2dInputGradDirect', key, source: () => conv2dInputGradDirectSource(key),
    reads: [gradOut.buffer, weight.buffer], writes: [{ buffer: out, whole: true }],
    params: GEOMETRY.pack(geometry(p, positions, gradOut, weight)),
    workgroups: [...linearGrid(positions, runner, WORKGROUP * key.items), blocks(p, groupIn, key)],
  });
}

// Enough chunks of the positions for about this many workgroups, each chunk
// at least MIN_CHUNK positions long (shorter ones spend more on the sum of
// the partial products than they save).
const TARGET_WORKGROUPS = 256;
const MIN_CHUNK = 64;

/** conv2dWeightGrad through {@link conv2dWeightGradDirectSource}, then a sum of the chunks' partial products. */
export function conv2dWeightGradDirect(runner: KernelRunner, x: View, gradOut: View, out: BackendBuffer, p: Conv2dParams): void {
  const groupOut = p.outChannels / p.groups;
  const taps = (p.inChannels / p.groups) * p.kernelHeight * p.kernelWidth;
  const weights = p.outChannels * taps;
  const positions = p.batch * p.outHeight * p.outWidth;
  const key = keyFor(runner, p, groupOut, taps);
  const tapGroups = Math.ceil(taps / (WORKGROUP * key.items));
  const z = blocks(p, groupOut, key);
  const wanted = Math.ceil(TARGET_WORKGROUPS / (tapGroups * z));
  const chunk = Math.max(1, Math.ceil(positions / Math.max(1, Math.min(wanted, Math.floor(positions / MIN_CHUNK), runner.maxWorkgroupsPerDimension))));
  const chunks = Math.max(1, Math.ceil(positions / chunk));
  const partials = chunks > 1 ? runner.allocate('float32', chunks * weights) : out;
  runner.launch({
    kernel: 'conv2dWeightGradDirect', key, source: () => conv2dWeightGradDirectSource(key),
    reads: [x.buffer, gradOut.buffer], writes: [{ buffer: partials, whole: true }],
    params: WEIGHT_GRAD.pack({ ...geometry(p, weights, x, gradOut), chunk }),
    workgroups: [tapGroups, chunks, z],
  });
  if (partials !== out) {
    reduceKernel(runner, 'sum', { buffer: partials, shape: [chunks, weights], strides: [weights, 1], offset: 0 }, [0], out);
    runner.release(partials);
  }
}
