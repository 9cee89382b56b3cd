/**
 * `@fathom/core/backend`: what backend and gradient-engine authors need and
 * users do not. The Backend contract (`BACKEND_API_VERSION`, `Kernels`,
 * `View`, `BackendBuffer`, the kernels' parameter types), the geometry every
 * backend computes the same way before a kernel runs, the reference CPU
 * backend to check against or wrap, the messages backends put in their
 * out-of-memory errors, the `DeviceTimer` through which a backend gives the
 * profiler device times, and the gradient hook (`installGradientEngine`,
 * `recordOp`, the `RecordedOps` registry) that `@fathom/autograd` fills.
 *
 * ```ts
 * import { BACKEND_API_VERSION, type Backend, type Kernels } from '@fathom/core/backend';
 * ```
 *
 * Users write `useDevice(webgpu())` and import from `@fathom/core`.
 *
 * @module backend
 */
export {
  BACKEND_API_VERSION, coversBuffer, type Backend, type BackendBuffer, type BackendCapabilities, type BackendMemoryStats, type View, type Kernels,
  type UnaryOp, type UnaryParams, type BinaryOp, type ReduceOp, type ArgReduceOp, type Conv2dParams, type Pool2dParams, type AdaptivePool2dParams,
  type RandomSpec, type SgdStepParams, type ChannelAffineParams, type BatchNormParams, type BatchNormForwardParams, type LogSoftmaxParams,
} from './backend.js';
export type { DeviceTimer, DeviceSpan, DeviceSpanSink } from './profiler-hook.js';
export { Storage } from './storage.js';
export { isSoleFreshHandle } from './sole-handle.js';
export { createCpuBackend } from './cpu/cpu-backend.js';
export {
  collapseDims, splitReducedDims, foldMatmulBatches, type StridedShape, type ReducedDims, type MatmulGeometry,
} from './kernel-geometry.js';
export { describeMemoryHolders, formatBytes } from './memory-holders.js';
export { unary } from './ops/unary.js';
export { binary, operands } from './ops/binary.js';
export { conv2dParams } from './ops/conv2d.js';
export { pool2dParams } from './ops/pool2d.js';
export {
  type GradientEngine, type GradNode, type GradHook, type BackwardOptions, installGradientEngine, gradientEngine, recordOp, withoutRecording,
  type RecordedAttrsArgument,
} from './gradient-hook.js';
export type {
  RecordedOps, RecordedOp, NoAttrs, UnaryAttrs, ScaledAttrs, ReduceAttrs, SliceAttrs, SelectAttrs, SliceScatterAttrs, DimAttrs, Pool2dAttrs,
} from './recorded-ops.js';
