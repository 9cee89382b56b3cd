import { ValueError } from '@fathom/core';

/**
 * A training run whose loss or gradients became NaN or infinite. The loop
 * stops before the optimizer applies them and saves nothing, so `best` and
 * `last` keep the weights of the last good epoch.
 */
export class DivergenceError extends ValueError {
  /** The epoch (from 0) of the bad step. */
  readonly epoch: number;
  /** The step (counted from 1 over the whole run) that diverged. */
  readonly step: number;
  constructor(epoch: number, step: number, loss: number, gradNorm: number) {
    const what = Number.isFinite(loss) ? `the gradient norm is ${gradNorm}` : `the loss is ${loss}`;
    super(
      `training diverged at epoch ${epoch + 1}, step ${step}: ${what}; the step was not applied and no checkpoint was written. ` +
      `Lower the learning rate, or find the first op that made a NaN or Inf with detectAnomaly(() => …) from @fathom/autograd`,
    );
    this.epoch = epoch;
    this.step = step;
  }
}
