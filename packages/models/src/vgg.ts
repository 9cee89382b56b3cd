import type { Tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, init, Linear, MaxPool2d, Module, ReLU, Sequential, type TensorModule,
} from '@fathom/layers';
import { checkImageBatch } from './image-input.js';

/**
 * A VGG feature extractor written as torchvision's configurations: a number
 * is a 3×3 convolution (padding 1) to that many channels followed by ReLU
 * (with BatchNorm in between when asked), `'M'` a 2×2 max pooling.
 */
export type VGGConfig = readonly (number | 'M')[];

/** torchvision's configurations: A is VGG-11, B VGG-13, D VGG-16, E VGG-19 (Simonyan and Zisserman 2014, table 1). */
export const VGG_CONFIGS: Readonly<Record<'A' | 'B' | 'D' | 'E', VGGConfig>> = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

/**
 * The `features` Sequential of a VGG from a configuration
 * (`torchvision.models.vgg.make_layers`): indices, and so state-dict keys,
 * are torchvision's (`features.0.weight`, with BatchNorm `features.1.running_mean`).
 *
 * ```ts
 * const features = vggFeatures(VGG_CONFIGS.A, { batchNorm: true, inChannels: 3 });
 * features.forward(randn([1, 3, 32, 32])); // [1, 512, 1, 1]
 * ```
 */
export function vggFeatures(config: VGGConfig, options: { readonly batchNorm?: boolean; readonly inChannels?: number } = {}): Sequential {
  const layers: TensorModule[] = [];
  let channels = options.inChannels ?? 3;
  for (const entry of config) {
    if (entry === 'M') {
      layers.push(new MaxPool2d(2, { stride: 2 }));
      continue;
    }
    layers.push(new Conv2d(channels, entry, 3, { padding: 1 }));
    if (options.batchNorm) layers.push(new BatchNorm2d(entry));
    layers.push(new ReLU());
    channels = entry;
  }
  return new Sequential(...layers);
}

/** Options of {@link VGG} and the `vgg*` factories, torchvision's defaults. */
export interface VGGOptions {
  /** Size of the output layer (default 1000). */
  readonly numClasses?: number;
  /** Probability of both dropout layers of the classifier (default 0.5). */
  readonly dropout?: number;
  /**
   * Re-initialize as torchvision does (default true): convolutions
   * kaimingNormal (fan out, ReLU) with zero bias, BatchNorm ones and zeros,
   * Linear N(0, 0.01²) with zero bias. False keeps each layer's default
   * initialization, which is cheaper when weights are loaded right after.
   */
  readonly initWeights?: boolean;
}

/**
 * torchvision's `VGG._initialize_weights`, applied in place to every module
 * of `model`: Conv2d kaimingNormal (fan out, ReLU) with zero bias,
 * BatchNorm2d weight 1 and bias 0, Linear N(0, 0.01²) with zero bias.
 *
 * ```ts
 * const model = new VGG(vggFeatures(VGG_CONFIGS.A), { initWeights: false });
 * initializeVggWeights(model); // what initWeights: true does
 * ```
 */
export function initializeVggWeights(model: Module): void {
  for (const module of model.modules()) {
    if (module instanceof Conv2d) {
      init.kaimingNormal(module.weight, { mode: 'fanOut', nonlinearity: 'relu' });
      if (module.bias) init.zeros(module.bias);
    } else if (module instanceof BatchNorm2d) {
      init.ones(module.weight!);
      init.zeros(module.bias!);
    } else if (module instanceof Linear) {
      init.normal(module.weight, 0, 0.01);
      if (module.bias) init.zeros(module.bias);
    }
  }
}

/**
 * VGG as `torchvision.models.VGG`: `features` (from {@link vggFeatures}),
 * `avgpool` to 7×7, then `classifier`: 25088→4096 [`classifier.0`], ReLU,
 * dropout, 4096→4096 [`classifier.3`], ReLU, dropout, 4096→numClasses
 * [`classifier.6`]. The features must end with 512 channels, as every
 * torchvision configuration does. Use the factories ({@link vgg11} …) for
 * the standard depths.
 *
 * ```ts
 * const model = new VGG(vggFeatures(VGG_CONFIGS.A), { numClasses: 10 });
 * model.eval().forward(randn([1, 3, 32, 32])); // [1, 10]
 * ```
 */
