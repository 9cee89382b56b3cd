import { matmul, scope, zeros, type Tensor } from '@fathom/core';
import { Module } from '../module.js';
import { kaimingUniform, uniform } from '../init.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  readonly bias?: boolean;
}

/** `x·Wᵀ + b` over the last dim of `x`; `linear(x, weight, bias)` is the functional form. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (!bias) return matmul(x, weight.t());
  // x·Wᵀ is released as soon as the bias is added (the add's backward needs neither), not when the caller's scope ends.
  return scope(() => matmul(x, weight.t()).add(bias));
}

/**
 * Fully connected layer `y = x·Wᵀ + b` with `weight` (out, in) and `bias`
 * (out), initialized as PyTorch does: W ~ kaimingUniform(a = √5), so
 * U(−1/√in, 1/√in), and b ~ U(−1/√in, 1/√in).
 *
 * ```ts
 * const fc = new Linear(784, 10);
 * fc.forward(randn([64, 784])); // [64, 10]
 * ```
 */
export class Linear extends Module {
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    const weight = this.registerParameter('weight', zeros([outFeatures, inFeatures]))!;
    kaimingUniform(weight, { a: Math.sqrt(5) });
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.registerParameter('bias', options.bias === false ? null : uniform(zeros([outFeatures]), -bound, bound));
  }

  /** (out, in). */
  get weight(): Tensor { return this.parameter('weight'); }
  /** (out), or null. */
  get bias(): Tensor | null { return this.optionalParameter('bias'); }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
