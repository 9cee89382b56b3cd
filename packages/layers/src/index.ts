export { Module, type LoadResult, type TensorModule } from './module.js';
export * as init from './init.js';
export { Linear, linear, type LinearOptions } from './layers/linear.js';
export { Conv2d, type Conv2dLayerOptions } from './layers/conv2d.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './layers/pooling.js';
export { ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, Flatten, Identity } from './layers/activations.js';
export { Dropout, Dropout2d, dropout } from './layers/dropout.js';
export { BatchNorm, BatchNorm1d, BatchNorm2d, batchNorm, LayerNorm, layerNorm, type BatchNormOptions } from './layers/normalization.js';
export { batchNormWithStatistics, localBatchStatistics, type BatchNormBatchStatistics, type BatchNormStatisticsSource, type BatchStatistics } from './layers/batch-norm-function.js';
export { Embedding } from './layers/embedding.js';
export { Sequential, ModuleList, ModuleDict } from './layers/containers.js';
export { RNNBase, RNN, LSTM, GRU, type RNNOptions, type RNNOutput, type LSTMOutput } from './layers/recurrent.js';
export {
  RNNCellBase, RNNCell, LSTMCell, GRUCell, rnnCell, lstmCell, gruCell, type RNNCellOptions, type LSTMState, type RNNNonlinearity,
} from './layers/rnn-cells.js';
export { summary, type SummaryOptions } from './summary.js';
export { gradientNorms, GradientNormRecorder, type GradientNormOptions, type GradientNormGrouping } from './diagnostics.js';
export { type Reduction } from './losses/reduction.js';
export {
  crossEntropy, nllLoss, binaryCrossEntropy, bceWithLogits, type ClassificationLossOptions, type CrossEntropyOptions, type BinaryLossOptions,
} from './losses/classification.js';
export { mseLoss, l1Loss } from './losses/regression.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss } from './losses/modules.js';
