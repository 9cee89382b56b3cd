import { DTypeError } from '@fathom/core';
import type { AdaptivePool2dParams, BackendBuffer, Pool2dParams, View } from '@fathom/core/backend';
import { ParamLayout } from '../params.js';
import { mathLibrary } from '../wgsl/math.js';
import { bindingDeclarations, linearEntry, linearGrid, type KernelRunner } from './launch.js';
import { windowConstants, windowOf, type Window } from './window-fields.js';

// Pooling forward: one invocation per output. Backward: one invocation per
// input element, gathering from the windows that contain it, so no two
// invocations write one element (deterministic, no atomics), as PyTorch's
// CUDA kernels do.

const WINDOW = new ParamLayout([
  { name: 'total', type: 'u32' },
  { name: 'inHeight', type: 'i32' },
  { name: 'inWidth', type: 'i32' },
  { name: 'outHeight', type: 'i32' },
  { name: 'outWidth', type: 'i32' },
  { name: 'countIncludePad', type: 'u32' },
  { name: 'firstOffset', type: 'u32' },
  { name: 'secondOffset', type: 'u32' },
]);

function packWindow(p: Pool2dParams, total: number, firstOffset: number, secondOffset = 0): Uint32Array {
  return WINDOW.pack({
    total, inHeight: p.inHeight, inWidth: p.inWidth, outHeight: p.outHeight, outWidth: p.outWidth,
    countIncludePad: p.countIncludePad ? 1 : 0, firstOffset, secondOffset,
  });
}

// The CPU backend's tap arithmetic: the first and one-past-last kernel taps
// t with start + t·dilation inside [0, size), and the averaging divisor.
const TAPS = `fn firstTap(start: i32, dilation: i32) -> i32 {
  if (start >= 0) { return 0; }
  return (-start + dilation - 1) / dilation;
}
fn endTap(start: i32, dilation: i32, kernel: i32, size: i32) -> i32 {
  if (start >= size) { return 0; }
  return min(kernel, (size - start + dilation - 1) / dilation);
}
fn windowCount(start: i32, dilation: i32, kernel: i32, size: i32, pad: i32) -> i32 {
  if (p.countIncludePad == 0u) { return endTap(start, dilation, kernel, size) - firstTap(start, dilation); }
  return endTap(start + pad, dilation, kernel, size + 2 * pad) - firstTap(start + pad, dilation);
}
fn divisor(oh: i32, ow: i32) -> i32 {
  let hStart = oh * SH - PH;
  let wStart = ow * SW - PW;
  return windowCount(hStart, DH, KH, p.inHeight, PH)
    * windowCount(wStart, DW, KW, p.inWidth, PW);
}`;

// WGSL locating output i: plane, oh, ow and the window's first row and column.
const OUTPUT_POSITION = `let ow = i32(i % u32(p.outWidth));
  let oh = i32((i / u32(p.outWidth)) % u32(p.outHeight));
  let plane = i / u32(p.outWidth * p.outHeight);
  let hStart = oh * SH - PH;
  let wStart = ow * SW - PW;
  let khFirst = firstTap(hStart, DH);
  let khEnd = endTap(hStart, DH, KH, p.inHeight);
  let kwFirst = firstTap(wStart, DW);
  let kwEnd = endTap(wStart, DW, KW, p.inWidth);
  let base = p.firstOffset + plane * u32(p.inHeight * p.inWidth);`;

// WGSL locating input element i, and a loop header over the outputs (oh, ow) whose windows hold it.
const INPUT_POSITION = `let iw = i32(i % u32(p.inWidth));
  let ih = i32((i / u32(p.inWidth)) % u32(p.inHeight));
  let plane = i / u32(p.inWidth * p.inHeight);
  let outBase = plane * u32(p.outHeight * p.outWidth);`;

