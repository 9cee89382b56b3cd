import { ValueError } from '@fathom/core';
import type { Optimizer } from '../optimizer.js';
import { requireInteger } from '../hyperparameters.js';
import { bisectRight, LRScheduler, type LRSchedulerOptions, type SchedulerStateDict } from './lr-scheduler.js';

/** What a {@link SequentialLR} keeps: its schedulers and the epochs at which each takes over. */
export interface SequentialLRConfig {
  /** The schedules, in order. */
  schedulers: LRScheduler[];
  /** `schedulers[i + 1]` starts at epoch `milestones[i]`. */
  milestones: number[];
}

// Checks the arguments and puts each group's lr back to its initial value, which the
// schedulers' own constructors changed (PyTorch's SequentialLR does the same).
function prepare(optimizer: Optimizer, schedulers: readonly LRScheduler[], milestones: readonly number[]): SequentialLRConfig {
  if (schedulers.length === 0) throw new ValueError('SequentialLR: expects at least one scheduler');
  schedulers.forEach((scheduler, i) => {
    if (scheduler.optimizer !== optimizer) throw new ValueError(`SequentialLR: schedulers[${i}] belongs to another optimizer`);
  });
  if (milestones.length !== schedulers.length - 1) {
    throw new ValueError(`SequentialLR: expects one milestone fewer than schedulers, got ${schedulers.length} schedulers and ${milestones.length} milestones`);
  }
  milestones.forEach((milestone, i) => {
    requireInteger('SequentialLR', `milestones[${i}]`, milestone, 1);
    if (i > 0 && milestone <= milestones[i - 1]) throw new ValueError(`SequentialLR: milestones must increase, got [${milestones.join(', ')}]`);
  });
  for (const group of optimizer.paramGroups) if (group.initialLr !== undefined) group.lr = group.initialLr;
  return { schedulers: [...schedulers], milestones: [...milestones] };
}

/**
 * Runs schedulers one after another: `schedulers[i + 1]` takes over at epoch
 * `milestones[i]` and starts from its own epoch 0, as PyTorch's `SequentialLR`
 * (whose `step(0)` at a milestone uses the closed form, as we always do).
 *
 * ```ts
 * const warmUp = new LinearLR(optimizer, { startFactor: 0.1, totalIters: 5 });
 * const decay = new CosineAnnealingLR(optimizer, { tMax: 95 });
 * const scheduler = new SequentialLR(optimizer, [warmUp, decay], [5]);
 * ```
 */
export class SequentialLR extends LRScheduler<SequentialLRConfig> {
  /**
   * @param optimizer the optimizer all `schedulers` were made for.
   * @param schedulers the schedules, in order.
   * @param milestones the epochs at which the next schedule takes over (one fewer than schedulers).
   * @param options `lastEpoch`, to resume.
   */
  constructor(optimizer: Optimizer, schedulers: readonly LRScheduler[], milestones: readonly number[], options: LRSchedulerOptions = {}) {
    super('SequentialLR', optimizer, prepare(optimizer, schedulers, milestones), options.lastEpoch);
  }

  // The scheduler in charge at `epoch`, and the epoch in its own count.
  private locate(epoch: number): { scheduler: LRScheduler; local: number } {
    const { schedulers, milestones } = this.config;
    const index = bisectRight(milestones, epoch);
    return { scheduler: schedulers[index], local: index === 0 ? epoch : epoch - milestones[index - 1] };
  }

  override lrAt(epoch: number): number[] {
    const { scheduler, local } = this.locate(epoch);
    return scheduler.lrAt(local);
  }

  protected override applyEpoch(epoch: number): void {
    super.applyEpoch(epoch);
    const { scheduler, local } = this.locate(epoch);
    scheduler.lastEpoch = local;
  }

  /** The state with each scheduler's own under `_schedulers`, as PyTorch. */
  override stateDict(): SchedulerStateDict {
    const { schedulers: _schedulers, ...own } = super.stateDict();
    return { ...own, _schedulers: this.config.schedulers.map((scheduler) => scheduler.stateDict()) };
  }

  /** Restores {@link SequentialLR.stateDict | stateDict}'s state, and each scheduler's. */
  override loadStateDict(stateDict: SchedulerStateDict): void {
    const saved = stateDict._schedulers;
    const { schedulers } = this.config;
    if (!Array.isArray(saved) || saved.length !== schedulers.length) {
      throw new ValueError(`SequentialLR.loadStateDict: _schedulers must hold ${schedulers.length} state dicts`);
    }
    const { _schedulers: _saved, schedulers: _unused, ...own } = stateDict;
    super.loadStateDict(own as SchedulerStateDict);
    schedulers.forEach((scheduler, i) => scheduler.loadStateDict(saved[i] as SchedulerStateDict));
  }
}
