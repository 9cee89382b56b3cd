import type { Tensor } from '@fathom/core';
import { requireBoolean, requireNonNegative } from './hyperparameters.js';
import { Optimizer, type OptimizerOptions, type OptimizerParams, type ParamGroup, type ParameterUpdate } from './optimizer.js';

/** Hyper-parameters of {@link RMSprop} (PyTorch's names in camelCase). */
export interface RMSpropOptions extends OptimizerOptions {
  /** Smoothing constant α of the running averages (default 0.99). */
  alpha: number;
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment (default false). */
  centered: boolean;
  /** Ascend the objective instead of descending it (default false). */
  maximize: boolean;
}

/** What {@link RMSprop} keeps per parameter (PyTorch's `step`, `square_avg`, `momentum_buffer`, `grad_avg`). */
export type RMSpropState = {
  /** Steps taken so far. */
  step: number;
  /** Running average v of the squared gradient. */
  squareAvg: Tensor;
  /** The velocity b (momentum > 0 only). */
  momentumBuffer?: Tensor;
  /** Running average of the gradient (centered only). */
  gradAvg?: Tensor;
};

/**
 * RMSprop (Hinton), with momentum and the centered variant: PyTorch's
 * `torch.optim.RMSprop`, step for step.
 *
 * Each step, with g the gradient and θ the parameter:
 * ```text
 * g ← −g if maximize;  g ← g + λθ if weightDecay ≠ 0
 * v ← αv + (1 − α)g²
 * ḡ ← αḡ + (1 − α)g and d ← √(v − ḡ²) + eps   if centered, else d ← √v + eps
 * b ← μb + g/d and θ ← θ − lr·b                 if momentum > 0, else θ ← θ − lr·g/d
 * ```
 *
 * ```ts
 * const optimizer = new RMSprop(model.parameters(), { lr: 1e-3, momentum: 0.9, centered: true });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions, RMSpropState> {
  /**
   * @param params tensors, or parameter groups with their own hyper-parameters.
   * @param options defaults: lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false, maximize false.
   */
  constructor(params: OptimizerParams<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super('RMSprop', params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...options });
  }

  protected override validate(options: RMSpropOptions, owner: string): void {
    requireNonNegative(owner, 'lr', options.lr);
    requireNonNegative(owner, 'eps', options.eps);
    requireNonNegative(owner, 'momentum', options.momentum);
    requireNonNegative(owner, 'weightDecay', options.weightDecay);
    requireNonNegative(owner, 'alpha', options.alpha);
    requireBoolean(owner, 'centered', options.centered);
    requireBoolean(owner, 'maximize', options.maximize);
  }

  protected override update(param: Tensor, grad: Tensor, state: RMSpropState | undefined, group: ParamGroup<RMSpropOptions>): ParameterUpdate<RMSpropState> {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    const step = (state?.step ?? 0) + 1;
    let g = maximize ? grad.neg() : grad;
    if (weightDecay !== 0) g = g.add(param, { alpha: weightDecay });
    // The averages and the buffer start at zero (PyTorch's zeros_like), so each first update is its second term alone.
    const squared = g.mul(g).mul(1 - alpha);
    // Scaled sums (add with alpha): a pass less each, the bits of a separate multiply and add.
    const squareAvg = state === undefined ? squared : squared.add(state.squareAvg, { alpha });
    let gradAvg = state?.gradAvg;
    let denominator: Tensor;
    if (centered) {
      const fresh = g.mul(1 - alpha);
      gradAvg = gradAvg === undefined ? fresh : fresh.add(gradAvg, { alpha });
      denominator = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt().add(eps);
    } else {
      denominator = squareAvg.sqrt().add(eps);
    }
    let momentumBuffer = state?.momentumBuffer;
    let value: Tensor;
    if (momentum > 0) {
      const scaled = g.div(denominator);
      momentumBuffer = momentumBuffer === undefined ? scaled : scaled.add(momentumBuffer, { alpha: momentum });
      value = param.add(momentumBuffer, { alpha: -lr });
    } else {
      value = param.add(g.div(denominator), { alpha: -lr });
    }
    return { param: value, state: { step, squareAvg, momentumBuffer, gradAvg } };
  }
}