const FOR_EACH_WINDOW = `for (var kh = 0; kh < KH; kh++) {
    let th = ih + PH - kh * DH;
    if (th < 0 || th % SH != 0) { continue; }
    let oh = th / SH;
    if (oh >= p.outHeight) { continue; }
    for (var kw = 0; kw < KW; kw++) {
      let tw = iw + PW - kw * DW;
      if (tw < 0 || tw % SW != 0) { continue; }
      let ow = tw / SW;
      if (ow >= p.outWidth) { continue; }
      let o = outBase + u32(oh * p.outWidth + ow);
      BODY
    }
  }`;

/**
 * WGSL of maxPool2d, like PyTorch's CPU kernel: padding never wins, the index
 * starts at the first in-image tap, and a NaN replaces the running max (the
 * last NaN of the window is reported).
 */
export function maxPool2dSource(window: Window): string {
  return `${windowConstants(window)}
${mathLibrary(['isNan', 'constants'])}
${bindingDeclarations([
    { name: 'x', type: 'f32', access: 'read' },
    { name: 'out', type: 'f32', access: 'read_write' },
    { name: 'indices', type: 'i32', access: 'read_write' },
  ], WINDOW.wgsl())}
${TAPS}
${linearEntry(`${OUTPUT_POSITION}
  var best = negInfF32();
  var index = (hStart + khFirst * DH) * p.inWidth + wStart + kwFirst * DW;
  for (var kh = khFirst; kh < khEnd; kh++) {
    let row = (hStart + kh * DH) * p.inWidth;
    for (var kw = kwFirst; kw < kwEnd; kw++) {
      let at = row + wStart + kw * DW;
      let v = x[base + u32(at)];
      if (v > best || isNan(v)) {
        best = v;
        index = at;
      }
    }
  }
  out[i] = best;
  indices[i] = index;`)}`;
}

/** WGSL of maxPool2d's gradient: each input element sums the output gradients whose recorded index is itself. */
export function maxPool2dGradSource(window: Window): string {
  return `${windowConstants(window)}
${bindingDeclarations([
    { name: 'gradOut', type: 'f32', access: 'read' },
    { name: 'indices', type: 'i32', access: 'read' },
    { name: 'out', type: 'f32', access: 'read_write' },
  ], WINDOW.wgsl())}
${linearEntry(`${INPUT_POSITION}
  let here = ih * p.inWidth + iw;
  var acc = 0.0;
  ${FOR_EACH_WINDOW.replace('BODY', 'if (indices[p.secondOffset + o] == here) { acc += gradOut[p.firstOffset + o]; }')}
  out[i] = acc;`)}`;
}

/** WGSL of avgPool2d: the in-image taps' sum over the divisor {@link Pool2dParams.countIncludePad} picks; 0 for a window wholly in the padding. */
export function avgPool2dSource(window: Window): string {
  return `${windowConstants(window)}
${bindingDeclarations([{ name: 'x', type: 'f32', access: 'read' }, { name: 'out', type: 'f32', access: 'read_write' }], WINDOW.wgsl())}
${TAPS}
${linearEntry(`${OUTPUT_POSITION}
  var sum = 0.0;
  for (var kh = khFirst; kh < khEnd; kh++) {
    let row = base + u32((hStart + kh * DH) * p.inWidth + wStart);
    for (var kw = kwFirst; kw < kwEnd; kw++) { sum += x[row + u32(kw * DW)]; }
  }
  let count = divisor(oh, ow);
  out[i] = select(0.0, sum / f32(count), count > 0);`)}`;
}

/** WGSL of avgPool2d's gradient: each input element gathers its windows' gradients over their divisors. */
export function avgPool2dGradSource(window: Window): string {
  return `${windowConstants(window)}
${bindingDeclarations([{ name: 'gradOut', type: 'f32', access: 'read' }, { name: 'out', type: 'f32', access: 'read_write' }], WINDOW.wgsl())}
${TAPS}
${linearEntry(`${INPUT_POSITION}
  var acc = 0.0;
  ${FOR_EACH_WINDOW.replace('BODY', 'let count = divisor(oh, ow); if (count > 0) { acc += gradOut[p.firstOffset + o] / f32(count); }')}
  out[i] = acc;`)}`;
}

