import { contiguousStrides, isContiguous, sizeOf } from '@fathom/core';
import type { AdaptivePool2dParams, BackendBuffer, Conv2dParams, Pool2dParams, View } from '@fathom/core/backend';
import { conv2dInputGradKernel, conv2dKernel, conv2dWeightGradKernel } from '../kernels/conv2d.js';
import {
  adaptiveAvgPool2dGradKernel, adaptiveAvgPool2dKernel, avgPool2dGradKernel, avgPool2dKernel, maxPool2dGradKernel, maxPool2dKernel,
} from '../kernels/pool2d.js';
import type { Block } from './block-plan.js';
import { wholeView, type LargeKernels, type SplitOperand } from './large-kernels.js';

// Convolutions split over samples (N), output channels (O) and input
// channels (C), pooling over planes: their kernels read NCHW blocks whose
// extents come from the parameters, so a block gets its own parameters and,
// where its piece of a tensor is not contiguous, a packed copy of it. Grouped
// convolutions run group by group. Pieces of a split sum (C forward, O for
// the input gradient, N for the weight gradient) add up in the output.

const [N, O, C] = [0, 1, 2];

/** A 4-D tensor whose first two dims are the iteration dims `first` and `second`; its last two (a plane, a kernel window) always whole. */
interface Conv4 {
  readonly view: View;
  readonly first: number;
  readonly second: number;
}

function operand({ view, first, second }: Conv4): SplitOperand {
  const strides = [0, 0, 0];
  strides[first] = view.strides[0];
  strides[second] = view.strides[1];
  const span = (view.shape[2] - 1) * view.strides[2] + (view.shape[3] - 1) * view.strides[3] + 1;
  return { view, strides, dims: [first, second], span, packable: true };
}

// The block's piece of `tensor`: through the block's window `k`, or of the whole buffer when `k` is null.
function piece(large: LargeKernels, tensor: Conv4, block: Block, k: number | null): View {
  const restricted = large.restrict(operand(tensor), block, k);
  return { ...restricted, shape: [...restricted.shape, tensor.view.shape[2], tensor.view.shape[3]], strides: tensor.view.strides };
}

type ConvKernel = (large: LargeKernels, first: View, second: View, out: BackendBuffer, p: Conv2dParams) => void;

/**
 * One groups-1 convolution-like kernel over the iteration [N, O, C]: reads
 * `inputs`, writes `output`, summing over `summed` when a block cuts it.
 */
function splitConv(large: LargeKernels, op: string, p: Conv2dParams, inputs: readonly [Conv4, Conv4], output: Conv4, summed: number, kernel: ConvKernel): void {
  const iteration = [p.batch, p.outChannels, p.inChannels];
  const blocks = large.plan(op, iteration, [operand(inputs[0]), operand(inputs[1]), operand(output)]);
  const split = blocks.some((block) => block.shape[summed] !== iteration[summed]);
  if (split) large.write(output.view, (buffer) => large.fill(buffer, 0));
  for (const block of blocks) {
    const bp: Conv2dParams = { ...p, batch: block.shape[N], outChannels: block.shape[O], inChannels: block.shape[C], groups: 1 };
    const [first, second] = inputs.map((input, k) => large.packed(piece(large, input, block, k)));
    const target = piece(large, output, block, null);
    if (!split) large.write(target, (buffer) => kernel(large, first.view, second.view, buffer, bp));
    else {
      const partial = large.run.allocate(target.buffer.dtype, sizeOf(target.shape));
      kernel(large, first.view, second.view, partial, bp);
      large.accumulate('add', target, partial);
      large.run.release(partial);
    }
    first.release();
    second.release();
  }
}

// Runs `each` per group, on the group's channels of x (or its gradient), the weight and out (or gradOut), each a 4-D view.
function perGroup(p: Conv2dParams, x: View, weight: View, out: View, each: (x: View, weight: View, out: View, p: Conv2dParams) => void): void {
  const inPer = p.inChannels / p.groups;
  const outPer = p.outChannels / p.groups;
  const channels = (view: View, count: number, g: number): View => ({
    ...view, shape: [view.shape[0], count, view.shape[2], view.shape[3]], offset: view.offset + g * count * view.strides[1],
  });
  for (let g = 0; g < p.groups; g++) {
    each(channels(x, inPer, g), channels(weight, outPer, g), channels(out, outPer, g), { ...p, inChannels: inPer, outChannels: outPer, groups: 1 });
  }
}

