import type { Optimizer } from '../optimizer.js';
import { requireNonNegative } from '../hyperparameters.js';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler.js';

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions extends LRSchedulerOptions {
  /** Factor of the decay each epoch. */
  gamma: number;
}

/**
 * Multiplies the learning rate by `gamma` every epoch: lr(e) = base · gammaᵉ
 * (PyTorch's `ExponentialLR`).
 *
 * ```ts
 * const scheduler = new ExponentialLR(optimizer, { gamma: 0.95 });
 * ```
 */
export class ExponentialLR extends LRScheduler<{ gamma: number }> {
  /**
   * @param optimizer whose learning rates to set.
   * @param options `gamma`.
   */
  constructor(optimizer: Optimizer, { gamma, lastEpoch }: ExponentialLROptions) {
    super('ExponentialLR', optimizer, { gamma: requireNonNegative('ExponentialLR', 'gamma', gamma) }, lastEpoch);
  }

  override lrAt(epoch: number): number[] {
    return this.baseLrs.map((base) => base * this.config.gamma ** epoch);
  }
}
