export { Tensor, type NestedArray } from './tensor.js';
export { type DType, type TypedArray, type TypedArrayOf, DTYPES, bytesPerElement, isFloating, promoteTypes, isDType } from './dtype.js';
export { type Shape, formatShape, sizeOf, contiguousStrides, isContiguous, broadcastShapes, normalizeDim, normalizeDims } from './shape.js';
export {
  FathomError, type FathomErrorKind, isFathomError, ShapeError, DTypeError, DeviceError, DataError, ValueError, IndexError, ReleasedTensorError,
} from './errors.js';
export type { Backend, BackendCapabilities, BackendMemoryStats } from './backend.js';
export { type Device, registerBackend, unregisterBackend, useDevice, defaultDevice, getBackend, registeredDevices } from './device.js';
export { memoryStats, memoryHolders, type MemoryStats } from './memory.js';
export type { MemoryHolder } from './memory-holders.js';
export { configureGarbageCollection, type GarbageCollector, type GarbageCollectionOptions } from './memory-pressure.js';
export { scope, scopeAsync, keep, isTensorLike } from './scope.js';
export { Generator, type GeneratorState, defaultGenerator, manualSeed } from './random/generator.js';
export { philox, randomAt } from './random/philox.js';
export { checkPerChannel, type Scalar } from './ops/operand.js';
export { cast, clone, contiguous } from './ops/copy.js';
export {
  neg, abs, sign, exp, expm1, log, log1p, sqrt, rsqrt, reciprocal, square, sin, cos, tanh, sigmoid, relu, gelu, softplus, silu, erf, floor, ceil, round, logicalNot,
  leakyRelu, elu, clamp,
} from './ops/unary.js';
export { add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalXor, reluBackward, type ScaledOptions } from './ops/binary.js';
export { where } from './ops/where.js';
export { sum, mean, prod, max, min, all, any, argmax, argmin, variance, std, logsumexp, type VarianceOptions } from './ops/reduce.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { matmul } from './ops/matmul.js';
export { conv2d, conv2dInputGrad, conv2dWeightGrad, type Conv2dOptions, type Pair } from './ops/conv2d.js';
export {
  maxPool2d, maxPool2dWithIndices, maxPool2dGrad, avgPool2d, avgPool2dGrad, adaptiveAvgPool2d, adaptiveAvgPool2dGrad, type Pool2dOptions,
} from './ops/pool2d.js';
export { view, reshape, flatten, squeeze, unsqueeze, permute, transpose, t, expand, slice, narrow, select, split, chunk, broadcastView } from './ops/view.js';
export { cat, stack } from './ops/join.js';
export { gather, scatterAdd, indexSelect, embedding, oneHot, triu, tril } from './ops/indexing.js';
export { pad } from './ops/pad.js';
export { sliceScatter, selectScatter } from './ops/scatter-view.js';
export { sgdStep_, type SgdStepOptions } from './ops/sgd-step.js';
export { channelAffine, type ChannelAffineOptions } from './ops/channel-affine.js';
export {
  batchNormTrain, batchNormTrainBackward, updateRunningStatistics, type BatchNormRunningStatistics, type BatchNormTrainGradients, type BatchNormTrainResult,
} from './ops/batch-norm.js';
export { eigh, type Eigh } from './ops/eigh.js';
export { symmetricEigen } from './linalg/symmetric-eigen.js';
export {
  tensor, full, zeros, ones, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, uniform, normal, randint, randperm, bernoulli,
  type CreationOptions, type RandomOptions, type TensorData,
} from './ops/creation.js';
export type { GradNode, GradHook, BackwardOptions } from './gradient-hook.js';
export { profile, profileAsync, Profiler } from './profiler.js';
export { captureStep, type CapturedStep, type CaptureMode, type CaptureStepOptions, type StepOutputs } from './capture/capture-step.js';
export { checkValues, type ValueCheck } from './capture/value-check.js';
export {
  ProfileResult, type ProfileEvent, type ProfileGpuEvent, type ProfileAllocation, type OpStats, type ProfileTableOptions, type ChromeTrace, type ChromeTraceEvent,
} from './profile-result.js';
