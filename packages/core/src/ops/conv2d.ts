import type { Conv2dParams } from '../backend.js';
import { isFloating } from '../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { formatShape, type Shape } from '../shape.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';
import { commonBackend } from './operand.js';
import { reshape, unsqueeze } from './view.js';

/** A size given once for both spatial dims, or as `[height, width]`. */
export type Pair = number | readonly [number, number];

/** Options of {@link conv2d}, with PyTorch's defaults. */
export interface Conv2dOptions {
  /** Added to each output channel, shape (O). */
  readonly bias?: Tensor;
  readonly stride?: Pair;
  /** Zero padding on each side, or `'same'` (stride 1 only) / `'valid'` (no padding). */
  readonly padding?: Pair | 'same' | 'valid';
  readonly dilation?: Pair;
  readonly groups?: number;
}

/** Reads a {@link Pair} as `[height, width]`, checking it is made of integers ≥ `least`. */
export function pair(op: string, name: string, value: Pair, least: number): [number, number] {
  const [h, w] = typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < least || w < least) {
    throw new ValueError(`${op}: ${name} must be integers ≥ ${least}, got ${JSON.stringify(value)}`);
  }
  return [h, w];
}

/** Resolves options and shapes into the kernel's geometry, with errors that name the shapes. */
export function conv2dParams(op: string, input: Shape, weight: Shape, options: Conv2dOptions): Conv2dParams {
  if (input.length !== 4) throw new ShapeError(`${op}: input must be (N, C, H, W), got ${formatShape(input)}`);
  if (weight.length !== 4) throw new ShapeError(`${op}: weight must be (O, C/groups, kH, kW), got ${formatShape(weight)}`);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${op}: groups must be a positive integer, got ${groups}`);
  const [batch, inChannels, inHeight, inWidth] = input;
  const [outChannels, perGroup, kernelHeight, kernelWidth] = weight;
  if (inChannels % groups !== 0 || outChannels % groups !== 0 || perGroup * groups !== inChannels) {
    throw new ShapeError(
      `${op}: weight ${formatShape(weight)} with groups=${groups} expects input with ${perGroup * groups} channels (and channels divisible by groups), got input ${formatShape(input)}`,
    );
  }
  const [strideHeight, strideWidth] = pair(op, 'stride', options.stride ?? 1, 1);
  const [dilationHeight, dilationWidth] = pair(op, 'dilation', options.dilation ?? 1, 1);
  let padHeight: number;
  let padWidth: number;
  const padding = options.padding ?? 0;
  if (padding === 'valid') [padHeight, padWidth] = [0, 0];
  else if (padding === 'same') {
    if (strideHeight !== 1 || strideWidth !== 1) throw new ValueError(`${op}: padding 'same' needs stride 1, got stride ${JSON.stringify(options.stride)}`);
    const totalH = dilationHeight * (kernelHeight - 1);
    const totalW = dilationWidth * (kernelWidth - 1);
    if (totalH % 2 !== 0 || totalW % 2 !== 0) {
      throw new ValueError(`${op}: padding 'same' with an even effective kernel ${kernelHeight}×${kernelWidth} needs asymmetric padding; pad explicitly with pad()`);
    }
    [padHeight, padWidth] = [totalH / 2, totalW / 2];
  } else [padHeight, padWidth] = pair(op, 'padding', padding, 0);
  const outHeight = Math.floor((inHeight + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight) + 1;
  const outWidth = Math.floor((inWidth + 2 * padWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth) + 1;
  if (outHeight <= 0 || outWidth <= 0) {
    throw new ShapeError(
      `${op}: kernel ${kernelHeight}×${kernelWidth} (dilation ${dilationHeight}×${dilationWidth}) is larger than the padded input ${inHeight + 2 * padHeight}×${inWidth + 2 * padWidth} of ${formatShape(input)}`,
    );
  }
  return {
    batch, inChannels, inHeight, inWidth, outChannels, outHeight, outWidth, kernelHeight, kernelWidth,
    strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth, groups,
  };
}

function checkFloat(op: string, tensors: readonly Tensor[]): void {
  const dtype = tensors[0].dtype;
  if (!isFloating(dtype) || tensors.some((t) => t.dtype !== dtype)) {
    throw new DTypeError(`${op}: expects float tensors of one dtype, got ${tensors.map((t) => t.dtype).join(', ')}`);
  }
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch) of an (N, C, H, W) or
 * (C, H, W) input with (O, C/groups, kH, kW) weights.
 *
 * ```ts
 * conv2d(randn([1, 3, 32, 32]), randn([16, 3, 3, 3]), { padding: 1 }); // [1, 16, 32, 32]
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, options: Conv2dOptions = {}): Tensor {
  const backend = commonBackend('conv2d', options.bias ? [x, weight, options.bias] : [x, weight]);
  checkFloat('conv2d', options.bias ? [x, weight, options.bias] : [x, weight]);
  if (x.ndim === 3) return scope(() => conv2d(unsqueeze(x, 0), weight, options).squeeze(0));
  const params = conv2dParams('conv2d', x.shape, weight.shape, options);
  if (options.bias && (options.bias.ndim !== 1 || options.bias.shape[0] !== params.outChannels)) {
    throw new ShapeError(`conv2d: bias must have shape [${params.outChannels}], got ${formatShape(options.bias.shape)}`);
  }
  const out = x.newZeros([params.batch, params.outChannels, params.outHeight, params.outWidth]);
  const { bias, ...geometry } = options;
  const fused = bias ? backend.kernels.conv2dWithBias : undefined;
  withoutRecording(() => scope(() => {
    const [xView, weightView] = [contiguous(x).layout(), contiguous(weight).layout()];
    if (fused && bias) fused.call(backend.kernels, xView, weightView, contiguous(bias).layout(), out.layout().buffer, params);
    else backend.kernels.conv2d(xView, weightView, out.layout().buffer, params);
  }));
  if (fused && bias) return recordOp('conv2d', [x, weight, bias], out, { options: geometry });
  recordOp('conv2d', [x, weight], out, { options: geometry });
  if (!bias) return out;
  return scope(() => out.add(reshape(bias, [params.outChannels, 1, 1])));
}