function checkFloat32(op: string, ...dtypes: string[]): void {
  for (const dtype of dtypes) if (dtype !== 'float32') throw new DTypeError(`webgpu: ${op} has float32 kernels only, got ${dtype}`);
}

/** Kernels.maxPool2d. */
export function maxPool2dKernel(runner: KernelRunner, x: View, out: BackendBuffer, indices: BackendBuffer, p: Pool2dParams): void {
  checkFloat32('maxPool2d', x.buffer.dtype);
  const total = p.planes * p.outHeight * p.outWidth;
  if (total === 0) return;
  const window = windowOf(p);
  runner.launch({
    kernel: 'maxPool2d', key: window, source: () => maxPool2dSource(window),
    reads: [x.buffer], writes: [{ buffer: out, whole: true }, { buffer: indices, whole: true }],
    params: packWindow(p, total, x.offset), workgroups: linearGrid(total, runner),
  });
}

/** Kernels.maxPool2dGrad. */
export function maxPool2dGradKernel(runner: KernelRunner, gradOut: View, indices: View, out: BackendBuffer, p: Pool2dParams): void {
  checkFloat32('maxPool2dGrad', gradOut.buffer.dtype);
  const total = p.planes * p.inHeight * p.inWidth;
  if (total === 0) return;
  const window = windowOf(p);
  runner.launch({
    kernel: 'maxPool2dGrad', key: window, source: () => maxPool2dGradSource(window),
    reads: [gradOut.buffer, indices.buffer], writes: [{ buffer: out, whole: true }],
    params: packWindow(p, total, gradOut.offset, indices.offset), workgroups: linearGrid(total, runner),
  });
}

/** Kernels.avgPool2d. */
export function avgPool2dKernel(runner: KernelRunner, x: View, out: BackendBuffer, p: Pool2dParams): void {
  checkFloat32('avgPool2d', x.buffer.dtype);
  const total = p.planes * p.outHeight * p.outWidth;
  if (total === 0) return;
  const window = windowOf(p);
  runner.launch({
    kernel: 'avgPool2d', key: window, source: () => avgPool2dSource(window),
    reads: [x.buffer], writes: [{ buffer: out, whole: true }],
    params: packWindow(p, total, x.offset), workgroups: linearGrid(total, runner),
  });
}

/** Kernels.avgPool2dGrad. */
export function avgPool2dGradKernel(runner: KernelRunner, gradOut: View, out: BackendBuffer, p: Pool2dParams): void {
  checkFloat32('avgPool2dGrad', gradOut.buffer.dtype);
  const total = p.planes * p.inHeight * p.inWidth;
  if (total === 0) return;
  const window = windowOf(p);
  runner.launch({
    kernel: 'avgPool2dGrad', key: window, source: () => avgPool2dGradSource(window),
    reads: [gradOut.buffer], writes: [{ buffer: out, whole: true }],
    params: packWindow(p, total, gradOut.offset), workgroups: linearGrid(total, runner),
  });
}

// ── adaptive average pooling ───────────────────────────────────────────────

const ADAPTIVE = new ParamLayout([
  { name: 'total', type: 'u32' },
  { name: 'inHeight', type: 'u32' },
  { name: 'inWidth', type: 'u32' },
  { name: 'outHeight', type: 'u32' },
  { name: 'outWidth', type: 'u32' },
  { name: 'offset', type: 'u32' },
]);

// Bin i of `out` over `size` covers [⌊i·size/out⌋, ⌈(i+1)·size/out⌉).
const BINS = `fn binStart(i: u32, size: u32, count: u32) -> u32 { return (i * size) / count; }
fn binEnd(i: u32, size: u32, count: u32) -> u32 { return ((i + 1u) * size + count - 1u) / count; }`;

