import { ValueError } from '@fathom/core';
import type { Optimizer } from '../optimizer.js';
import { renameKeys, toCamelCase, toSnakeCase } from '../state-dict.js';

/** Options every epoch-driven scheduler takes. */
export interface LRSchedulerOptions {
  /**
   * The index of the last epoch, to resume a schedule (default -1: start).
   * Resuming needs `initialLr` in every parameter group, as restored by the
   * optimizer's `loadStateDict`.
   */
  lastEpoch?: number;
}

/**
 * A scheduler's state, plain JSON: PyTorch's keys (`last_epoch`, `base_lrs`,
 * `_last_lr` and the hyper-parameters in snake_case).
 *
 * ```ts
 * const saved: SchedulerStateDict = scheduler.stateDict(); // { step_size: 30, gamma: 0.1, base_lrs: [0.1], last_epoch: 4, _last_lr: [0.1] }
 * ```
 */
export interface SchedulerStateDict {
  /** The index of the last epoch stepped to. */
  last_epoch: number;
  /** The learning rate of each group at epoch 0. */
  base_lrs: number[];
  /** The learning rates the last step set. */
  _last_lr: number[];
  /** The hyper-parameters, under PyTorch's names. */
  [key: string]: unknown;
}

/**
 * The base of the epoch-driven schedulers. A schedule is a pure function of
 * the epoch, {@link lrAt} (PyTorch's `_get_closed_form_lr`); the class holds
 * the epoch counter and writes the values into the optimizer's groups on
 * {@link step}. Construction already takes the step to epoch 0, as in PyTorch.
 *
 * Differs from PyTorch: PyTorch's `step()` uses a recursive ("chainable")
 * form that multiplies the group's current lr by a factor. Without outside
 * changes to `lr` both agree to rounding (about 1e-15 relative); with two
 * schedulers on one optimizer, PyTorch's factors compose, ours do not — the
 * last scheduler to step sets the lr. Use {@link SequentialLR} to chain.
 *
 * ```ts
 * const scheduler = new StepLR(optimizer, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 90; epoch++) { train(); scheduler.step(); }
 * ```
 */
export abstract class LRScheduler<C extends object = object> {
  /** The scheduler's name in messages. */
  readonly name: string;
  /** The optimizer whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer;
  /** The learning rate of each group at epoch 0 (each group's `initialLr`). */
  baseLrs: number[];
  /** The index of the last epoch stepped to (0 after construction). */
  lastEpoch: number;
  /** The schedule's hyper-parameters; `stateDict()` saves them under PyTorch's names. */
  protected readonly config: C;
  private lastLr: number[] = [];

  /**
   * @param name the scheduler's name in messages.
   * @param optimizer whose learning rates to set.
   * @param config the schedule's hyper-parameters, already checked.
   * @param lastEpoch the last epoch, to resume; -1 to start.
   */
  protected constructor(name: string, optimizer: Optimizer, config: C, lastEpoch = -1) {
    this.name = name;
    this.optimizer = optimizer;
    this.config = config;
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) throw new ValueError(`${name}: invalid lastEpoch ${lastEpoch} (must be an integer ≥ -1)`);
    const groups = optimizer.paramGroups;
    if (lastEpoch === -1) {
      for (const group of groups) group.initialLr ??= group.lr;
    } else {
      groups.forEach((group, i) => {
        if (group.initialLr === undefined) {
          throw new ValueError(`${name}: resuming at lastEpoch ${lastEpoch} needs initialLr in parameter group ${i}; load the optimizer's state dict first`);
        }
      });
    }
    this.baseLrs = groups.map((group) => group.initialLr as number);
    this.lastEpoch = lastEpoch;
    this.step();
  }

  /**
   * The learning rate of each parameter group at `epoch`: a pure function of
   * the epoch and the hyper-parameters (it changes nothing).
   *
   * ```ts
   * const curve = Array.from({ length: 100 }, (_, epoch) => scheduler.lrAt(epoch)[0]);
   * ```
   */
  abstract lrAt(epoch: number): number[];

  /**
   * Moves to the next epoch and sets each group's `lr`. Call it after
   * `optimizer.step()`, once per epoch (or per batch, for per-step schedules).
   *
   * ```ts
   * optimizer.step();
   * scheduler.step();
   * ```
   */
  step(): void {
    this.applyEpoch(this.lastEpoch + 1);
  }

  /** Sets the groups for `epoch` and records it as the last epoch. */
  protected applyEpoch(epoch: number): void {
    const lrs = this.lrAt(epoch);
    this.lastEpoch = epoch;
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = lrs[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /**
   * The learning rates the last step set, one per group (PyTorch `get_last_lr`).
   *
   * ```ts
   * console.log(scheduler.getLastLr()); // [0.1]
   * ```
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The scheduler's state as plain JSON (see {@link SchedulerStateDict}). The
   * learning rates themselves live in the optimizer's state dict.
   *
   * ```ts
   * const checkpoint = { optimizer: optimizer.stateDict(), scheduler: scheduler.stateDict() };
   * ```
   */
  stateDict(): SchedulerStateDict {
    return {
      ...renameKeys(this.config as Record<string, unknown>, toSnakeCase),
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
    };
  }

  /**
   * Restores a state from {@link LRScheduler.stateDict | stateDict}: the epoch, base learning rates and
   * hyper-parameters. As in PyTorch, the optimizer's `lr` is not touched (load
   * the optimizer's own state dict for that).
   *
   * ```ts
   * scheduler.loadStateDict(checkpoint.scheduler);
   * ```
   */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    const groups = this.optimizer.paramGroups.length;
    const isLrList = (value: unknown): value is number[] => Array.isArray(value) && value.length === groups && value.every((v) => typeof v === 'number');
    if (typeof stateDict?.last_epoch !== 'number' || !Number.isInteger(stateDict.last_epoch)) throw new ValueError(`${where}: last_epoch must be an integer`);
    if (!isLrList(stateDict.base_lrs)) throw new ValueError(`${where}: base_lrs must hold ${groups} numbers, one per parameter group`);
    if (!isLrList(stateDict._last_lr)) throw new ValueError(`${where}: _last_lr must hold ${groups} numbers, one per parameter group`);
    const config = this.config as Record<string, unknown>;
    const saved = renameKeys(stateDict, toCamelCase);
    for (const key of Object.keys(config)) {
      if (key in saved && typeof saved[key] === typeof config[key]) config[key] = saved[key];
    }
    this.lastEpoch = stateDict.last_epoch;
    this.baseLrs = [...stateDict.base_lrs];
    this.lastLr = [...stateDict._last_lr];
  }
}

/** The number of sorted `values` that are ≤ `x` (Python's `bisect_right`). */
export function bisectRight(values: readonly number[], x: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (x < values[middle]) high = middle;
    else low = middle + 1;
  }
  return low;
}
