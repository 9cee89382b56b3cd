import { scope, ValueError, type Tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Identity, init, Linear, MaxPool2d, Module, ReLU, Sequential } from '@fathom/layers';
import { checkImageBatch } from './image-input.js';

/** Options of a residual block ({@link BasicBlock}, {@link Bottleneck}), torchvision's defaults. */
export interface BlockOptions {
  /** Stride of the block's spatial convolution (default 1); 2 halves H and W. */
  readonly stride?: number;
  /**
   * What maps the input onto the output's shape for the shortcut, or null for
   * the identity (default null); required when the stride is not 1 or the
   * channels change, else the constructor throws a ValueError.
   */
  readonly downsample?: Sequential | null;
  /** Groups of the 3×3 convolution (default 1; 32 in ResNeXt-50 32×4d). Bottleneck only. */
  readonly groups?: number;
  /** Channels per group at 64 planes (default 64; 4 in ResNeXt-50 32×4d, 128 in Wide ResNet-50-2). Bottleneck only. */
  readonly baseWidth?: number;
}

/** A residual block: a module from (N, inPlanes, H, W) to (N, planes·expansion, H/stride, W/stride). */
export interface ResidualBlock extends Module {
  /** Maps x to relu(F(x) + shortcut(x)). */
  forward(x: Tensor): Tensor;
}

/** A residual block class that {@link ResNet} can stack: its output has `expansion`·planes channels. */
export interface ResidualBlockType {
  /** Output channels per `planes` (1 for {@link BasicBlock}, 4 for {@link Bottleneck}). */
  readonly expansion: number;
  /** Makes a block from `inPlanes` to `planes`·expansion channels. */
  new (inPlanes: number, planes: number, options?: BlockOptions): ResidualBlock;
}

/** Throws unless the identity shortcut fits the block's output, or a downsample is given to make it fit. */
function checkShortcut(block: string, inPlanes: number, outPlanes: number, stride: number, downsample: Sequential | null | undefined): void {
  if (!downsample && (stride !== 1 || inPlanes !== outPlanes)) {
    throw new ValueError(`${block}: a shortcut from ${inPlanes} channels at stride ${stride} to ${outPlanes} channels at stride 1 needs a downsample`);
  }
}

/** A 3×3 convolution with padding 1 and no bias (torchvision's `conv3x3`). */
function conv3x3(inPlanes: number, outPlanes: number, stride = 1, groups = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, groups, bias: false });
}

