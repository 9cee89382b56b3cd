import type { Tensor } from '@fathom/core';
import { Adam, AdamW, CosineAnnealingLR, LinearLR, OneCycleLR, SequentialLR, SGD, StepLR, type LRScheduler, type Optimizer } from '@fathom/optim';

/** What `--optimizer` accepts. */
export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
/** What `--lr-schedule` accepts. */
export const SCHEDULES = ['none', 'step', 'cosine', 'onecycle'] as const;

/** The optimization flags. */
export interface OptimizationOptions {
  readonly optimizer: (typeof OPTIMIZERS)[number];
  readonly lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly lrSchedule: (typeof SCHEDULES)[number];
  readonly warmupEpochs: number;
  readonly epochs: number;
  /** StepLR's period in epochs (default epochs/3, at least 1). */
  readonly stepSize?: number;
}

/** An optimizer and its schedule, and whether the schedule steps per batch. */
export interface Optimization {
  readonly optimizer: Optimizer;
  readonly scheduler?: LRScheduler;
  readonly interval: 'epoch' | 'step';
}

/**
 * The optimizer and LR schedule of the flags, as PyTorch's examples set them
 * up: `step` divides by 10 every `stepSize` epochs (examples/imagenet's 30 of
 * 90), `cosine` anneals to 0 per step, `onecycle` is OneCycleLR per step; a
 * warm-up ramps linearly from lr/100 over `warmupEpochs` before the schedule.
 */
export function makeOptimization(parameters: Tensor[], options: OptimizationOptions, stepsPerEpoch: number): Optimization {
  const { lr, weightDecay } = options;
  const optimizer: Optimizer = options.optimizer === 'sgd'
    ? new SGD(parameters, { lr, momentum: options.momentum, nesterov: options.nesterov, weightDecay })
    : options.optimizer === 'adam' ? new Adam(parameters, { lr, weightDecay }) : new AdamW(parameters, { lr, weightDecay });
  const totalSteps = options.epochs * stepsPerEpoch;
  const warmupSteps = Math.min(options.warmupEpochs * stepsPerEpoch, totalSteps);
  let main: LRScheduler | undefined;
  switch (options.lrSchedule) {
    case 'none': break;
    case 'step':
      // Per step, so warm-up can run before it in one SequentialLR.
      main = new StepLR(optimizer, { stepSize: (options.stepSize ?? Math.max(1, Math.round(options.epochs / 3))) * stepsPerEpoch, gamma: 0.1 });
      break;
    case 'cosine': main = new CosineAnnealingLR(optimizer, { tMax: Math.max(1, totalSteps - warmupSteps) }); break;
    case 'onecycle': return { optimizer, scheduler: new OneCycleLR(optimizer, { maxLr: lr, totalSteps: Math.max(1, totalSteps) }), interval: 'step' };
  }
  if (warmupSteps === 0) return { optimizer, scheduler: main, interval: 'step' };
  const warmup = new LinearLR(optimizer, { startFactor: 0.01, endFactor: 1, totalIters: warmupSteps });
  if (!main) return { optimizer, scheduler: warmup, interval: 'step' };
  return { optimizer, scheduler: new SequentialLR(optimizer, [warmup, main], [warmupSteps]), interval: 'step' };
}