export class VGG extends Module {
  /** Number of classes the last layer scores. */
  readonly numClasses: number;
  /** The convolutional part: (N, 3, H, W) → (N, 512, H/32, W/32). */
  readonly features: Sequential;
  /** Adaptive average pooling to (N, 512, 7, 7). */
  readonly avgpool: AdaptiveAvgPool2d;
  /** The fully connected part: (N, 25088) → (N, numClasses). */
  readonly classifier: Sequential;
  private readonly inChannels: number;

  constructor(features: Sequential, options: VGGOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 1000;
    const p = options.dropout ?? 0.5;
    this.features = this.registerModule('features', features);
    const first = features.modules().find((m): m is Conv2d => m instanceof Conv2d);
    this.inChannels = first?.inChannels ?? 3;
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d([7, 7]));
    this.classifier = this.registerModule('classifier', new Sequential(
      new Linear(512 * 7 * 7, 4096), new ReLU(), new Dropout(p),
      new Linear(4096, 4096), new ReLU(), new Dropout(p),
      new Linear(4096, this.numClasses),
    ));
    if (options.initWeights ?? true) noGrad(() => initializeVggWeights(this));
  }

  /**
   * Class scores (logits) of a batch of images: x (N, C, H, W) with H, W ≥ 32
   * (five 2×2 poolings) → (N, numClasses); other shapes throw a `ShapeError`.
   */
  forward(x: Tensor): Tensor {
    checkImageBatch('VGG', x, this.inChannels, 32);
    const pooled = this.avgpool.forward(this.features.forward(x)); // (N, 512, 7, 7)
    return this.classifier.forward(pooled.flatten(1)); // (N, 25088) → (N, numClasses)
  }
}

/**
 * VGG-11 (configuration A), as `torchvision.models.vgg11`: 132,863,336 parameters.
 *
 * ```ts
 * const model = vgg11({ numClasses: 10 });
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 10]
 * ```
 */
export function vgg11(options: VGGOptions = {}): VGG {
  return new VGG(vggFeatures(VGG_CONFIGS.A), options);
}

/**
 * VGG-11 with BatchNorm after every convolution, as `torchvision.models.vgg11_bn`: 132,868,840 parameters.
 *
 * ```ts
 * const model = vgg11Bn();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function vgg11Bn(options: VGGOptions = {}): VGG {
  return new VGG(vggFeatures(VGG_CONFIGS.A, { batchNorm: true }), options);
}

/**
 * VGG-13 (configuration B), as `torchvision.models.vgg13`: 133,047,848 parameters.
 *
 * ```ts
 * const model = vgg13();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function vgg13(options: VGGOptions = {}): VGG {
  return new VGG(vggFeatures(VGG_CONFIGS.B), options);
}

/**
 * VGG-13 with BatchNorm, as `torchvision.models.vgg13_bn`: 133,053,736 parameters.
 *
 * ```ts
 * const model = vgg13Bn();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function vgg13Bn(options: VGGOptions = {}): VGG {
  return new VGG(vggFeatures(VGG_CONFIGS.B, { batchNorm: true }), options);
}

/**
 * VGG-16 (configuration D), as `torchvision.models.vgg16`: 138,357,544 parameters.
 *
 * ```ts
 * const model = vgg16();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function vgg16(options: VGGOptions = {}): VGG {
  return new VGG(vggFeatures(VGG_CONFIGS.D), options);
}

/**
 * VGG-16 with BatchNorm, as `torchvision.models.vgg16_bn`: 138,365,992 parameters.
 *
 * ```ts
 * const model = vgg16Bn();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function vgg16Bn(options: VGGOptions = {}): VGG {
  return new VGG(vggFeatures(VGG_CONFIGS.D, { batchNorm: true }), options);
}

/**
 * VGG-19 (configuration E), as `torchvision.models.vgg19`: 143,667,240 parameters.
 *
 * ```ts
 * const model = vgg19();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function vgg19(options: VGGOptions = {}): VGG {
  return new VGG(vggFeatures(VGG_CONFIGS.E), options);
}

/**
 * VGG-19 with BatchNorm, as `torchvision.models.vgg19_bn`: 143,678,248 parameters.
 *
 * ```ts
 * const model = vgg19Bn();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function vgg19Bn(options: VGGOptions = {}): VGG {
  return new VGG(vggFeatures(VGG_CONFIGS.E, { batchNorm: true }), options);
}
