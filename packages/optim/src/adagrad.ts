import type { Tensor } from '@fathom/core';
import { requireBoolean, requireNonNegative } from './hyperparameters.js';
import { Optimizer, type OptimizerOptions, type OptimizerParams, type ParamGroup, type ParameterUpdate } from './optimizer.js';

/** Hyper-parameters of {@link Adagrad} (PyTorch's names in camelCase). */
export interface AdagradOptions extends OptimizerOptions {
  /** Learning-rate decay η: step t uses lr / (1 + (t − 1)η) (default 0). */
  lrDecay: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator for numerical stability (default 1e-10). */
  eps: number;
  /** Ascend the objective instead of descending it (default false). */
  maximize: boolean;
}

/** What {@link Adagrad} keeps per parameter (PyTorch's `step` and `sum`). */
export type AdagradState = {
  /** Steps taken so far. */
  step: number;
  /** Sum of the squared gradients, from `initialAccumulatorValue`. */
  sum: Tensor;
};

/**
 * Adagrad (Duchi et al.): PyTorch's `torch.optim.Adagrad`, step for step.
 *
 * Each step t, with g the gradient and θ the parameter:
 * ```text
 * g ← −g if maximize;  g ← g + λθ if weightDecay ≠ 0
 * γ ← lr / (1 + (t − 1)·lrDecay)
 * s ← s + g²
 * θ ← θ − γ·g / (√s + eps)
 * ```
 *
 * ```ts
 * const optimizer = new Adagrad(model.parameters(), { lr: 0.01, initialAccumulatorValue: 0.1 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions, AdagradState> {
  /**
   * @param params tensors, or parameter groups with their own hyper-parameters.
   * @param options defaults: lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10, maximize false.
   */
  constructor(params: OptimizerParams<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...options });
  }

  protected override validate(options: AdagradOptions, owner: string): void {
    requireNonNegative(owner, 'lr', options.lr);
    requireNonNegative(owner, 'lrDecay', options.lrDecay);
    requireNonNegative(owner, 'weightDecay', options.weightDecay);
    requireNonNegative(owner, 'initialAccumulatorValue', options.initialAccumulatorValue);
    requireNonNegative(owner, 'eps', options.eps);
    requireBoolean(owner, 'maximize', options.maximize);
  }

  protected override update(param: Tensor, grad: Tensor, state: AdagradState | undefined, group: ParamGroup<AdagradOptions>): ParameterUpdate<AdagradState> {
    const { lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize } = group;
    const step = (state?.step ?? 0) + 1;
    let g = maximize ? grad.neg() : grad;
    if (weightDecay !== 0) g = g.add(param, { alpha: weightDecay });
    const clr = lr / (1 + (step - 1) * lrDecay);
    const squared = g.mul(g);
    // PyTorch fills the sum with initialAccumulatorValue when the optimizer is made; we do it at the first step.
    const sum = state !== undefined ? state.sum.add(squared) : initialAccumulatorValue === 0 ? squared : squared.add(initialAccumulatorValue);
    return { param: param.add(g.div(sum.sqrt().add(eps)), { alpha: -clr }), state: { step, sum } };
  }
}
