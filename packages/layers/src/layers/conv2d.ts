import { conv2d, zeros, type Conv2dOptions, type Pair, type Tensor } from '@fathom/core';
import { Module } from '../module.js';
import { kaimingUniform, uniform } from '../init.js';

/** Options of {@link Conv2d}, PyTorch's defaults. */
export interface Conv2dLayerOptions extends Omit<Conv2dOptions, 'bias'> {
  /** Learn a per-channel bias (default true). */
  readonly bias?: boolean;
}

/**
 * 2-D convolution over (N, C, H, W) input with `weight` (out, in/groups, kH,
 * kW) and `bias` (out), initialized as PyTorch: kaimingUniform(a = √5) and
 * U(−1/√fanIn, 1/√fanIn).
 *
 * ```ts
 * new Conv2d(3, 64, 3, { padding: 1 }).forward(randn([8, 3, 32, 32])); // [8, 64, 32, 32]
 * ```
 */
export class Conv2d extends Module {
  private readonly options: Omit<Conv2dOptions, 'bias'>;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: Pair, options: Conv2dLayerOptions = {}) {
    super();
    const { bias, ...geometry } = options;
    this.options = geometry;
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const groups = geometry.groups ?? 1;
    const weight = this.registerParameter('weight', zeros([outChannels, inChannels / groups, kh, kw]))!;
    kaimingUniform(weight, { a: Math.sqrt(5) });
    const fanIn = (inChannels / groups) * kh * kw;
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    this.registerParameter('bias', bias === false ? null : uniform(zeros([outChannels]), -bound, bound));
  }

  /** (out, in/groups, kH, kW). */
  get weight(): Tensor { return this.parameter('weight'); }
  /** (out), or null. */
  get bias(): Tensor | null { return this.optionalParameter('bias'); }

  forward(x: Tensor): Tensor {
    const bias = this.bias;
    return conv2d(x, this.weight, bias ? { ...this.options, bias } : this.options);
  }
}
