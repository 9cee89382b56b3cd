import type { Optimizer } from '../optimizer.js';
import { requireInteger, requireNonNegative } from '../hyperparameters.js';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler.js';

/** Options of {@link StepLR}. */
export interface StepLROptions extends LRSchedulerOptions {
  /** Epochs between two decays. */
  stepSize: number;
  /** Factor of each decay (default 0.1). */
  gamma?: number;
}

/**
 * Multiplies the learning rate by `gamma` every `stepSize` epochs:
 * lr(e) = base · gamma^⌊e / stepSize⌋ (PyTorch's `StepLR`).
 *
 * ```ts
 * const scheduler = new StepLR(optimizer, { stepSize: 30, gamma: 0.1 }); // 0.1 for 30 epochs, then 0.01, …
 * ```
 */
export class StepLR extends LRScheduler<{ stepSize: number; gamma: number }> {
  /**
   * @param optimizer whose learning rates to set.
   * @param options `stepSize`, and `gamma` (default 0.1).
   */
  constructor(optimizer: Optimizer, { stepSize, gamma = 0.1, lastEpoch }: StepLROptions) {
    super('StepLR', optimizer, {
      stepSize: requireInteger('StepLR', 'stepSize', stepSize, 1),
      gamma: requireNonNegative('StepLR', 'gamma', gamma),
    }, lastEpoch);
  }

  override lrAt(epoch: number): number[] {
    const { stepSize, gamma } = this.config;
    return this.baseLrs.map((base) => base * gamma ** Math.floor(epoch / stepSize));
  }
}
