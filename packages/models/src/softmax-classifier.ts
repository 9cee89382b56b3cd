import { ValueError, type Tensor } from '@fathom/core';
import { Linear, Module } from '@fathom/layers';
import { checkPositiveInteger, flattenSamples } from './flat-features.js';

/** Options of {@link SoftmaxClassifier}. */
export interface SoftmaxClassifierOptions {
  /** Features per sample: the flattened size of one input (784 for a 1×28×28 image). */
  readonly inFeatures: number;
  /** Number of classes, at least 2 (default 10, the digits). */
  readonly numClasses?: number;
}

/**
 * Multinomial logistic regression (softmax regression): one linear score per
 * class, P(y = k | x) = softmax(Wx + b)_k. PyTorch users write it as
 * `nn.Linear(in, numClasses)` trained with `CrossEntropyLoss`, which applies
 * the log-softmax itself, so `forward` returns the raw scores.
 *
 * - Input: (N, inFeatures), or any (N, ...) whose samples hold inFeatures
 *   values, e.g. images (N, C, H, W); it is flattened to (N, inFeatures).
 * - Output: logits (N, numClasses), for `crossEntropy(logits, labels)` from
 *   `@fathom/layers` with int32 labels (N); `logits.softmax(1)` gives the
 *   probabilities, `logits.argmax(1)` the predicted class.
 * - State-dict keys: `linear.weight` (numClasses, inFeatures) and
 *   `linear.bias` (numClasses), as a PyTorch module with
 *   `self.linear = nn.Linear(in, num_classes)`; (inFeatures + 1)·numClasses
 *   parameters, PyTorch's default Linear initialization.
 *
 * For two classes and one output, see {@link LogisticRegression}.
 *
 * ```ts
 * const model = new SoftmaxClassifier({ inFeatures: 784, numClasses: 10 });
 * const loss = crossEntropy(model.forward(images), labels); // images (N, 1, 28, 28), labels (N) int32
 * ```
 */
export class SoftmaxClassifier extends Module {
  /** Features per sample the weight expects. */
  readonly inFeatures: number;
  /** Number of classes scored. */
  readonly numClasses: number;
  /** The class scores: weight (numClasses, inFeatures), bias (numClasses). */
  readonly linear: Linear;

  /**
   * Throws a ValueError unless `inFeatures` is a positive integer and
   * `numClasses` an integer of at least 2 (a softmax over one class is always
   * 1, so its cross-entropy is 0 and nothing trains).
   */
  constructor(options: SoftmaxClassifierOptions) {
    super();
    this.inFeatures = checkPositiveInteger('SoftmaxClassifier', 'inFeatures', options?.inFeatures);
    const numClasses = options.numClasses ?? 10;
    if (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < 2) {
      throw new ValueError(
        `SoftmaxClassifier: numClasses must be an integer of at least 2, got ${String(numClasses)} (for one output per sample use LogisticRegression)`,
      );
    }
    this.numClasses = numClasses;
    this.linear = this.registerModule('linear', new Linear(this.inFeatures, this.numClasses));
  }

  /**
   * Logits (N, numClasses) of a batch (N, inFeatures) or (N, ...); a sample of
   * another size throws a ShapeError naming the expected one.
   */
  forward(x: Tensor): Tensor {
    const features = flattenSamples('SoftmaxClassifier', x, this.inFeatures); // (N, inFeatures)
    return this.linear.forward(features); // (N, numClasses)
  }
}
