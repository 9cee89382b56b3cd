import type { Tensor } from '@fathom/core';
import { Linear, Module } from '@fathom/layers';
import { checkPositiveInteger, flattenSamples } from './flat-features.js';

/** Options of {@link LogisticRegression}. */
export interface LogisticRegressionOptions {
  /** Features per sample: the flattened size of one input (784 for a 1×28×28 image). */
  readonly inFeatures: number;
}

/**
 * Binary logistic regression: one linear score per sample, the logit of
 * P(y = 1 | x) = σ(w·x + b). What PyTorch users write as `nn.Linear(in, 1)`
 * followed by `.squeeze(1)`, trained with `BCEWithLogitsLoss`.
 *
 * - Input: (N, inFeatures), or any (N, ...) whose samples hold inFeatures
 *   values, e.g. images (N, C, H, W); it is flattened to (N, inFeatures).
 * - Output: logits (N), one per sample (not (N, 1)), so they pair with float
 *   targets (N) of 0 and 1 in `bceWithLogits(logits, targets)` from
 *   `@fathom/layers` (the stable form of sigmoid + binary cross-entropy);
 *   `logits.sigmoid()` gives the probabilities.
 * - State-dict keys: `linear.weight` (1, inFeatures) and `linear.bias` (1),
 *   as a PyTorch module with `self.linear = nn.Linear(in, 1)`;
 *   inFeatures + 1 parameters, PyTorch's default Linear initialization.
 *
 * For more than two classes use {@link SoftmaxClassifier} (multinomial
 * logistic regression, with cross-entropy).
 *
 * ```ts
 * const model = new LogisticRegression({ inFeatures: 784 });
 * const loss = bceWithLogits(model.forward(images), isSeven); // images (N, 1, 28, 28), isSeven (N) float32
 * ```
 */
export class LogisticRegression extends Module {
  /** Features per sample the weight expects. */
  readonly inFeatures: number;
  /** The one linear unit: weight (1, inFeatures), bias (1). */
  readonly linear: Linear;

  /** Throws a ValueError unless `inFeatures` is a positive integer. */
  constructor(options: LogisticRegressionOptions) {
    super();
    this.inFeatures = checkPositiveInteger('LogisticRegression', 'inFeatures', options?.inFeatures);
    this.linear = this.registerModule('linear', new Linear(this.inFeatures, 1));
  }

  /**
   * Logits (N) of a batch (N, inFeatures) or (N, ...); a sample of another
   * size throws a ShapeError naming the expected one.
   */
  forward(x: Tensor): Tensor {
    const features = flattenSamples('LogisticRegression', x, this.inFeatures); // (N, inFeatures)
    return this.linear.forward(features).squeeze(1); // (N, 1) → (N)
  }
}