// A weight's view in perGroup: its groups are runs of output channels, its first dim.
function weightOf(p: Conv2dParams, view: View): View {
  return wholeLike(view, [p.outChannels, p.inChannels / p.groups, p.kernelHeight, p.kernelWidth]);
}

function wholeLike(view: View, shape: readonly number[]): View {
  return { buffer: view.buffer, shape, strides: contiguousStrides(shape), offset: view.offset };
}

// perGroup's channel cut along dim 1 does not fit a weight (grouped along dim 0): give it dims swapped in.
function groupWeight(weight: View): View {
  return { ...weight, shape: [weight.shape[1], weight.shape[0], weight.shape[2], weight.shape[3]], strides: [weight.strides[1], weight.strides[0], weight.strides[2], weight.strides[3]] };
}

/** Kernels.conv2d where a buffer is larger than one binding. */
export function largeConv2d(large: LargeKernels, x: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  const xView = wholeLike(x, [p.batch, p.inChannels, p.inHeight, p.inWidth]);
  const outView = wholeView(out, [p.batch, p.outChannels, p.outHeight, p.outWidth]);
  perGroup(p, xView, groupWeight(weightOf(p, weight)), outView, (xg, wg, og, gp) => {
    splitConv(large, 'conv2d', gp, [{ view: xg, first: N, second: C }, { view: groupWeight(wg), first: O, second: C }], { view: og, first: N, second: O }, C,
      (l, a, b, buffer, bp) => conv2dKernel(l.run, a, b, buffer, bp));
  });
}

/** Kernels.conv2dInputGrad where a buffer is larger than one binding. */
export function largeConv2dInputGrad(large: LargeKernels, gradOut: View, weight: View, out: BackendBuffer, p: Conv2dParams): void {
  const dx = wholeView(out, [p.batch, p.inChannels, p.inHeight, p.inWidth]);
  const grad = wholeLike(gradOut, [p.batch, p.outChannels, p.outHeight, p.outWidth]);
  perGroup(p, dx, groupWeight(weightOf(p, weight)), grad, (dxg, wg, gg, gp) => {
    splitConv(large, 'conv2dInputGrad', gp, [{ view: gg, first: N, second: O }, { view: groupWeight(wg), first: O, second: C }], { view: dxg, first: N, second: C }, O,
      (l, a, b, buffer, bp) => conv2dInputGradKernel(l.run, a, b, buffer, bp));
  });
}

/** Kernels.conv2dWeightGrad where a buffer is larger than one binding. */
export function largeConv2dWeightGrad(large: LargeKernels, x: View, gradOut: View, out: BackendBuffer, p: Conv2dParams): void {
  const xView = wholeLike(x, [p.batch, p.inChannels, p.inHeight, p.inWidth]);
  const dw = groupWeight(wholeView(out, [p.outChannels, p.inChannels / p.groups, p.kernelHeight, p.kernelWidth]));
  const grad = wholeLike(gradOut, [p.batch, p.outChannels, p.outHeight, p.outWidth]);
  perGroup(p, xView, dw, grad, (xg, dwg, gg, gp) => {
    splitConv(large, 'conv2dWeightGrad', gp, [{ view: xg, first: N, second: C }, { view: gg, first: N, second: O }], { view: groupWeight(dwg), first: O, second: C }, N,
      (l, a, b, buffer, bp) => conv2dWeightGradKernel(l.run, a, b, buffer, bp));
  });
}

// ── pooling: planes are independent ───────────────────────────────────────

// The block's run of planes of a flat output.
function region(large: LargeKernels, output: SplitOperand, block: Block, plane: number): View {
  return { ...large.restrict(output, block, null), shape: [block.shape[0] * plane], strides: [1] };
}

function planes(view: View, plane: number): SplitOperand {
  return { view, strides: [plane], dims: [0], span: plane, packable: true };
}

