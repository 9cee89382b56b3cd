import type { DType, TypedArray } from './dtype.js';
import { isContiguous, sizeOf, type Shape } from './shape.js';
import type { DeviceTimer } from './profiler-hook.js';

/**
 * The version of the {@link Backend} contract this copy of core speaks. 2:
 * `Kernels.binary` takes `alpha` (a version-1 backend would ignore it and
 * compute `a + b`).
 */
export const BACKEND_API_VERSION = 2;

/** A block of device memory holding `length` elements of `dtype`. Each backend extends it with its own handle. */
export interface BackendBuffer {
  readonly dtype: DType;
  readonly length: number;
}

/**
 * A strided window on a buffer: element `[i0, i1, …]` lives at
 * `offset + i0*strides[0] + i1*strides[1] + …`. A stride of 0 repeats an
 * element, which is how broadcast operands reach kernels without copies.
 */
export interface View {
  readonly buffer: BackendBuffer;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * Whether `view` covers its whole buffer, row-major from its first element:
 * a kernel writing it writes every element of the buffer (so a buffer that
 * owes its zeros need not be cleared first), and a kernel reading it reads
 * the buffer as one flat array.
 */
export function coversBuffer(view: View): boolean {
  return view.offset === 0 && sizeOf(view.shape) === view.buffer.length && isContiguous(view.shape, view.strides);
}

/** Elementwise functions of one operand. */
export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'expm1' | 'log' | 'log1p' | 'sqrt' | 'rsqrt' | 'reciprocal' | 'square'
  | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'gelu' | 'softplus' | 'silu' | 'erf'
  | 'floor' | 'ceil' | 'round' | 'logicalNot' | 'leakyRelu' | 'elu' | 'clamp';

/** Scalars some unary ops take: `alpha` for leakyRelu (negative slope) and elu, `min`/`max` for clamp (±Infinity when absent). */
export interface UnaryParams {
  readonly alpha: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Elementwise functions of two broadcast operands. Comparisons and logical
 * ops write `bool`; `reluBackward` is `b > 0 ? a : 0` (ReLU's gradient `a`
 * through its output `b`, in one pass).
 */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logicalAnd' | 'logicalOr' | 'logicalXor' | 'reluBackward';

/** Reductions over a set of dimensions. */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'all' | 'any';

/** Reductions that return the index of the extreme element along one dimension (first one on ties, as PyTorch on CPU). */
export type ArgReduceOp = 'argmax' | 'argmin';

/** Geometry of a 2-D convolution over NCHW input and OIHW weights (O = outChannels, I = inChannels / groups). */
export interface Conv2dParams {
  readonly batch: number;
  readonly inChannels: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly outChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padHeight: number;
  readonly padWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly groups: number;
}

/** Geometry of a 2-D pooling window over NCHW input (`channels` counts N·C planes pooled independently). */
export interface Pool2dParams {
  readonly planes: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padHeight: number;
  readonly padWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  /** avgPool2d only: divide by the whole window, padding included, instead of the in-image part. */
  readonly countIncludePad: boolean;
}

/** Geometry of adaptive average pooling: output cell (i, j) averages rows ⌊i·H/OH⌋…⌈(i+1)·H/OH⌉ and likewise columns. */
export interface AdaptivePool2dParams {
  readonly planes: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly outHeight: number;
  readonly outWidth: number;
}

/**
 * What {@link Kernels.randomFill} draws. Element `i` of the output is a pure
 * function of `(seed, offset + i)` through Philox-4x32-10, so every backend
 * produces the same stream (see `random/philox.ts` for the exact recipe).
 */
export interface RandomSpec {
  readonly distribution: 'uniform' | 'normal';
  /** Low and high 32 bits of the 64-bit Philox key. */
  readonly seed: readonly [number, number];
  /** Counter of the first element. */
  readonly offset: number;
  /** uniform: [a, b); normal: mean a, standard deviation b. */
  readonly a: number;
  readonly b: number;
}

/**
 * The hyper-parameters of one {@link Kernels.sgdStep}: PyTorch's SGD, in
 * camelCase. `firstStep` says the momentum buffer holds no velocity yet, so
 * it takes the gradient instead of a blend.
 */
export interface SgdStepParams {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly maximize: boolean;
  readonly firstStep: boolean;
}

/**
 * The layout {@link Kernels.channelAffine} walks: `outer` blocks of
 * `channels` runs of `inner` contiguous elements (an (N, C, H, W) tensor is
 * N, C and H·W), every run scaled by its channel's values.
 */
export interface ChannelAffineParams {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
}

/**
 * What {@link Kernels.batchNorm} and {@link Kernels.batchNormBackward} walk:
 * {@link ChannelAffineParams}' layout, the statistics of each channel taken
 * over its `outer · inner` elements, and the `eps` added to the variance.
 */
export interface BatchNormParams extends ChannelAffineParams {
  readonly eps: number;
}

/** {@link BatchNormParams} and the weight of this batch's statistics in the running ones (read only where those are updated). */
export interface BatchNormForwardParams extends BatchNormParams {
  readonly momentum: number;
}

/**
 * The layout {@link Kernels.logSoftmax} walks: `outer` blocks of `size`
 * slices of `inner` elements, each run of `size` elements `inner` apart one
 * softmax (the reduced dim in the middle).
 */
export interface LogSoftmaxParams {
  readonly outer: number;
  readonly size: number;
  readonly inner: number;
}

/**
 * One kernel per primitive op. Outputs are fresh contiguous buffers sized by
 * core; inputs are views (possibly strided or broadcast) unless a kernel says
 * it takes contiguous input. Adding a member here makes every backend fail to
 * type-check until it implements it — on purpose. The optional members are
 * fused kernels for composites (`sgdStep`, `channelAffine`, `batchNorm`, `batchNormBackward`,
 * `conv2dWithBias`, `logSoftmax`):
 * core runs the composite's separate ops on a backend without them.
 */
export interface Kernels {
  /** Sets every element of `out` to `value`. */
  fill(out: BackendBuffer, value: number): void;
  /** Copies `src` into the same-shaped `dst` (any strides, non-overlapping), converting dtype. */
  copy(src: View, dst: View): void;
  /** `out = op(x)` elementwise; `out` is contiguous of `x.shape`. */
  unary(op: UnaryOp, x: View, out: BackendBuffer, params: UnaryParams): void;
  /**
   * `out = op(a, b)`; `a` and `b` are already broadcast to `out`'s shape (zero
   * strides). For `add` and `sub` of floats, `alpha` (1 when absent) scales
   * `b` first: `a ± (alpha·b)`, the product rounded to the dtype before the
   * sum where the backend controls it (a GPU compiler may fuse the two);
   * PyTorch's `add(a, b, alpha=…)`. Other ops never receive it.
   */
  binary(op: BinaryOp, a: View, b: View, out: BackendBuffer, alpha?: number): void;
  /** `out = cond ? a : b`; all three broadcast to `out`'s shape. */
  where(cond: View, a: View, b: View, out: BackendBuffer): void;
  /** Reduces `dims` (sorted) of `x`; `out` holds the remaining dims in order. An empty reduction gives the op's identity. */
  reduce(op: ReduceOp, x: View, dims: readonly number[], out: BackendBuffer): void;
  /** Index (int32) of the extreme element along `dim`; `out` holds the remaining dims. */
  argReduce(op: ArgReduceOp, x: View, dim: number, out: BackendBuffer): void;
  /** Batched matrix product: `a` `[...B, M, K]`, `b` `[...B, K, N]` with the same (broadcast) batch dims, `out` `[...B, M, N]`. */
  matmul(a: View, b: View, out: BackendBuffer): void;
  /** NCHW convolution; `x` and `w` contiguous. */
  conv2d(x: View, weight: View, out: BackendBuffer, params: Conv2dParams): void;
  /**
   * Optional, fused: conv2d with `bias` (O, contiguous) added to each output
   * channel as the output is written, instead of a separate `add` pass over
   * it. Without it core adds the bias as a separate op.
   */
  conv2dWithBias?(x: View, weight: View, bias: View, out: BackendBuffer, params: Conv2dParams): void;
  /** Gradient of conv2d with respect to its input, from `gradOut` (N, O, OH, OW) and `w`; contiguous inputs. */
  conv2dInputGrad(gradOut: View, weight: View, out: BackendBuffer, params: Conv2dParams): void;
  /** Gradient of conv2d with respect to its weight, from `x` and `gradOut`; contiguous inputs. */
  conv2dWeightGrad(x: View, gradOut: View, out: BackendBuffer, params: Conv2dParams): void;
  /** Max pooling of contiguous `x`; writes the max to `out` and its flat in-plane index (int32, PyTorch's convention) to `indices`. */
  maxPool2d(x: View, out: BackendBuffer, indices: BackendBuffer, params: Pool2dParams): void;
  /** Routes `gradOut` to the input positions in `indices`; `out` is zero-filled by the kernel. */
  maxPool2dGrad(gradOut: View, indices: View, out: BackendBuffer, params: Pool2dParams): void;
  /** Average pooling of contiguous `x`. */
  avgPool2d(x: View, out: BackendBuffer, params: Pool2dParams): void;
  /** Gradient of avgPool2d; `out` is zero-filled by the kernel. */
  avgPool2dGrad(gradOut: View, out: BackendBuffer, params: Pool2dParams): void;
  /** Adaptive average pooling of contiguous `x`. */
  adaptiveAvgPool2d(x: View, out: BackendBuffer, params: AdaptivePool2dParams): void;
  /** Gradient of adaptiveAvgPool2d; `out` is zero-filled by the kernel. */
  adaptiveAvgPool2dGrad(gradOut: View, out: BackendBuffer, params: AdaptivePool2dParams): void;
  /** `out[…i…] = x[…index[…i…]…]` along `dim`; `index` (int32) has `out`'s shape and is in range. */
  gather(x: View, dim: number, index: View, out: BackendBuffer): void;
  /** `out[…index[…i…]…] += src[…i…]` along `dim`; `out` (contiguous) already holds the base values. */
  scatterAdd(out: BackendBuffer, outShape: Shape, dim: number, index: View, src: View): void;
  /** Fills a float buffer with random numbers. */
  randomFill(out: BackendBuffer, spec: RandomSpec): void;
  /**
   * Optional, fused: one SGD update of every element, in place. `param`,
   * `grad` and `momentum` (null without momentum) are whole buffers of one
   * float dtype and one length, no two the same. Per element, each
   * operation rounded to the dtype in this order, as the separate ops of
   * core's composite (`sgdStep_`) round them:
   * ```text
   * g ← −grad if maximize, else grad;   g ← g + round(weightDecay·param) if weightDecay ≠ 0
   * b ← g if firstStep, else round(g·(1 − dampening)) + round(momentum·b)   (momentum ≠ 0; g unscaled when dampening is 0)
   * g ← g + round(momentum·b) if nesterov, else b                           (momentum ≠ 0)
   * param ← param + round(−lr·g)
   * ```
   * with each scalar rounded to the dtype first. A GPU compiler may fuse a
   * product into its sum. Without it core runs the composite.
   */
  sgdStep?(param: BackendBuffer, grad: BackendBuffer, momentum: BackendBuffer | null, params: SgdStepParams): void;
  /**
   * Optional, fused: `out = a·alpha[c] + b·beta[c] + gamma[c]` for the
   * element of channel c, `alpha` 1 and `b`/`beta` and `gamma` absent when null; all whole
   * buffers of one float dtype, `a`, `b` and `out` laid out as `params`
   * says, `alpha`, `beta` and `gamma` one value a channel. Each product and
   * sum rounded to the dtype in that order, as core's composite
   * (`channelAffine`) rounds its separate ops. BatchNorm's output and input
   * gradient are made of it. Without it core runs the composite.
   */
  channelAffine?(a: BackendBuffer, alpha: BackendBuffer | null, b: BackendBuffer | null, beta: BackendBuffer | null, gamma: BackendBuffer | null, out: BackendBuffer, params: ChannelAffineParams): void;
  /**
   * Optional, fused: training-mode batch normalization (PyTorch's
   * `native_batch_norm`). Writes each channel's `mean` and biased `variance`
   * (C values each) over its `outer · inner` elements of `x`, and
   * `out = (x − mean)·scale + bias[c]` with `scale = weight[c] / √(variance + eps)`
   * (`weight` and `bias` absent when null). All whole buffers of one float
   * dtype, `x` and `out` laid out as `params` says. The sums run in any
   * order and are rounded to the dtype; every other operation is rounded as core's
   * composite (`batchNormTrain`) rounds its separate ops: `x − mean`, its
   * square, the quotients by the count, `variance + eps`, the reciprocal
   * square root, `·weight`, then `channelAffine`'s product and sum. Unless
   * null, `runningMean` and `runningVar` (C each) are updated in place:
   * `running·(1 − momentum) + momentum·statistic`, the variance unbiased
   * (`·count/(count − 1)`, in the scalar), each product and the sum rounded
   * as `running.mul(1 − momentum).add(statistic, { alpha })` rounds them.
   * Without it core runs the composite.
   */
  batchNorm?(
    x: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, variance: BackendBuffer,
    runningMean: BackendBuffer | null, runningVar: BackendBuffer | null, params: BatchNormForwardParams,
  ): void;
  /**
   * Optional, fused: the gradients of {@link batchNorm} from `grad` (laid
   * out as `x`) and the forward's `mean` and `variance` (PyTorch's
   * `native_batch_norm_backward`): `gradBias = Σ grad`, `gradWeight =
   * Σ grad·(x − mean) · invstd` per channel, and unless `gradInput` is null
   * `gradInput = grad·scale − (x − mean)·(invstd·mean(grad·x̂))·scale − mean(grad)·scale`,
   * with `invstd = 1/√(variance + eps)`, `scale = invstd·weight[c]` (invstd
   * without a weight) and `mean(·)` a channel's sum over the count. The sums
   * in any order, each rounded to the dtype; the rest rounded as core's composite
   * (`batchNormTrainBackward`) rounds its ops. Without it core runs the composite.
   */
  batchNormBackward?(
    grad: BackendBuffer, x: BackendBuffer, mean: BackendBuffer, variance: BackendBuffer, weight: BackendBuffer | null,
    gradInput: BackendBuffer | null, gradWeight: BackendBuffer, gradBias: BackendBuffer, params: BatchNormParams,
  ): void;
  /**
   * Optional, fused: log-softmax of each run of `x` (a whole buffer of one
   * float dtype, laid out as `params` says) into `out`: `x − m − log Σ
   * exp(x − m)` with `m` the run's max, or 0 where that max is ±∞ (so a run
   * of all −∞ gives NaN, as PyTorch). Without it core runs the composite
   * (`max`, `exp`, `sum`, `log` and the subtractions).
   */
  logSoftmax?(x: BackendBuffer, out: BackendBuffer, params: LogSoftmaxParams): void;
}

/** What a backend can do; core checks requests against it before calling a kernel. */
export interface BackendCapabilities {
  /** The dtypes its buffers hold. */
  readonly dtypes: readonly DType[];
  /** The most elements one buffer may hold. */
  readonly maxBufferElements: number;
  /** Whether {@link Backend.readSync} exists (lets `toString()` print values). */
  readonly syncRead: boolean;
}

/** Memory a backend holds right now. */
export interface BackendMemoryStats {
  /** Buffers allocated and not released. */
  readonly buffers: number;
  /** Bytes in those buffers. */
  readonly bytes: number;
}

/**
 * The contract a device implements: memory management plus {@link Kernels}.
 * Composite ops (softmax, layerNorm, crossEntropy…) are built in core from
 * these primitives, so a backend that implements this interface runs all of
 * Fathom. Check one with `runConformance` from `@fathom/core/testing`.
 */
export interface Backend {
  /** Device name tensors report, e.g. `'cpu'`, `'webgpu'`. */
  readonly name: string;
  /** Must equal {@link BACKEND_API_VERSION} of the core it registers with. */
  readonly apiVersion: number;
  readonly capabilities: BackendCapabilities;
  readonly kernels: Kernels;
  /** A zeroed buffer of `length` elements. */
  allocate(dtype: DType, length: number): BackendBuffer;
  /** Writes `data` (same dtype and length) into `buffer`. */
  upload(buffer: BackendBuffer, data: TypedArray): void;
  /** Resolves with a copy of the buffer's elements once queued work has finished. */
  read(buffer: BackendBuffer): Promise<TypedArray>;
  /** Synchronous read, only where `capabilities.syncRead`. */
  readSync?(buffer: BackendBuffer): TypedArray;
  /** Returns the buffer's memory to the backend; the buffer must not be used again. */
  release(buffer: BackendBuffer): void;
  /** Submits queued work without waiting. */
  flush(): void;
  /** Resolves when all queued work has finished. */
  sync(): Promise<void>;
  /** Buffers and bytes the backend holds now. */
  memory(): BackendMemoryStats;
  /** Releases the device itself (Dawn keeps the process alive until then). */
  destroy(): Promise<void>;
  /** Times kernels on the device itself, for the profiler (webgpu's timestamp queries); absent where only host times exist. */
  readonly deviceTimer?: DeviceTimer;
  /**
   * Called by the profiler with `true` when it starts recording and `false`
   * when it stops. A backend that runs kernels on another thread after their
   * call returns, with no device clock (wasm's kernel queue), runs each at
   * its call while on, so that the call's host time is the kernel's.
   */
  timeKernelsOnHost?(on: boolean): void;
}
