import type { Tensor } from '@fathom/core';
import { adamUpdate, validateAdam, type AdamOptions, type AdamState } from './adam.js';
import { Optimizer, type OptimizerParams, type ParamGroup, type ParameterUpdate } from './optimizer.js';

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter): the parameter is
 * shrunk by θ ← θ(1 − lr·λ) before the Adam update, instead of λθ being added
 * to the gradient. PyTorch's `torch.optim.AdamW`, step for step; its default
 * weight decay is 1e-2.
 *
 * ```ts
 * const optimizer = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
 * ```
 */
export class AdamW extends Optimizer<AdamOptions, AdamState> {
  /**
   * @param params tensors, or parameter groups with their own hyper-parameters.
   * @param options defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2, amsgrad false, maximize false.
   */
  constructor(params: OptimizerParams<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('AdamW', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...options });
  }

  protected override validate(options: AdamOptions, owner: string): void {
    validateAdam(options, owner);
  }

  protected override update(param: Tensor, grad: Tensor, state: AdamState | undefined, group: ParamGroup<AdamOptions>): ParameterUpdate<AdamState> {
    return adamUpdate(param, grad, state, group, true);
  }
}
