import type { Optimizer } from '../optimizer.js';
import { requireInteger, requireNumber } from '../hyperparameters.js';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler.js';

/** Options of {@link LinearLR}. */
export interface LinearLROptions extends LRSchedulerOptions {
  /** Factor of the base learning rate at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor at epoch `totalIters` and after, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the ramp (default 5). */
  totalIters?: number;
}

/**
 * Ramps the learning rate linearly from `startFactor`·base to `endFactor`·base
 * over `totalIters` epochs, then holds it: the usual warm-up.
 * lr(e) = base · (start + (end − start) · min(e, totalIters) / totalIters)
 * (PyTorch's `LinearLR`; `startFactor` 0, which PyTorch 1.13 accepted and
 * then divided by, is refused as PyTorch 2 does).
 *
 * ```ts
 * const warmUp = new LinearLR(optimizer, { startFactor: 0.01, totalIters: 500 });
 * ```
 */
export class LinearLR extends LRScheduler<{ startFactor: number; endFactor: number; totalIters: number }> {
  /**
   * @param optimizer whose learning rates to set.
   * @param options `startFactor` (1/3), `endFactor` (1), `totalIters` (5).
   */
  constructor(optimizer: Optimizer, { startFactor = 1 / 3, endFactor = 1, totalIters = 5, lastEpoch }: LinearLROptions = {}) {
    super('LinearLR', optimizer, {
      startFactor: requireNumber('LinearLR', 'startFactor', startFactor, (v) => v > 0 && v <= 1, 'must be in (0, 1]'),
      endFactor: requireNumber('LinearLR', 'endFactor', endFactor, (v) => v >= 0 && v <= 1, 'must be in [0, 1]'),
      totalIters: requireInteger('LinearLR', 'totalIters', totalIters, 1),
    }, lastEpoch);
  }

  override lrAt(epoch: number): number[] {
    const { startFactor, endFactor, totalIters } = this.config;
    return this.baseLrs.map((base) => base * (startFactor + ((endFactor - startFactor) * Math.min(totalIters, epoch)) / totalIters));
  }
}
