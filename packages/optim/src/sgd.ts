import type { Tensor } from '@fathom/core';
import { ValueError } from '@fathom/core';
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
    // Each temporary is released as soon as the next one is made, so a step
    // holds at most two parameter-sized temporaries at once: VGG's 103M-weight
    // layer, its gradient and its momentum then fit in wasm32's 4 GiB.
    const temporaries = new Set<Tensor>();
    const made = (tensor: Tensor): Tensor => { temporaries.add(tensor); return tensor; };
    const release = (...tensors: Tensor[]): void => { for (const t of tensors) if (temporaries.delete(t)) t.dispose(); };
    // Scaled sums (`add` with alpha) do each multiply-add in one pass over
    // the parameter: three passes for SGD with momentum and weight decay,
    // where a multiply and an add apiece made six. Each product is rounded
    // before its sum, so the values are those of the separate ops.
    let direction = maximize ? made(grad.neg()) : grad;
    if (weightDecay !== 0) {
      const decayed = made(direction.add(param, { alpha: weightDecay }));
      release(direction);
      direction = decayed;
    }
    let momentumBuffer = state?.momentumBuffer;
    if (momentum !== 0) {
      if (momentumBuffer === undefined) {
        momentumBuffer = direction;
      } else {
        const fresh = dampening === 0 ? direction : made(direction.mul(1 - dampening));
        momentumBuffer = made(fresh.add(momentumBuffer, { alpha: momentum }));
        if (fresh !== direction) release(fresh);
      }
      temporaries.delete(momentumBuffer); // the new state: the optimizer keeps it
      if (nesterov) {
        const next = made(direction.add(momentumBuffer, { alpha: momentum }));
        release(direction);
        direction = next;
      } else {
        release(direction);
        direction = momentumBuffer;
      }
    }
    const updated = param.add(direction, { alpha: -lr });
    release(direction);
    return { param: updated, state: { momentumBuffer } };
  }
}
