export { PCA, type PCAOptions } from './pca.js';
export { LogisticRegression, type LogisticRegressionOptions } from './logistic-regression.js';
export { SoftmaxClassifier, type SoftmaxClassifierOptions } from './softmax-classifier.js';
export { MLP, type MLPOptions, type MLPActivation } from './mlp.js';
export { LeNet5, type LeNet5Options } from './lenet.js';
export { AlexNet, type AlexNetOptions } from './alexnet.js';
export {
  VGG, VGG_CONFIGS, vggFeatures, initializeVggWeights, vgg11, vgg11Bn, vgg13, vgg13Bn, vgg16, vgg16Bn, vgg19, vgg19Bn, type VGGConfig, type VGGOptions,
} from './vgg.js';
export {
  ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101, resnet152,
  type ResNetOptions, type BlockOptions, type ResidualBlock, type ResidualBlockType,
} from './resnet.js';
export { CharRNN, CHAR_RNN_CELLS, type CharRNNCell, type CharRNNOptions, type CharRNNState, type CharRNNOutput } from './char-rnn.js';
export { CharLSTM, type CharLSTMOptions, type CharLSTMState, type CharLSTMOutput } from './char-lstm.js';
