import type { Tensor } from '@fathom/core';
import { requireBetas, requireBoolean, requireNonNegative } from './hyperparameters.js';
import { Optimizer, type OptimizerOptions, type OptimizerParams, type ParamGroup, type ParameterUpdate } from './optimizer.js';

/** Hyper-parameters of {@link Adam} and {@link AdamW} (PyTorch's names in camelCase). */
export interface AdamOptions extends OptimizerOptions {
  /** Decay rates (β1, β2) of the running averages of the gradient and its square (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator for numerical stability (default 1e-8). */
  eps: number;
  /** Weight decay λ: an L2 penalty in {@link Adam} (default 0), decoupled in {@link AdamW} (default 1e-2). */
  weightDecay: number;
  /** Normalize by the largest second moment seen so far (AMSGrad; default false). */
  amsgrad: boolean;
  /** Ascend the objective instead of descending it (default false). */
  maximize: boolean;
}

/** What {@link Adam} and {@link AdamW} keep per parameter (PyTorch's `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`). */
export type AdamState = {
  /** Steps taken so far. */
  step: number;
  /** Running average m of the gradient. */
  expAvg: Tensor;
  /** Running average v of the squared gradient. */
  expAvgSq: Tensor;
  /** Largest v so far (amsgrad only). */
  maxExpAvgSq?: Tensor;
};

/** Adam's checks, shared with AdamW. */
export function validateAdam(options: AdamOptions, owner: string): void {
  requireNonNegative(owner, 'lr', options.lr);
  requireNonNegative(owner, 'eps', options.eps);
  requireBetas(owner, options.betas);
  requireNonNegative(owner, 'weightDecay', options.weightDecay);
  requireBoolean(owner, 'amsgrad', options.amsgrad);
  requireBoolean(owner, 'maximize', options.maximize);
}

/**
 * One Adam step for one tensor, as PyTorch's `_single_tensor_adam` /
 * `_single_tensor_adamw`; `decoupled` chooses AdamW's weight decay
 * (θ ← θ(1 − lr·λ)) over Adam's L2 penalty (g ← g + λθ).
 */
export function adamUpdate(param: Tensor, grad: Tensor, state: AdamState | undefined, group: AdamOptions, decoupled: boolean): ParameterUpdate<AdamState> {
  const { lr, betas: [beta1, beta2], eps, weightDecay, amsgrad, maximize } = group;
  const step = (state?.step ?? 0) + 1;
  let g = maximize ? grad.neg() : grad;
  let value = param;
  if (weightDecay !== 0) {
    if (decoupled) value = param.mul(1 - lr * weightDecay);
    else g = g.add(param, { alpha: weightDecay });
  }
  // The averages start at zero, so the first update (1 − β)·g is exactly PyTorch's 0·β + (1 − β)·g.
  // Scaled sums (add with alpha) save a pass each with the bits of a separate multiply and add.
  const fresh = g.mul(1 - beta1);
  const expAvg = state === undefined ? fresh : fresh.add(state.expAvg, { alpha: beta1 });
  const squared = g.mul(g).mul(1 - beta2);
  const expAvgSq = state === undefined ? squared : squared.add(state.expAvgSq, { alpha: beta2 });
  let maxExpAvgSq = state?.maxExpAvgSq;
  // A copy, not the same tensor under two names: each state tensor has one owner entry.
  if (amsgrad) maxExpAvgSq = maxExpAvgSq === undefined ? expAvgSq.clone() : maxExpAvgSq.maximum(expAvgSq);

  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
  const stepSize = lr / biasCorrection1;
  const denominator = (amsgrad ? (maxExpAvgSq as Tensor) : expAvgSq).sqrt().div(biasCorrection2Sqrt).add(eps);
  return { param: value.add(expAvg.div(denominator), { alpha: -stepSize }), state: { step, expAvg, expAvgSq, maxExpAvgSq } };
}

/**
 * Adam (Kingma & Ba), with weight decay as an L2 penalty on the gradient and
 * the AMSGrad variant: PyTorch's `torch.optim.Adam`, step for step.
 *
 * Each step t, with g the gradient and θ the parameter:
 * ```text
 * g ← −g if maximize;  g ← g + λθ if weightDecay ≠ 0
 * m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 * v̂ ← max(v̂, v) if amsgrad, else v
 * θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v̂ / √(1 − β2ᵗ) + eps)
 * ```
 *
 * ```ts
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3, amsgrad: true });
 * ```
 */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  /**
   * @param params tensors, or parameter groups with their own hyper-parameters.
   * @param options defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad false, maximize false.
   */
  constructor(params: OptimizerParams<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('Adam', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...options });
  }

  protected override validate(options: AdamOptions, owner: string): void {
    validateAdam(options, owner);
  }

  protected override update(param: Tensor, grad: Tensor, state: AdamState | undefined, group: ParamGroup<AdamOptions>): ParameterUpdate<AdamState> {
    return adamUpdate(param, grad, state, group, false);
  }
}