/** A 1×1 convolution with no bias (torchvision's `conv1x1`). */
function conv1x1(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/**
 * The two-convolution residual block of ResNet-18 and -34
 * (`torchvision.models.resnet.BasicBlock`): conv1 3×3 (stride) → bn1 → relu
 * → conv2 3×3 → bn2, plus the shortcut (`downsample` or the identity), then relu.
 *
 * ```ts
 * const block = new BasicBlock(64, 64);
 * block.forward(randn([2, 64, 16, 16])); // [2, 64, 16, 16]
 * ```
 */
export class BasicBlock extends Module implements ResidualBlock {
  /** Output channels per plane. */
  static readonly expansion = 1;
  /** First 3×3 convolution, carrying the stride. */
  readonly conv1: Conv2d;
  /** BatchNorm after conv1. */
  readonly bn1: BatchNorm2d;
  /** Second 3×3 convolution. */
  readonly conv2: Conv2d;
  /** BatchNorm after conv2; its weight starts at 0 with `zeroInitResidual`. */
  readonly bn2: BatchNorm2d;
  /** The shortcut's projection (1×1 convolution and BatchNorm), or null for the identity. */
  readonly downsample: Sequential | null;
  private readonly relu: ReLU;

  constructor(inPlanes: number, planes: number, options: BlockOptions = {}) {
    super();
    if ((options.groups ?? 1) !== 1 || (options.baseWidth ?? 64) !== 64) {
      throw new ValueError(`BasicBlock: only groups 1 and baseWidth 64 are supported, got groups ${options.groups ?? 1} and baseWidth ${options.baseWidth ?? 64}`);
    }
    const stride = options.stride ?? 1;
    checkShortcut('BasicBlock', inPlanes, planes, stride, options.downsample);
    this.conv1 = this.registerModule('conv1', conv3x3(inPlanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = options.downsample ? this.registerModule('downsample', options.downsample) : null;
  }

  /** relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)): (N, inPlanes, H, W) → (N, planes, H/stride, W/stride). */
  forward(x: Tensor): Tensor {
    // In a scope of its own, so the intermediates backward does not keep (the
    // convolutions' and BatchNorms' outputs, the residual sum) go when the block
    // returns, as PyTorch frees them, not when the training step's scope ends;
    // backward holds what it needs through its own handles. A ResNet-18 step at
    // batch 16, 64×64: peak 212.6 → 171.4 MiB.
    return scope(() => {
      let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      out = this.bn2.forward(this.conv2.forward(out));
      const identity = this.downsample ? this.downsample.forward(x) : x;
      return this.relu.forward(out.add(identity));
    });
  }
}

/**
 * The three-convolution residual block of ResNet-50 and deeper
 * (`torchvision.models.resnet.Bottleneck`): conv1 1×1 → bn1 → relu → conv2
 * 3×3 (stride, groups) → bn2 → relu → conv3 1×1 to planes·4 → bn3, plus the
 * shortcut, then relu. The stride sits on the 3×3 convolution, as in
 * torchvision ("ResNet v1.5"); the original paper put it on the first 1×1.
 *
 * ```ts
 * const block = new Bottleneck(256, 64);
 * block.forward(randn([2, 256, 8, 8])); // [2, 256, 8, 8]
 * ```
 */
export class Bottleneck extends Module implements ResidualBlock {
  /** Output channels per plane. */
  static readonly expansion = 4;
  /** 1×1 reduction to the block's width. */
  readonly conv1: Conv2d;
  /** BatchNorm after conv1. */
  readonly bn1: BatchNorm2d;
  /** 3×3 (grouped) convolution, carrying the stride. */
  readonly conv2: Conv2d;
  /** BatchNorm after conv2. */
  readonly bn2: BatchNorm2d;
  /** 1×1 expansion to planes·4. */
  readonly conv3: Conv2d;
  /** BatchNorm after conv3; its weight starts at 0 with `zeroInitResidual`. */
  readonly bn3: BatchNorm2d;
  /** The shortcut's projection, or null for the identity. */
  readonly downsample: Sequential | null;
  private readonly relu: ReLU;

  constructor(inPlanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const stride = options.stride ?? 1;
    const groups = options.groups ?? 1;
    checkShortcut('Bottleneck', inPlanes, planes * Bottleneck.expansion, stride, options.downsample);
    const width = Math.floor(planes * ((options.baseWidth ?? 64) / 64)) * groups;
    this.conv1 = this.registerModule('conv1', conv1x1(inPlanes, width));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(width));
    this.conv2 = this.registerModule('conv2', conv3x3(width, width, stride, groups));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(width));
    this.conv3 = this.registerModule('conv3', conv1x1(width, planes * Bottleneck.expansion));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(planes * Bottleneck.expansion));
    this.relu = this.registerModule('relu', new ReLU());
    this.downsample = options.downsample ? this.registerModule('downsample', options.downsample) : null;
  }

  /** relu(bn3(conv3(…conv1(x))) + shortcut(x)): (N, inPlanes, H, W) → (N, 4·planes, H/stride, W/stride). */
  forward(x: Tensor): Tensor {
    // A scope of its own, as BasicBlock's.
    return scope(() => {
      let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
      out = this.bn3.forward(this.conv3.forward(out));
      const identity = this.downsample ? this.downsample.forward(x) : x;
      return this.relu.forward(out.add(identity));
    });
  }
}

