import type { BackendBuffer, Conv2dParams, View } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { declarations, geometry, GEOMETRY } from './conv2d-geometry.js';
import { linearGrid, type KernelRunner } from './launch.js';
import { reduceKernel } from './reduce.js';
import { windowConstants, windowOf, type Window } from './window-fields.js';

// Direct convolutions for layers with few channels a group (LeNet's, a
// depthwise layer's), where an implicit GEMM's tile is mostly staging: each
// staged im2col element would feed a handful of rows. Here an invocation
// reads each input element once and applies it to a block of up to
// CHANNEL_BLOCK channels held in registers, and the weights it multiplies by
// are the same for its whole workgroup (the channel block is the dispatch's
// z), so a GPU broadcasts them and lavapipe loads them once for all its lanes.
// The window is compiled in (windowConstants).

/** The most channels an invocation accumulates at once. */
export const CHANNEL_BLOCK = 8;

const WORKGROUP = 64;

/** What a direct kernel's source is compiled for: its channel block and window. */
export type DirectKey = Window & { readonly block: number };

function directKey(p: Conv2dParams, channels: number): DirectKey {
  return { block: Math.min(channels, CHANNEL_BLOCK), ...windowOf(p) };
}

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

const accumulators = (block: number): string => Array.from({ length: block }, (_, b) => `var acc${b} = 0.0;`).join(' ');

// `acc_b += value · second[at + b·stride]`; block rows past `last` read the last valid row (uniformly, in bounds) and are never stored.
const accumulate = (block: number, value: string, second: string, at: string, stride: string): string =>
  Array.from({ length: block }, (_, b) => `acc${b} += ${value} * ${second}[${at} + ${b === 0 ? '0u' : `min(${b}u, last) * ${stride}`}];`).join('\n        ');

const stores = (block: number, at: (b: number) => string): string =>
  Array.from({ length: block }, (_, b) => `if (${b}u <= last) { out[${at(b)}] = acc${b}; }`).join('\n  ');

// Invocation i's position in the (N, H, W) positions of the input or output planes: image n, in-plane index q, row and column.
const POSITION = (side: 'in' | 'out', row: string, column: string): string => `let plane = u32(p.${side}Height * p.${side}Width);
  let n = i / plane;
  let q = i - n * plane;
  let ${row} = i32(q / u32(p.${side}Width));
  let ${column} = i32(q) - ${row} * p.${side}Width;`;

const ENTRY = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {`;

/** WGSL of conv2d: an invocation per output position (n, oh, ow), a block of output channels each. */
export function conv2dDirectSource(key: DirectKey): string {
  const { block } = key;
  return `${declarations('x', 'weight')}
${constants(key)}
${ENTRY}
  let i = (wid.y * nwg.x + wid.x) * ${WORKGROUP}u + lid;
  if (i >= p.total) { return; }
  ${BLOCK_OF('p.groupOut')}
  ${POSITION('out', 'oh', 'ow')}
  let oc = group * p.groupOut + first;
  let rowStride = p.groupIn * u32(KH * KW);
  ${accumulators(block)}
  for (var c = 0u; c < p.groupIn; c++) {
    let xPlane = p.firstOffset + (n * p.inChannels + group * p.groupIn + c) * u32(p.inHeight * p.inWidth);
    let taps = p.secondOffset + oc * rowStride + c * u32(KH * KW);
    for (var kh = 0; kh < KH; kh++) {
      let ih = oh * SH - PH + kh * DH;
      if (ih < 0 || ih >= p.inHeight) { continue; }
      for (var kw = 0; kw < KW; kw++) {
        let iw = ow * SW - PW + kw * DW;
        if (iw < 0 || iw >= p.inWidth) { continue; }
        let v = x[xPlane + u32(ih * p.inWidth + iw)];
        let t = taps + u32(kh * KW + kw);
        ${accumulate(block, 'v', 'weight', 't', 'rowStride')}
      }
    }
  }
  ${stores(block, (b) => `(n * p.outChannels + oc + ${b}u) * plane + q`)}
}`;
}

/** WGSL of conv2d's input gradient: an invocation per input position (n, ih, iw), a block of input channels each. */
export function conv2dInputGradDirectSource(key: DirectKey): string {
  const { block } = key;
  return `${declarations('gradOut', 'weight')}
