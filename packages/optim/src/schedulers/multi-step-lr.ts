import type { Optimizer } from '../optimizer.js';
import { requireInteger, requireNonNegative } from '../hyperparameters.js';
import { bisectRight, LRScheduler, type LRSchedulerOptions } from './lr-scheduler.js';

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions extends LRSchedulerOptions {
  /** Epochs at which to decay; a milestone listed twice decays twice. */
  milestones: readonly number[];
  /** Factor of each decay (default 0.1). */
  gamma?: number;
}

/**
 * Multiplies the learning rate by `gamma` at each milestone epoch:
 * lr(e) = base · gamma^(number of milestones ≤ e) (PyTorch's `MultiStepLR`).
 *
 * ```ts
 * const scheduler = new MultiStepLR(optimizer, { milestones: [30, 80], gamma: 0.1 });
 * ```
 */
export class MultiStepLR extends LRScheduler<{ milestones: number[]; gamma: number }> {
  /**
   * @param optimizer whose learning rates to set.
   * @param options `milestones`, and `gamma` (default 0.1).
   */
  constructor(optimizer: Optimizer, { milestones, gamma = 0.1, lastEpoch }: MultiStepLROptions) {
    milestones.forEach((milestone, i) => requireInteger('MultiStepLR', `milestones[${i}]`, milestone, 0));
    super('MultiStepLR', optimizer, {
      milestones: [...milestones].sort((a, b) => a - b),
      gamma: requireNonNegative('MultiStepLR', 'gamma', gamma),
    }, lastEpoch);
  }

  override lrAt(epoch: number): number[] {
    const { milestones, gamma } = this.config;
    return this.baseLrs.map((base) => base * gamma ** bisectRight(milestones, epoch));
  }
}
