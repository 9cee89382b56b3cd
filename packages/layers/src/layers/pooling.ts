import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type Pair, type Pool2dOptions, type Tensor } from '@fathom/core';
import { Module } from '../module.js';

/** Max pooling (`nn.MaxPool2d`); stride defaults to the kernel size. */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: Omit<Pool2dOptions, 'countIncludePad'> = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

/** Average pooling (`nn.AvgPool2d`); `countIncludePad` defaults to true. */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: Omit<Pool2dOptions, 'dilation'> = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}

/** Average pooling to a fixed output size (`nn.AdaptiveAvgPool2d`); `new AdaptiveAvgPool2d(1)` is global average pooling. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