${constants(key)}
${ENTRY}
  let i = (wid.y * nwg.x + wid.x) * ${WORKGROUP}u + lid;
  if (i >= p.total) { return; }
  ${BLOCK_OF('p.groupIn')}
  ${POSITION('in', 'ih', 'iw')}
  let outPlane = u32(p.outHeight * p.outWidth);
  ${accumulators(block)}
  for (var j = 0u; j < p.groupOut; j++) {
    let o = group * p.groupOut + j;
    let gPlane = p.firstOffset + (n * p.outChannels + o) * outPlane;
    let taps = p.secondOffset + (o * p.groupIn + first) * u32(KH * KW);
    for (var kh = 0; kh < KH; kh++) {
      let th = ih + PH - kh * DH;
      if (th < 0 || th % SH != 0) { continue; }
      let oh = th / SH;
      if (oh >= p.outHeight) { continue; }
      for (var kw = 0; kw < KW; kw++) {
        let tw = iw + PW - kw * DW;
        if (tw < 0 || tw % SW != 0) { continue; }
        let ow = tw / SW;
        if (ow >= p.outWidth) { continue; }
        let v = gradOut[gPlane + u32(oh * p.outWidth + ow)];
        let t = taps + u32(kh * KW + kw);
        ${accumulate(block, 'v', 'weight', 't', `u32(KH * KW)`)}
      }
    }
  }
  let c = group * p.groupIn + first;
  ${stores(block, (b) => `(n * p.inChannels + c + ${b}u) * plane + q`)}
}`;
}

const WEIGHT_GRAD = new ParamLayout([...GEOMETRY.fields, { name: 'chunk', type: 'u32' }]);

/**
 * WGSL of conv2d's weight gradient over one chunk of the (n, oh, ow)
 * positions: an invocation per tap (c, kh, kw) of a group, a block of output
 * channels each, writing (chunk, O, Cg·KH·KW) partial sums. The output
 * gradient it reads at each position is the same for its whole workgroup.
 */
export function conv2dWeightGradDirectSource(key: DirectKey): string {
  const { block } = key;
  return `${declarations('x', 'gradOut', WEIGHT_GRAD)}
${constants(key)}
${ENTRY}
  let t = wid.x * ${WORKGROUP}u + lid;
  let taps = p.groupIn * u32(KH * KW);
  if (t >= taps) { return; }
  ${BLOCK_OF('p.groupOut')}
  let c = t / u32(KH * KW);
  let r = i32(t - c * u32(KH * KW));
  let kh = r / KW;
  let kw = r - kh * KW;
  let plane = u32(p.outHeight * p.outWidth);
  let o = group * p.groupOut + first;
  let channel = group * p.groupIn + c;
  var position = wid.y * p.chunk;
  let end = min(position + p.chunk, p.batch * plane);
  var n = position / plane;
  var q = position - n * plane;
  var oh = i32(q / u32(p.outWidth));
  var ow = i32(q) - oh * p.outWidth;
  ${accumulators(block)}
  for (; position < end; position++) {
    let ih = oh * SH - PH + kh * DH;
    let iw = ow * SW - PW + kw * DW;
    var v = 0.0;
    if (ih >= 0 && ih < p.inHeight && iw >= 0 && iw < p.inWidth) {
      v = x[p.firstOffset + ((n * p.inChannels + channel) * u32(p.inHeight) + u32(ih)) * u32(p.inWidth) + u32(iw)];
    }
    let g = p.secondOffset + (n * p.outChannels + o) * plane + q;
    ${accumulate(block, 'v', 'gradOut', 'g', 'plane')}
    q++;
    ow++;
    if (ow == p.outWidth) {
      ow = 0;
      oh++;
      if (oh == p.outHeight) { oh = 0; n++; q = 0u; }
    }
  }
  ${stores(block, (b) => `(wid.y * p.outChannels + o + ${b}u) * taps + t`)}
}`;
}

function blocksPerGroup(channels: number): number {
  return Math.ceil(channels / CHANNEL_BLOCK);
}

/** conv2d through {@link conv2dDirectSource}. */
export function conv2dDirect(runner: KernelRunner, x: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  const positions = p.batch * p.outHeight * p.outWidth;
  const groupOut = p.outChannels / p.groups;
  const key = directKey(p, groupOut);
  runner.launch({
    kernel: 'conv2dDirect', key, source: () => conv2dDirectSource(key),
    reads: [x.buffer, weight.buffer], writes: [{ buffer: out, whole: true }],
    params: GEOMETRY.pack(geometry(p, positions, x, weight)),
    workgroups: [...linearGrid(positions, runner), p.groups * blocksPerGroup(groupOut)],
  });
}

/** conv2dInputGrad through {@link conv2dInputGradDirectSource}. */
export function conv2dInputGradDirect(runner: KernelRunner, gradOut: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  const positions = p.batch * p.inHeight * p.inWidth;
  const groupIn = p.inChannels / p.groups;
  const key = directKey(p, groupIn);
  runner.launch({
    kernel: 'conv2dInputGradDirect', key, source: () => conv2dInputGradDirectSource(key),
    reads: [gradOut.buffer, weight.buffer], writes: [{ buffer: out, whole: true }],
    params: GEOMETRY.pack(geometry(p, positions, gradOut, weight)),
    workgroups: [...linearGrid(positions, runner), p.groups * blocksPerGroup(groupIn)],
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
  const tapGroups = Math.ceil(taps / WORKGROUP);
  const z = p.groups * blocksPerGroup(groupOut);
  const wanted = Math.ceil(TARGET_WORKGROUPS / (tapGroups * z));
  const chunk = Math.max(1, Math.ceil(positions / Math.max(1, Math.min(wanted, Math.floor(positions / MIN_CHUNK), runner.maxWorkgroupsPerDimension))));
  const chunks = Math.max(1, Math.ceil(positions / chunk));
  const key = directKey(p, groupOut);
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
