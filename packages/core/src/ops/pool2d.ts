import type { AdaptivePool2dParams, Pool2dParams } from '../backend.js';
import { isFloating } from '../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { formatShape, sameShape, type Shape } from '../shape.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { pair, type Pair } from './conv2d.js';
import { contiguous } from './copy.js';

/** Options of the pooling ops, with PyTorch's defaults (stride defaults to the kernel size). */
export interface Pool2dOptions {
  readonly stride?: Pair;
  readonly padding?: Pair;
  /** maxPool2d only. */
  readonly dilation?: Pair;
  /** Round the output size up, letting the last window hang over the edge (it must start inside the input or left padding). */
  readonly ceilMode?: boolean;
  /** avgPool2d only: count padding zeros in the divisor (default true, as in PyTorch). */
  readonly countIncludePad?: boolean;
}

function outputSize(size: number, kernel: number, stride: number, padding: number, dilation: number, ceilMode: boolean): number {
  const span = size + 2 * padding - dilation * (kernel - 1) - 1;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // PyTorch: the last window must start inside the input or the left padding.
  if (ceilMode && (out - 1) * stride >= size + padding) out--;
  return out;
}

/** Resolves pooling options against an (N, C, H, W) or (C, H, W) shape. */
export function pool2dParams(op: string, input: Shape, kernelSize: Pair, options: Pool2dOptions): Pool2dParams {
  if (input.length !== 4 && input.length !== 3) throw new ShapeError(`${op}: input must be (N, C, H, W) or (C, H, W), got ${formatShape(input)}`);
  const [kernelHeight, kernelWidth] = pair(op, 'kernelSize', kernelSize, 1);
  const [strideHeight, strideWidth] = pair(op, 'stride', options.stride ?? [kernelHeight, kernelWidth], 1);
  const [padHeight, padWidth] = pair(op, 'padding', options.padding ?? 0, 0);
  const [dilationHeight, dilationWidth] = pair(op, 'dilation', options.dilation ?? 1, 1);
  if (padHeight * 2 > kernelHeight || padWidth * 2 > kernelWidth) {
    throw new ValueError(`${op}: padding ${padHeight}×${padWidth} must be at most half the kernel ${kernelHeight}×${kernelWidth}`);
  }
  const inHeight = input[input.length - 2];
  const inWidth = input[input.length - 1];
  const ceilMode = options.ceilMode ?? false;
  const outHeight = outputSize(inHeight, kernelHeight, strideHeight, padHeight, dilationHeight, ceilMode);
  const outWidth = outputSize(inWidth, kernelWidth, strideWidth, padWidth, dilationWidth, ceilMode);
  if (outHeight <= 0 || outWidth <= 0) {
    throw new ShapeError(`${op}: kernel ${kernelHeight}×${kernelWidth} does not fit input ${formatShape(input)} with padding ${padHeight}×${padWidth}`);
  }
  const planes = input.slice(0, -2).reduce((p, d) => p * d, 1);
  return {
    planes, inHeight, inWidth, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth,
    padHeight, padWidth, dilationHeight, dilationWidth, countIncludePad: options.countIncludePad ?? true,
  };
}

function checkFloat(op: string, x: Tensor): void {
  if (!isFloating(x.dtype)) throw new DTypeError(`${op}: expects a float tensor, got ${x.dtype}`);
}

/** Max pooling that also returns, per output, the flat index `h·W + w` of the chosen input in its plane (PyTorch's `return_indices`). */
export function maxPool2dWithIndices(x: Tensor, kernelSize: Pair, options: Pool2dOptions = {}): { output: Tensor; indices: Tensor } {
  checkFloat('maxPool2d', x);
  const p = pool2dParams('maxPool2d', x.shape, kernelSize, options);
  const shape = [...x.shape.slice(0, -2), p.outHeight, p.outWidth];
  const output = x.newZeros(shape);
  const indices = x.newZeros(shape, 'int32');
  withoutRecording(() => scope(() => x.backend.kernels.maxPool2d(contiguous(x).layout(), output.layout().buffer, indices.layout().buffer, p)));
  recordOp('maxPool2d', [x], output, { indices, kernelSize, options });
  return { output, indices };
}

