import { ValueError } from '@fathom/core';
import type { Optimizer } from '../optimizer.js';
import { perGroup, requireChoice, requireInteger, requireNonNegative, requireNumber } from '../hyperparameters.js';

/** Options of {@link ReduceLROnPlateau} (PyTorch's names and defaults). */
export interface ReduceLROnPlateauOptions {
  /** `'min'` (default): lower is better, as for a loss; `'max'`: higher is better, as for accuracy. */
  mode?: 'min' | 'max';
  /** Factor of each reduction, in [0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before a reduction (default 10). */
  patience?: number;
  /** How much better a value must be to count as an improvement (default 1e-4). */
  threshold?: number;
  /** `'rel'` (default): better than best·(1 ∓ threshold); `'abs'`: better than best ∓ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** The lowest learning rate, one for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the learning rate by `factor` when a metric has stopped improving
 * for more than `patience` epochs: PyTorch's `ReduceLROnPlateau`, with its
 * defaults, step for step. Unlike the other schedulers it depends on the
 * metric, not only on the epoch; pass it a number (`await loss.item()`).
 *
 * ```ts
 * const scheduler = new ReduceLROnPlateau(optimizer, { patience: 3 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); scheduler.step(await validationLoss()); }
 * ```
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' `lr` this scheduler lowers. */
  readonly optimizer: Optimizer;
  /** `'min'` or `'max'`. */
  readonly mode: 'min' | 'max';
  /** Factor of each reduction. */
  readonly factor: number;
  /** Bad epochs tolerated before a reduction. */
  readonly patience: number;
  /** The improvement that counts. */
  readonly threshold: number;
  /** `'rel'` or `'abs'`. */
  readonly thresholdMode: 'rel' | 'abs';
  /** Epochs of rest after a reduction. */
  readonly cooldown: number;
  /** The lowest learning rate of each group. */
  readonly minLrs: number[];
  /** Reductions smaller than this are skipped. */
  readonly eps: number;
  /** The best metric so far. */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** Epochs stepped so far. */
  lastEpoch = 0;
  private lastLr: number[];

  /**
   * @param optimizer whose learning rates to lower.
   * @param options see {@link ReduceLROnPlateauOptions}; PyTorch's defaults.
   */
  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const name = 'ReduceLROnPlateau';
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = options;
    this.optimizer = optimizer;
    this.mode = requireChoice(name, 'mode', mode, ['min', 'max'] as const);
    this.factor = requireNumber(name, 'factor', factor, (v) => v >= 0 && v < 1, 'must be in [0, 1)');
    this.patience = requireInteger(name, 'patience', patience, 0);
    this.threshold = requireNonNegative(name, 'threshold', threshold);
    this.thresholdMode = requireChoice(name, 'thresholdMode', thresholdMode, ['rel', 'abs'] as const);
    this.cooldown = requireInteger(name, 'cooldown', cooldown, 0);
    this.minLrs = perGroup(name, 'minLr', minLr, optimizer.paramGroups.length);
    this.minLrs.forEach((lr, i) => requireNonNegative(name, `minLr[${i}]`, lr));
    this.eps = requireNonNegative(name, 'eps', eps);
    this.best = this.worst;
    this.lastLr = optimizer.paramGroups.map((group) => group.lr);
  }

  // The starting "best": no metric is worse.
  private get worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(value: number): boolean {
    const { mode, thresholdMode, threshold, best } = this;
    if (mode === 'min') return thresholdMode === 'rel' ? value < best * (1 - threshold) : value < best - threshold;
    return thresholdMode === 'rel' ? value > best * (threshold + 1) : value > best + threshold;
  }

  /**
   * Records the metric of the epoch just finished, and lowers each group's
   * `lr` (to no less than its `minLr`) once more than `patience` epochs in a
   * row did not improve on the best.
   *
   * ```ts
   * scheduler.step(await validationLoss.item());
   * ```
   */
  step(metric: number): void {
    if (typeof metric !== 'number') throw new ValueError(`ReduceLROnPlateau.step: expected a number, got ${typeof metric}; read a tensor with await t.item()`);
    this.lastEpoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs during the cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((group, i) => {
        const reduced = Math.max(group.lr * this.factor, this.minLrs[i]);
        if (group.lr - reduced > this.eps) group.lr = reduced;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /**
   * The learning rates after the last step, one per group.
   *
   * ```ts
   * console.log(scheduler.getLastLr());
   * ```
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The counters as plain JSON under PyTorch's names (`best`, `num_bad_epochs`,
   * `cooldown_counter`, `last_epoch`, `_last_lr`). An infinite `best` (no
   * metric yet) becomes null in JSON and loads back as such.
   *
   * ```ts
   * const saved = JSON.stringify(scheduler.stateDict());
   * ```
   */
  stateDict(): Record<string, unknown> {
    return {
      mode: this.mode, factor: this.factor, patience: this.patience, threshold: this.threshold, threshold_mode: this.thresholdMode,
      cooldown: this.cooldown, min_lrs: [...this.minLrs], eps: this.eps,
      best: this.best, num_bad_epochs: this.numBadEpochs, cooldown_counter: this.cooldownCounter, last_epoch: this.lastEpoch, _last_lr: [...this.lastLr],
    };
  }

  /**
   * Restores the counters of {@link ReduceLROnPlateau.stateDict | stateDict} (the hyper-parameters are the constructor's).
   *
   * ```ts
   * scheduler.loadStateDict(JSON.parse(saved));
   * ```
   */
  loadStateDict(stateDict: Record<string, unknown>): void {
    const where = 'ReduceLROnPlateau.loadStateDict';
    const count = (key: string): number => requireInteger(where, key, stateDict[key], 0);
    const best = stateDict.best === null ? this.worst : requireNumber(where, 'best', stateDict.best, () => true, 'must be a number');
    const lastLr = stateDict._last_lr;
    if (!Array.isArray(lastLr) || lastLr.length !== this.optimizer.paramGroups.length || !lastLr.every((v) => typeof v === 'number')) {
      throw new ValueError(`${where}: _last_lr must hold one number per parameter group`);
    }
    const numBadEpochs = count('num_bad_epochs');
    const cooldownCounter = count('cooldown_counter');
    const lastEpoch = count('last_epoch');
    this.best = best;
    this.numBadEpochs = numBadEpochs;
    this.cooldownCounter = cooldownCounter;
    this.lastEpoch = lastEpoch;
    this.lastLr = [...lastLr];
  }
}
