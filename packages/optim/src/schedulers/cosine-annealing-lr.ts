import type { Optimizer } from '../optimizer.js';
import { requireInteger, requireNonNegative } from '../hyperparameters.js';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler.js';

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions extends LRSchedulerOptions {
  /** Epochs from the base learning rate down to `etaMin` (PyTorch's `T_max`). */
  tMax: number;
  /** The lowest learning rate (default 0). */
  etaMin?: number;
}

/**
 * Anneals the learning rate along half a cosine from the base down to
 * `etaMin` over `tMax` epochs, then back up over the next `tMax` (a cosine of
 * period 2·tMax): lr(e) = etaMin + (base − etaMin)(1 + cos(πe / tMax)) / 2.
 *
 * This is PyTorch's closed form (`_get_closed_form_lr`). PyTorch's `step()`
 * uses a recursive form instead, which reaches the same values up to
 * accumulated rounding (about 1e-14 relative after 3 periods, checked in the
 * tests) but also follows changes made to `lr` from outside; ours does not.
 *
 * ```ts
 * const scheduler = new CosineAnnealingLR(optimizer, { tMax: 100, etaMin: 1e-5 });
 * ```
 */
export class CosineAnnealingLR extends LRScheduler<{ tMax: number; etaMin: number }> {
  /**
   * @param optimizer whose learning rates to set.
   * @param options `tMax`, and `etaMin` (default 0).
   */
  constructor(optimizer: Optimizer, { tMax, etaMin = 0, lastEpoch }: CosineAnnealingLROptions) {
    super('CosineAnnealingLR', optimizer, {
      tMax: requireInteger('CosineAnnealingLR', 'tMax', tMax, 1),
      etaMin: requireNonNegative('CosineAnnealingLR', 'etaMin', etaMin),
    }, lastEpoch);
  }

  override lrAt(epoch: number): number[] {
    const { tMax, etaMin } = this.config;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2);
  }
}
