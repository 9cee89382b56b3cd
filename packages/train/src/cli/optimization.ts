import type { Tensor } from '@fathom/core';
import { Adam, AdamW, CosineAnnealingLR, LinearLR, OneCycleLR, SequentialLR, SGD, StepLR, type LRScheduler, type Optimizer } from '@fathom/optim';

/** What `--optimizer` accepts. */
export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
/** What `--lr-schedule` accepts. */
export const SCHEDULES = ['none', 'step', 'cosine', 'onecycle'] as const;

/** The optimization flags. */
export interface OptimizationOptions {
  /** `sgd`, `adam` or `adamw`. */
  readonly optimizer: (typeof OPTIMIZERS)[number];
  /** The (peak) learning rate. */
  readonly lr: number;
  /** SGD's momentum. */
  readonly momentum: number;
  /** SGD's Nesterov momentum. */
  readonly nesterov: boolean;
  /** L2 weight decay (decoupled for AdamW). */
  readonly weightDecay: number;
  /** The schedule after the warm-up. */
  readonly lrSchedule: (typeof SCHEDULES)[number];
}

/** How long a schedule runs, in optimizer steps. */
export interface ScheduleSteps {
  /** Steps in the whole run. */
  readonly total: number;
  /** Linear warm-up steps before the schedule (0: none). */
  readonly warmup: number;
  /** StepLR's period: the rate drops tenfold every this many steps. */
  readonly stepSize: number;
}

/** An optimizer and its schedule, stepped after every optimizer step. */
export interface Optimization {
  /** The optimizer over the parameters. */
  readonly optimizer: Optimizer;
  /** The schedule, if any. */
  readonly scheduler?: LRScheduler;
}

/**
 * The optimizer and LR schedule a command line asks for, as PyTorch's
 * examples set them up, all counted in steps: `step` divides by 10 every
 * `stepSize` steps (examples/imagenet's 30 epochs of 90), `cosine` anneals
 * to 0, `onecycle` is OneCycleLR; a warm-up ramps linearly from lr/100 over
 * `warmup` steps before the schedule.
 *
 * ```ts
 * const { optimizer, scheduler } = makeOptimization(model.parameters(), { optimizer: 'adam', lr: 2e-3, momentum: 0, nesterov: false, weightDecay: 0, lrSchedule: 'cosine' }, { total: 2000, warmup: 0, stepSize: 700 });
 * ```
 */
export function makeOptimization(parameters: Tensor[], options: OptimizationOptions, steps: ScheduleSteps): Optimization {
  const { lr, weightDecay } = options;
  const optimizer: Optimizer = options.optimizer === 'sgd'
    ? new SGD(parameters, { lr, momentum: options.momentum, nesterov: options.nesterov, weightDecay })
    : options.optimizer === 'adam' ? new Adam(parameters, { lr, weightDecay }) : new AdamW(parameters, { lr, weightDecay });
  const total = Math.max(1, steps.total);
  const warmup = Math.min(steps.warmup, total);
  let main: LRScheduler | undefined;
  switch (options.lrSchedule) {
    case 'none': break;
    case 'step': main = new StepLR(optimizer, { stepSize: Math.max(1, steps.stepSize), gamma: 0.1 }); break;
    case 'cosine': main = new CosineAnnealingLR(optimizer, { tMax: Math.max(1, total - warmup) }); break;
    case 'onecycle': return { optimizer, scheduler: new OneCycleLR(optimizer, { maxLr: lr, totalSteps: total }) };
  }
  if (warmup === 0) return { optimizer, scheduler: main };
  const ramp = new LinearLR(optimizer, { startFactor: 0.01, endFactor: 1, totalIters: warmup });
  if (!main) return { optimizer, scheduler: ramp };
  return { optimizer, scheduler: new SequentialLR(optimizer, [ramp, main], [warmup]) };
}
