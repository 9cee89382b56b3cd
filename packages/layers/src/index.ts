export { Module, type LoadResult } from './module.js';
export * as init from './init.js';
export { Linear, linear, type LinearOptions } from './layers/linear.js';
export { Conv2d, type Conv2dLayerOptions } from './layers/conv2d.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './layers/pooling.js';
export { ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, Flatten, Identity } from './layers/activations.js';
export { Dropout, Dropout2d, dropout } from './layers/dropout.js';
export { BatchNorm1d, BatchNorm2d, batchNorm, LayerNorm, layerNorm, type BatchNormOptions } from './layers/normalization.js';
export { Embedding } from './layers/embedding.js';
export { Sequential, ModuleList, ModuleDict } from './layers/containers.js';
export { type Reduction } from './losses/reduction.js';
export {
  crossEntropy, nllLoss, binaryCrossEntropy, bceWithLogits, type ClassificationLossOptions, type CrossEntropyOptions, type BinaryLossOptions,
} from './losses/classification.js';
export { mseLoss, l1Loss } from './losses/regression.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss } from './losses/modules.js';
