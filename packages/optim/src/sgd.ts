import type { Tensor } from '@fathom/core';
import { sgdStep_, ValueError } from '@fathom/core';
import { requireBoolean, requireNonNegative } from './hyperparameters.js';
import { Optimizer, type OptimizerOptions, type OptimizerParams, type ParamGroup, type ParameterUpdate } from './optimizer.js';

/** Hyper-parameters of {@link SGD} (PyTorch's names in camelCase). */
export interface SGDOptions extends OptimizerOptions {
  /** Momentum factor μ (default 0: plain gradient descent). */
  momentum: number;
  /** Dampening τ of the momentum (default 0). */
  dampening: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Ascend the objective instead of descending it (default false). */
  maximize: boolean;
}

/** What {@link SGD} keeps per parameter: the momentum buffer (PyTorch's `momentum_buffer`), once momentum is on. */
export type SGDState = {
  /** The velocity b. */
  momentumBuffer?: Tensor;
};

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov
 * momentum and weight decay: PyTorch's `torch.optim.SGD`, step for step.
 * `lr` has no default (as in PyTorch 1.x): give it here or in every group.
 *
 * Each step, with g the gradient and θ the parameter:
 * ```text
 * g ← −g if maximize        (before weight decay, as PyTorch's code; its docs' pseudo-code negates at the end)
 * g ← g + λθ                if weightDecay ≠ 0
 * b ← g (first step), else μb + (1 − τ)g      if momentum ≠ 0
 * g ← g + μb if nesterov, else b              if momentum ≠ 0
 * θ ← θ − lr·g
 * ```
 *
 * ```ts
 * const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
 * ```
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  /**
   * @param params tensors, or parameter groups with their own hyper-parameters.
   * @param options defaults for the groups; `lr` is required unless every group sets it.
   */
  constructor(params: OptimizerParams<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super('SGD', params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options } as SGDOptions);
  }

  protected override validate(options: SGDOptions, owner: string): void {
    requireNonNegative(owner, 'lr', options.lr);
    const momentum = requireNonNegative(owner, 'momentum', options.momentum);
    const dampening = requireNonNegative(owner, 'dampening', options.dampening);
    requireNonNegative(owner, 'weightDecay', options.weightDecay);
    requireBoolean(owner, 'maximize', options.maximize);
    if (requireBoolean(owner, 'nesterov', options.nesterov) && (momentum <= 0 || dampening !== 0)) {
      throw new ValueError(`${owner}: nesterov needs momentum > 0 and dampening 0, got momentum ${momentum} and dampening ${dampening}`);
    }
  }

  protected override update(param: Tensor, grad: Tensor, state: SGDState | undefined, group: ParamGroup<SGDOptions>): ParameterUpdate<SGDState> {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    // In place: one fused pass over the parameter, gradient and momentum where the device has the kernel.
    const momentumBuffer = sgdStep_(param, grad, state?.momentumBuffer, { lr, momentum, dampening, weightDecay, nesterov, maximize });
    return { param, state: { momentumBuffer } };
  }
}
