import type { Tensor } from '@fathom/core';
import { AdaptiveAvgPool2d, Conv2d, Dropout, Linear, MaxPool2d, Module, ReLU, Sequential } from '@fathom/layers';
import { checkImageBatch } from './image-input.js';

/** Options of {@link AlexNet}, torchvision's defaults. */
export interface AlexNetOptions {
  /** Size of the output layer (default 1000, ImageNet's classes). */
  readonly numClasses?: number;
  /** Probability of both dropout layers of the classifier (default 0.5). */
  readonly dropout?: number;
}

/**
 * AlexNet as `torchvision.models.alexnet` (the one-GPU variant of
 * Krizhevsky's "One weird trick" paper, 64-192-384-256-256 channels), with
 * the same modules, indices and default initialization, so torchvision's
 * weights load with {@link Module.loadStateDict}:
 *
 * - `features`: conv 11×11/4 pad 2 → 64 [`features.0`], ReLU, maxpool 3/2,
 *   conv 5×5 pad 2 → 192 [`features.3`], ReLU, maxpool 3/2, conv 3×3 → 384
 *   [`features.6`], ReLU, conv 3×3 → 256 [`features.8`], ReLU, conv 3×3 → 256
 *   [`features.10`], ReLU, maxpool 3/2;
 * - `avgpool`: adaptive average pooling to 6×6, so any input from 63×63 up works;
 * - `classifier`: dropout, 9216→4096 [`classifier.1`], ReLU, dropout,
 *   4096→4096 [`classifier.4`], ReLU, 4096→numClasses [`classifier.6`].
 *
 * 61,100,840 parameters for 1000 classes (torchvision's documented count).
 *
 * ```ts
 * const model = new AlexNet().eval();
 * const logits = model.forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export class AlexNet extends Module {
  /** Number of classes the last layer scores. */
  readonly numClasses: number;
  /** The convolutional part: (N, 3, H, W) → (N, 256, h, w). */
  readonly features: Sequential;
  /** Adaptive average pooling to (N, 256, 6, 6). */
  readonly avgpool: AdaptiveAvgPool2d;
  /** The fully connected part: (N, 9216) → (N, numClasses). */
  readonly classifier: Sequential;

  constructor(options: AlexNetOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 1000;
    const p = options.dropout ?? 0.5;
    this.features = this.registerModule('features', new Sequential(
      new Conv2d(3, 64, 11, { stride: 4, padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
      new Conv2d(64, 192, 5, { padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
      new Conv2d(192, 384, 3, { padding: 1 }), new ReLU(),
      new Conv2d(384, 256, 3, { padding: 1 }), new ReLU(),
      new Conv2d(256, 256, 3, { padding: 1 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
    ));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d([6, 6]));
    this.classifier = this.registerModule('classifier', new Sequential(
      new Dropout(p), new Linear(256 * 6 * 6, 4096), new ReLU(),
      new Dropout(p), new Linear(4096, 4096), new ReLU(),
      new Linear(4096, this.numClasses),
    ));
  }

  /**
   * Class scores (logits) of a batch of RGB images: x (N, 3, H, W) with H, W
   * ≥ 63 → (N, numClasses). Smaller images leave the last max pooling no
   * window and throw a `ShapeError` naming the shape.
   */
  forward(x: Tensor): Tensor {
    // 63 is the least size that survives conv 11/4 pad 2 (→ 15), and three 3/2 max poolings (→ 7 → 3 → 1).
    checkImageBatch('AlexNet', x, 3, 63);
    const pooled = this.avgpool.forward(this.features.forward(x)); // (N, 256, 6, 6)
    return this.classifier.forward(pooled.flatten(1)); // (N, 9216) → (N, numClasses)
  }
}