// Runs `kernel` on runs of planes whose pieces of every operand fit a window.
function forPlanes(
  large: LargeKernels,
  op: string,
  count: number,
  inputs: readonly { view: View; plane: number }[],
  outputs: readonly { buffer: BackendBuffer; plane: number }[],
  kernel: (inputs: View[], outputs: BackendBuffer[], planes: number) => void,
): void {
  const operands = [...inputs.map(({ view, plane }) => planes(view, plane)), ...outputs.map(({ buffer, plane }) => planes(wholeView(buffer, [buffer.length]), plane))];
  for (const block of large.plan(op, [count], operands)) {
    const views = inputs.map(({ plane }, k) => large.packed({ ...large.restrict(operands[k], block, k), shape: [block.shape[0], plane], strides: [plane, 1] }));
    const targets = outputs.map(({ plane }, k) => region(large, operands[inputs.length + k], block, plane));
    const run = (written: BackendBuffer[]): void => {
      if (written.length === targets.length) return kernel(views.map((v) => v.view), written, block.shape[0]);
      large.write(targets[written.length], (buffer) => run([...written, buffer]));
    };
    run([]);
    for (const view of views) view.release();
  }
}

/** Kernels.maxPool2d where a buffer is larger than one binding. */
export function largeMaxPool2d(large: LargeKernels, x: View, out: BackendBuffer, indices: BackendBuffer, p: Pool2dParams): void {
  const inPlane = p.inHeight * p.inWidth;
  const outPlane = p.outHeight * p.outWidth;
  forPlanes(large, 'maxPool2d', p.planes, [{ view: x, plane: inPlane }], [{ buffer: out, plane: outPlane }, { buffer: indices, plane: outPlane }],
    ([xv], [o, i], n) => maxPool2dKernel(large.run, xv, o, i, { ...p, planes: n }));
}

/** Kernels.maxPool2dGrad where a buffer is larger than one binding. */
export function largeMaxPool2dGrad(large: LargeKernels, gradOut: View, indices: View, out: BackendBuffer, p: Pool2dParams): void {
  const outPlane = p.outHeight * p.outWidth;
  forPlanes(large, 'maxPool2dGrad', p.planes, [{ view: gradOut, plane: outPlane }, { view: indices, plane: outPlane }], [{ buffer: out, plane: p.inHeight * p.inWidth }],
    ([g, i], [o], n) => maxPool2dGradKernel(large.run, g, i, o, { ...p, planes: n }));
}

/** Kernels.avgPool2d where a buffer is larger than one binding. */
export function largeAvgPool2d(large: LargeKernels, x: View, out: BackendBuffer, p: Pool2dParams): void {
  forPlanes(large, 'avgPool2d', p.planes, [{ view: x, plane: p.inHeight * p.inWidth }], [{ buffer: out, plane: p.outHeight * p.outWidth }],
    ([xv], [o], n) => avgPool2dKernel(large.run, xv, o, { ...p, planes: n }));
}

/** Kernels.avgPool2dGrad where a buffer is larger than one binding. */
export function largeAvgPool2dGrad(large: LargeKernels, gradOut: View, out: BackendBuffer, p: Pool2dParams): void {
  forPlanes(large, 'avgPool2dGrad', p.planes, [{ view: gradOut, plane: p.outHeight * p.outWidth }], [{ buffer: out, plane: p.inHeight * p.inWidth }],
    ([g], [o], n) => avgPool2dGradKernel(large.run, g, o, { ...p, planes: n }));
}

/** Kernels.adaptiveAvgPool2d where a buffer is larger than one binding. */
export function largeAdaptiveAvgPool2d(large: LargeKernels, x: View, out: BackendBuffer, p: AdaptivePool2dParams): void {
  forPlanes(large, 'adaptiveAvgPool2d', p.planes, [{ view: x, plane: p.inHeight * p.inWidth }], [{ buffer: out, plane: p.outHeight * p.outWidth }],
    ([xv], [o], n) => adaptiveAvgPool2dKernel(large.run, xv, o, { ...p, planes: n }));
}

/** Kernels.adaptiveAvgPool2dGrad where a buffer is larger than one binding. */
export function largeAdaptiveAvgPool2dGrad(large: LargeKernels, gradOut: View, out: BackendBuffer, p: AdaptivePool2dParams): void {
  forPlanes(large, 'adaptiveAvgPool2dGrad', p.planes, [{ view: gradOut, plane: p.outHeight * p.outWidth }], [{ buffer: out, plane: p.inHeight * p.inWidth }],
    ([g], [o], n) => adaptiveAvgPool2dGradKernel(large.run, g, o, { ...p, planes: n }));
}