/** Gradient of {@link conv2d} with respect to its input of `inputShape`, given the output gradient. */
export function conv2dInputGrad(gradOut: Tensor, weight: Tensor, inputShape: Shape, options: Conv2dOptions = {}): Tensor {
  const backend = commonBackend('conv2dInputGrad', [gradOut, weight]);
  checkFloat('conv2dInputGrad', [gradOut, weight]);
  const params = conv2dParams('conv2dInputGrad', inputShape, weight.shape, options);
  checkGradShape('conv2dInputGrad', gradOut, params);
  return scope(() => {
    const out = gradOut.newZeros(inputShape);
    backend.kernels.conv2dInputGrad(contiguous(gradOut).layout(), contiguous(weight).layout(), out.layout().buffer, params);
    return out;
  });
}

/** Gradient of {@link conv2d} with respect to its weight of `weightShape`, given the input and the output gradient. */
export function conv2dWeightGrad(x: Tensor, gradOut: Tensor, weightShape: Shape, options: Conv2dOptions = {}): Tensor {
  const backend = commonBackend('conv2dWeightGrad', [x, gradOut]);
  checkFloat('conv2dWeightGrad', [x, gradOut]);
  const params = conv2dParams('conv2dWeightGrad', x.shape, weightShape, options);
  checkGradShape('conv2dWeightGrad', gradOut, params);
  return scope(() => {
    const out = x.newZeros(weightShape);
    backend.kernels.conv2dWeightGrad(contiguous(x).layout(), contiguous(gradOut).layout(), out.layout().buffer, params);
    return out;
  });
}

function checkGradShape(op: string, gradOut: Tensor, p: Conv2dParams): void {
  const expected = [p.batch, p.outChannels, p.outHeight, p.outWidth];
  if (gradOut.ndim !== 4 || gradOut.shape.some((size, i) => size !== expected[i])) {
    throw new ShapeError(`${op}: gradOut must have the output shape ${formatShape(expected)}, got ${formatShape(gradOut.shape)}`);
  }
}
