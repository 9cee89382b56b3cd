import { formatShape, ShapeError, type Tensor } from '@fathom/core';
import { Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential } from '@fathom/layers';

/** Options of {@link LeNet5}. */
export interface LeNet5Options {
  /** Size of the output layer (default 10, the digits). */
  readonly numClasses?: number;
  /** Channels of the input images (default 1, grey levels). */
  readonly inChannels?: number;
}

/**
 * LeNet-5 (LeCun et al. 1998) for 28×28 images such as MNIST digits, in the
 * form most courses teach: ReLU and max pooling where the original had scaled
 * tanh and trainable subsampling, and the first convolution padded by 2 so a
 * 28×28 digit plays the part of the paper's 32×32 canvas.
 *
 * Layout, in the style of torchvision's AlexNet and VGG (state-dict keys in brackets):
 * - `features` — conv 1→6 5×5 pad 2 [`features.0.*`] → ReLU → maxpool 2
 *   → conv 6→16 5×5 [`features.3.*`] → ReLU → maxpool 2: (N, 16, 5, 5);
 * - flatten to (N, 400);
 * - `classifier` — 400→120 [`classifier.0.*`] → ReLU → 120→84
 *   [`classifier.2.*`] → ReLU → 84→numClasses [`classifier.4.*`].
 *
 * Every layer keeps PyTorch's default initialization; 61,706 parameters for 10 classes.
 *
 * ```ts
 * const model = new LeNet5({ numClasses: 10 });
 * const logits = model.forward(randn([64, 1, 28, 28])); // [64, 10]
 * ```
 */
export class LeNet5 extends Module {
  /** Number of classes the last layer scores. */
  readonly numClasses: number;
  /** Channels the first convolution expects. */
  readonly inChannels: number;
  /** The convolutional part: (N, inChannels, 28, 28) → (N, 16, 5, 5). */
  readonly features: Sequential;
  /** The fully connected part: (N, 400) → (N, numClasses). */
  readonly classifier: Sequential;

  constructor(options: LeNet5Options = {}) {
    super();
    this.numClasses = options.numClasses ?? 10;
    this.inChannels = options.inChannels ?? 1;
    this.features = this.registerModule('features', new Sequential(
      new Conv2d(this.inChannels, 6, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2), // (N, 6, 14, 14)
      new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2), // (N, 16, 5, 5)
    ));
    this.classifier = this.registerModule('classifier', new Sequential(
      new Linear(16 * 5 * 5, 120), new ReLU(),
      new Linear(120, 84), new ReLU(),
      new Linear(84, this.numClasses),
    ));
  }

  /**
   * Class scores (logits, before softmax) of a batch of images: x (N,
   * inChannels, 28, 28) → (N, numClasses). Any other shape throws a
   * {@link ShapeError} naming the expected one, since the classifier is sized
   * for exactly 16·5·5 features.
   */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels || x.shape[2] !== 28 || x.shape[3] !== 28) {
      throw new ShapeError(`LeNet5: input must be (N, ${this.inChannels}, 28, 28), got ${formatShape(x.shape)}`);
    }
    return this.classifier.forward(this.features.forward(x).flatten(1)); // (N, 16, 5, 5) → (N, 400) → (N, numClasses)
  }
}