/** Options of {@link ResNet} and the `resnet*` factories; torchvision's defaults except where noted. */
export interface ResNetOptions {
  /** Size of the output layer (default 1000). */
  readonly numClasses?: number;
  /** Channels of the input images (default 3). */
  readonly inChannels?: number;
  /**
   * Start each residual branch's last BatchNorm at weight 0, so every block
   * starts as the identity (Goyal et al. 2017; default false).
   */
  readonly zeroInitResidual?: boolean;
  /** Groups of every Bottleneck's 3×3 convolution (default 1). */
  readonly groups?: number;
  /** Channels per group at 64 planes (default 64). */
  readonly widthPerGroup?: number;
  /**
   * A deviation from torchvision for small images such as CIFAR-10's 32×32
   * (He et al. 2016, section 4.2): `conv1` becomes a 3×3 stride-1
   * convolution (padding 1) and `maxpool` an Identity, so layer1 sees the full
   * resolution instead of a quarter. State-dict keys are unchanged;
   * `conv1.weight` is (64, inChannels, 3, 3) instead of (64, inChannels, 7, 7).
   * Default false.
   */
  readonly smallInput?: boolean;
}

/**
 * ResNet (He et al. 2015) as `torchvision.models.ResNet`: conv1 7×7/2 → bn1
 * → relu → maxpool 3/2 → layer1…layer4 (64, 128, 256, 512 planes; layers 2–4
 * start with a stride-2 block) → global average pooling → fc. Module names
 * and therefore state-dict keys are torchvision's (`layer1.0.conv1.weight`,
 * `layer2.0.downsample.0.weight`, `layer2.0.downsample.1.running_mean`), and
 * so is the initialization: convolutions kaimingNormal (fan out, ReLU),
 * BatchNorm weight 1 and bias 0, fc PyTorch's Linear default.
 *
 * Not supported: `replace_stride_with_dilation` and a custom `norm_layer`.
 *
 * ```ts
 * const model = new ResNet(BasicBlock, [2, 2, 2, 2], { numClasses: 10 });
 * model.forward(randn([2, 3, 64, 64])); // [2, 10]
 * ```
 */
export class ResNet extends Module {
  /** Number of classes the last layer scores. */
  readonly numClasses: number;
  /** Channels the first convolution expects. */
  readonly inChannels: number;
  /** The stem convolution: 7×7 stride 2 (3×3 stride 1 with `smallInput`). */
  readonly conv1: Conv2d;
  /** BatchNorm after conv1. */
  readonly bn1: BatchNorm2d;
  /** Max pooling 3×3 stride 2 (the identity with `smallInput`). */
  readonly maxpool: MaxPool2d | Identity;
  /** 64-plane stage. */
  readonly layer1: Sequential;
  /** 128-plane stage, stride 2. */
  readonly layer2: Sequential;
  /** 256-plane stage, stride 2. */
  readonly layer3: Sequential;
  /** 512-plane stage, stride 2. */
  readonly layer4: Sequential;
  /** Global average pooling to (N, C, 1, 1). */
  readonly avgpool: AdaptiveAvgPool2d;
  /** The classifier: 512·expansion → numClasses. */
  readonly fc: Linear;
  private readonly relu: ReLU;
  private inPlanes = 64;

