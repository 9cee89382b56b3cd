import { oneHot, type Tensor } from '@fathom/core';
import { bceWithLogits, crossEntropy, type TensorModule } from '@fathom/layers';
import { AlexNet, LeNet5, MLP, resnet18, resnet34, resnet50, SoftmaxClassifier, vgg11, vgg16 } from '@fathom/models';

/** The `--arch` ladder, from logistic regression to ResNet. */
export const ARCHITECTURES = ['logistic', 'softmax', 'mlp', 'lenet5', 'alexnet', 'vgg11', 'vgg16', 'resnet18', 'resnet34', 'resnet50'] as const;

/** One of {@link ARCHITECTURES}. */
export type Architecture = (typeof ARCHITECTURES)[number];

/** What a model is built for. */
export interface ModelInput {
  readonly channels: number;
  readonly size: number;
  readonly numClasses: number;
  /** Features per sample for the flat models, when not channels·size² (principal components). */
  readonly features?: number;
  /** Dropout of the classifier where the architecture has one (AlexNet, VGG, MLP). */
  readonly dropout?: number;
}

/** How an architecture takes its images and learns. */
export interface ArchitectureSpec {
  /** Image channels it needs: 1 or 3, or `'any'` (the data's own). */
  readonly channels: 1 | 3 | 'any';
  /** The side its inputs are resized to from the 28×28 digits. */
  readonly digitSize: number;
  /** The smallest side it accepts. */
  readonly minSize: number;
  /** Builds the model. */
  build(input: ModelInput): TensorModule;
  /** The training loss; cross-entropy with label smoothing by default. */
  loss?(logits: Tensor, labels: Tensor, labelSmoothing: number): Tensor;
}

const features = (input: ModelInput): number => input.features ?? input.channels * input.size * input.size;

/**
 * One-vs-rest logistic regression: C independent sigmoid units trained
 * with binary cross-entropy against one-hot targets (the lecture's logistic
 * regression, extended to C classes); the prediction is the unit with the
 * highest score. `softmax` is the multinomial form with cross-entropy.
 */
function oneVsRest(logits: Tensor, labels: Tensor): Tensor {
  const targets = oneHot(labels, logits.shape[1]).cast('float32'); // (N, C)
  return bceWithLogits(logits, targets).mul(logits.shape[1]);
}

/** Every architecture of the ladder. */
export const ARCHITECTURE_SPECS: Readonly<Record<Architecture, ArchitectureSpec>> = {
  logistic: {
    channels: 'any', digitSize: 28, minSize: 1,
    build: (input) => new SoftmaxClassifier({ inFeatures: features(input), numClasses: input.numClasses }),
    loss: oneVsRest,
  },
  softmax: { channels: 'any', digitSize: 28, minSize: 1, build: (input) => new SoftmaxClassifier({ inFeatures: features(input), numClasses: input.numClasses }) },
  mlp: {
    channels: 'any', digitSize: 28, minSize: 1,
    build: (input) => new MLP({ inFeatures: features(input), hiddenSizes: [256, 128], numClasses: input.numClasses, dropout: input.dropout ?? 0 }),
  },
  lenet5: { channels: 'any', digitSize: 28, minSize: 28, build: (input) => new LeNet5({ inChannels: input.channels, numClasses: input.numClasses }) },
  alexnet: { channels: 3, digitSize: 64, minSize: 63, build: (input) => new AlexNet({ numClasses: input.numClasses, dropout: input.dropout }) },
  vgg11: { channels: 3, digitSize: 32, minSize: 32, build: (input) => vgg11({ numClasses: input.numClasses, dropout: input.dropout }) },
  vgg16: { channels: 3, digitSize: 32, minSize: 32, build: (input) => vgg16({ numClasses: input.numClasses, dropout: input.dropout }) },
  resnet18: { channels: 3, digitSize: 32, minSize: 1, build: (input) => resnet18({ numClasses: input.numClasses }) },
  resnet34: { channels: 3, digitSize: 32, minSize: 1, build: (input) => resnet34({ numClasses: input.numClasses }) },
  resnet50: { channels: 3, digitSize: 32, minSize: 1, build: (input) => resnet50({ numClasses: input.numClasses }) },
};

/** The loss an architecture trains with. */
export function lossFor(architecture: Architecture, labelSmoothing: number): (logits: Tensor, labels: Tensor) => Tensor {
  const spec = ARCHITECTURE_SPECS[architecture];
  if (spec.loss) return (logits, labels) => spec.loss!(logits, labels, labelSmoothing);
  return (logits, labels) => crossEntropy(logits, labels, { labelSmoothing });
}
