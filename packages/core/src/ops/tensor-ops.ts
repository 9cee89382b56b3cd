// The op functions Tensor's methods call. Creation ops are not here: they
// construct tensors, and tensor.ts must not import what imports it.
export { resolveDim, commonBackend } from './operand.js';
export { broadcastShapes } from '../shape.js';
export { cast, clone, contiguous } from './copy.js';
export * from './unary.js';
export * from './binary.js';
export { where } from './where.js';
export { sum, mean, prod, max, min, all, any, argmax, argmin, variance, std, logsumexp } from './reduce.js';
export { softmax, logSoftmax } from './softmax.js';
export { matmul } from './matmul.js';
export { conv2d } from './conv2d.js';
export { broadcastView, view, reshape, flatten, squeeze, unsqueeze, permute, transpose, t, expand, slice, narrow, select, split, chunk } from './view.js';
export { gather, scatterAdd, indexSelect, triu, tril } from './indexing.js';