  /**
   * @param block the residual block ({@link BasicBlock} or {@link Bottleneck}).
   * @param layers how many blocks each of the four stages stacks, e.g. [2, 2, 2, 2] for ResNet-18.
   */
  constructor(block: ResidualBlockType, layers: readonly [number, number, number, number], options: ResNetOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 1000;
    this.inChannels = options.inChannels ?? 3;
    const groups = options.groups ?? 1;
    const baseWidth = options.widthPerGroup ?? 64;
    if (layers.length !== 4 || layers.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new ValueError(`ResNet: layers must be four positive integers, got [${layers.join(', ')}]`);
    }
    const small = options.smallInput ?? false;
    this.conv1 = this.registerModule('conv1', small
      ? new Conv2d(this.inChannels, 64, 3, { stride: 1, padding: 1, bias: false })
      : new Conv2d(this.inChannels, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.relu = this.registerModule('relu', new ReLU());
    this.maxpool = this.registerModule('maxpool', small ? new Identity() : new MaxPool2d(3, { stride: 2, padding: 1 }));
    const stage = (planes: number, blocks: number, stride: number): Sequential => {
      let downsample: Sequential | null = null;
      if (stride !== 1 || this.inPlanes !== planes * block.expansion) {
        downsample = new Sequential(conv1x1(this.inPlanes, planes * block.expansion, stride), new BatchNorm2d(planes * block.expansion));
      }
      const stack: ResidualBlock[] = [new block(this.inPlanes, planes, { stride, downsample, groups, baseWidth })];
      this.inPlanes = planes * block.expansion;
      for (let i = 1; i < blocks; i++) stack.push(new block(this.inPlanes, planes, { groups, baseWidth }));
      return new Sequential(...stack);
    };
    this.layer1 = this.registerModule('layer1', stage(64, layers[0], 1));
    this.layer2 = this.registerModule('layer2', stage(128, layers[1], 2));
    this.layer3 = this.registerModule('layer3', stage(256, layers[2], 2));
    this.layer4 = this.registerModule('layer4', stage(512, layers[3], 2));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.fc = this.registerModule('fc', new Linear(512 * block.expansion, this.numClasses));

    noGrad(() => {
      for (const module of this.modules()) {
        if (module instanceof Conv2d) init.kaimingNormal(module.weight, { mode: 'fanOut', nonlinearity: 'relu' });
        else if (module instanceof BatchNorm2d) {
          init.ones(module.weight!);
          init.zeros(module.bias!);
        }
      }
      if (options.zeroInitResidual) {
        for (const module of this.modules()) {
          if (module instanceof Bottleneck) init.zeros(module.bn3.weight!);
          else if (module instanceof BasicBlock) init.zeros(module.bn2.weight!);
        }
      }
    });
  }

  /**
   * Class scores (logits) of a batch of images: x (N, inChannels, H, W) →
   * (N, numClasses). Any H and W work (global pooling); a tensor that is not
   * (N, inChannels, H, W) throws a `ShapeError` naming its shape.
   */
  forward(x: Tensor): Tensor {
    checkImageBatch('ResNet', x, this.inChannels);
    let out = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x)))); // (N, 64, H/4, W/4)
    out = this.layer1.forward(out);
    out = this.layer2.forward(out);
    out = this.layer3.forward(out);
    out = this.layer4.forward(out); // (N, 512·expansion, H/32, W/32)
    return this.fc.forward(this.avgpool.forward(out).flatten(1)); // (N, 512·expansion) → (N, numClasses)
  }
}

/**
 * ResNet-18 as `torchvision.models.resnet18`: BasicBlocks [2, 2, 2, 2], 11,689,512 parameters.
 *
 * ```ts
 * const model = resnet18({ numClasses: 10, smallInput: true }); // a CIFAR-10 ResNet-18
 * model.forward(randn([8, 3, 32, 32])); // [8, 10]
 * ```
 */
export function resnet18(options: ResNetOptions = {}): ResNet {
  return new ResNet(BasicBlock, [2, 2, 2, 2], options);
}

/**
 * ResNet-34 as `torchvision.models.resnet34`: BasicBlocks [3, 4, 6, 3], 21,797,672 parameters.
 *
 * ```ts
 * const model = resnet34();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function resnet34(options: ResNetOptions = {}): ResNet {
  return new ResNet(BasicBlock, [3, 4, 6, 3], options);
}

/**
 * ResNet-50 as `torchvision.models.resnet50`: Bottlenecks [3, 4, 6, 3], 25,557,032 parameters.
 *
 * ```ts
 * const model = resnet50();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function resnet50(options: ResNetOptions = {}): ResNet {
  return new ResNet(Bottleneck, [3, 4, 6, 3], options);
}

/**
 * ResNet-101 as `torchvision.models.resnet101`: Bottlenecks [3, 4, 23, 3], 44,549,160 parameters.
 *
 * ```ts
 * const model = resnet101();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function resnet101(options: ResNetOptions = {}): ResNet {
  return new ResNet(Bottleneck, [3, 4, 23, 3], options);
}

/**
 * ResNet-152 as `torchvision.models.resnet152`: Bottlenecks [3, 8, 36, 3], 60,192,808 parameters.
 *
 * ```ts
 * const model = resnet152();
 * model.eval().forward(randn([1, 3, 224, 224])); // [1, 1000]
 * ```
 */
export function resnet152(options: ResNetOptions = {}): ResNet {
  return new ResNet(Bottleneck, [3, 8, 36, 3], options);
}