/** WGSL of adaptiveAvgPool2d; an empty bin (H or W = 0) gives NaN, PyTorch's mean of nothing. */
export function adaptiveAvgPool2dSource(): string {
  return `${mathLibrary(['divF32'])}
${bindingDeclarations([{ name: 'x', type: 'f32', access: 'read' }, { name: 'out', type: 'f32', access: 'read_write' }], ADAPTIVE.wgsl())}
${BINS}
${linearEntry(`let ow = i % p.outWidth;
  let oh = (i / p.outWidth) % p.outHeight;
  let plane = i / (p.outWidth * p.outHeight);
  let base = p.offset + plane * p.inHeight * p.inWidth;
  let h0 = binStart(oh, p.inHeight, p.outHeight);
  let h1 = binEnd(oh, p.inHeight, p.outHeight);
  let w0 = binStart(ow, p.inWidth, p.outWidth);
  let w1 = binEnd(ow, p.inWidth, p.outWidth);
  var sum = 0.0;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) { sum += x[base + h * p.inWidth + w]; }
  }
  out[i] = divF32(sum, f32((h1 - h0) * (w1 - w0)));`)}`;
}

/** WGSL of adaptiveAvgPool2d's gradient: each input element gathers the bins holding it. */
export function adaptiveAvgPool2dGradSource(): string {
  return `${bindingDeclarations([{ name: 'gradOut', type: 'f32', access: 'read' }, { name: 'out', type: 'f32', access: 'read_write' }], ADAPTIVE.wgsl())}
${BINS}
${linearEntry(`let w = i % p.inWidth;
  let h = (i / p.inWidth) % p.inHeight;
  let plane = i / (p.inWidth * p.inHeight);
  let outBase = p.offset + plane * p.outHeight * p.outWidth;
  // Bins holding row h: oh from ⌊h·OH/H⌋ while the bin still starts at or before h.
  var acc = 0.0;
  for (var oh = (h * p.outHeight) / p.inHeight; oh < p.outHeight; oh++) {
    let h0 = binStart(oh, p.inHeight, p.outHeight);
    if (h0 > h) { break; }
    let h1 = binEnd(oh, p.inHeight, p.outHeight);
    if (h >= h1) { continue; }
    for (var ow = (w * p.outWidth) / p.inWidth; ow < p.outWidth; ow++) {
      let w0 = binStart(ow, p.inWidth, p.outWidth);
      if (w0 > w) { break; }
      let w1 = binEnd(ow, p.inWidth, p.outWidth);
      if (w >= w1) { continue; }
      acc += gradOut[outBase + oh * p.outWidth + ow] / f32((h1 - h0) * (w1 - w0));
    }
  }
  out[i] = acc;`)}`;
}

function packAdaptive(p: AdaptivePool2dParams, total: number, offset: number): Uint32Array {
  return ADAPTIVE.pack({ total, inHeight: p.inHeight, inWidth: p.inWidth, outHeight: p.outHeight, outWidth: p.outWidth, offset });
}

/** Kernels.adaptiveAvgPool2d. */
export function adaptiveAvgPool2dKernel(runner: KernelRunner, x: View, out: BackendBuffer, p: AdaptivePool2dParams): void {
  checkFloat32('adaptiveAvgPool2d', x.buffer.dtype);
  const total = p.planes * p.outHeight * p.outWidth;
  if (total === 0) return;
  runner.launch({
    kernel: 'adaptiveAvgPool2d', key: {}, source: adaptiveAvgPool2dSource,
    reads: [x.buffer], writes: [{ buffer: out, whole: true }],
    params: packAdaptive(p, total, x.offset), workgroups: linearGrid(total, runner),
  });
}

/** Kernels.adaptiveAvgPool2dGrad. */
export function adaptiveAvgPool2dGradKernel(runner: KernelRunner, gradOut: View, out: BackendBuffer, p: AdaptivePool2dParams): void {
  checkFloat32('adaptiveAvgPool2dGrad', gradOut.buffer.dtype);
  const total = p.planes * p.inHeight * p.inWidth;
  if (total === 0) return;
  runner.launch({
    kernel: 'adaptiveAvgPool2dGrad', key: {}, source: adaptiveAvgPool2dGradSource,
    reads: [gradOut.buffer], writes: [{ buffer: out, whole: true }],
    params: packAdaptive(p, total, gradOut.offset), workgroups: linearGrid(total, runner),
  });
}