/**
 * Max pooling over (N, C, H, W) or (C, H, W) input.
 *
 * ```ts
 * maxPool2d(x, 2); // halves H and W
 * ```
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, options: Pool2dOptions = {}): Tensor {
  const { output, indices } = maxPool2dWithIndices(x, kernelSize, options);
  indices.dispose();
  return output;
}

/** Gradient of max pooling: routes `gradOut` to the inputs named by `indices`, giving a tensor of `inputShape`. */
export function maxPool2dGrad(gradOut: Tensor, indices: Tensor, inputShape: Shape, kernelSize: Pair, options: Pool2dOptions = {}): Tensor {
  checkFloat('maxPool2dGrad', gradOut);
  const p = pool2dParams('maxPool2dGrad', inputShape, kernelSize, options);
  checkSameShape('maxPool2dGrad', gradOut, indices);
  const out = gradOut.newZeros(inputShape);
  scope(() => gradOut.backend.kernels.maxPool2dGrad(contiguous(gradOut).layout(), contiguous(indices).layout(), out.layout().buffer, p));
  return out;
}

/** Average pooling over (N, C, H, W) or (C, H, W) input (`countIncludePad` defaults to true, as in PyTorch). */
export function avgPool2d(x: Tensor, kernelSize: Pair, options: Pool2dOptions = {}): Tensor {
  checkFloat('avgPool2d', x);
  const p = pool2dParams('avgPool2d', x.shape, kernelSize, options);
  const out = x.newZeros([...x.shape.slice(0, -2), p.outHeight, p.outWidth]);
  withoutRecording(() => scope(() => x.backend.kernels.avgPool2d(contiguous(x).layout(), out.layout().buffer, p)));
  return recordOp('avgPool2d', [x], out, { kernelSize, options });
}

/** Gradient of average pooling with respect to its input of `inputShape`. */
export function avgPool2dGrad(gradOut: Tensor, inputShape: Shape, kernelSize: Pair, options: Pool2dOptions = {}): Tensor {
  checkFloat('avgPool2dGrad', gradOut);
  const p = pool2dParams('avgPool2dGrad', inputShape, kernelSize, options);
  const out = gradOut.newZeros(inputShape);
  scope(() => gradOut.backend.kernels.avgPool2dGrad(contiguous(gradOut).layout(), out.layout().buffer, p));
  return out;
}

function adaptiveParams(op: string, input: Shape, outputSize: Pair): AdaptivePool2dParams {
  if (input.length !== 4 && input.length !== 3) throw new ShapeError(`${op}: input must be (N, C, H, W) or (C, H, W), got ${formatShape(input)}`);
  const [outHeight, outWidth] = pair(op, 'outputSize', outputSize, 1);
  return {
    planes: input.slice(0, -2).reduce((p, d) => p * d, 1),
    inHeight: input[input.length - 2],
    inWidth: input[input.length - 1],
    outHeight,
    outWidth,
  };
}

/**
 * Average pooling to a fixed output size (`torch.nn.AdaptiveAvgPool2d`): cell
 * (i, j) averages rows ⌊i·H/OH⌋ to ⌈(i+1)·H/OH⌉ and likewise columns.
 *
 * ```ts
 * adaptiveAvgPool2d(features, 1); // global average pooling, (N, C, 1, 1)
 * ```
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  checkFloat('adaptiveAvgPool2d', x);
  const p = adaptiveParams('adaptiveAvgPool2d', x.shape, outputSize);
  const out = x.newZeros([...x.shape.slice(0, -2), p.outHeight, p.outWidth]);
  withoutRecording(() => scope(() => x.backend.kernels.adaptiveAvgPool2d(contiguous(x).layout(), out.layout().buffer, p)));
  return recordOp('adaptiveAvgPool2d', [x], out, { outputSize });
}

/** Gradient of {@link adaptiveAvgPool2d} with respect to its input of `inputShape`. */
export function adaptiveAvgPool2dGrad(gradOut: Tensor, inputShape: Shape): Tensor {
  checkFloat('adaptiveAvgPool2dGrad', gradOut);
  const p = adaptiveParams('adaptiveAvgPool2dGrad', inputShape, [gradOut.shape[gradOut.ndim - 2], gradOut.shape[gradOut.ndim - 1]]);
  const out = gradOut.newZeros(inputShape);
  scope(() => gradOut.backend.kernels.adaptiveAvgPool2dGrad(contiguous(gradOut).layout(), out.layout().buffer, p));
  return out;
}

function checkSameShape(op: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new ShapeError(`${op}: gradOut ${formatShape(a.shape)} and indices ${formatShape(b.shape)} must have one shape`);
  }
}

