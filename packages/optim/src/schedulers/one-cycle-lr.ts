import { ValueError } from '@fathom/core';
import type { Optimizer, ParamGroup } from '../optimizer.js';
import { perGroup, requireBoolean, requireChoice, requireInteger, requireNumber } from '../hyperparameters.js';
import { LRScheduler, type LRSchedulerOptions } from './lr-scheduler.js';

/** How {@link OneCycleLR} moves between two values within a phase. */
export type AnnealStrategy = 'cos' | 'linear';

/** Options of {@link OneCycleLR} (PyTorch's names and defaults). */
export interface OneCycleLROptions extends LRSchedulerOptions {
  /** The peak learning rate, one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** Epochs, with `stepsPerEpoch`, when `totalSteps` is not given. */
  epochs?: number;
  /** Steps per epoch, with `epochs`, when `totalSteps` is not given. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the learning rate (default 0.3). */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'` annealing. */
  annealStrategy?: AnnealStrategy;
  /** Move momentum (or Adam's β1) opposite to the learning rate (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the peak learning rate (default 0.85). */
  baseMomentum?: number | readonly number[];
  /** Momentum at the ends of the cycle (default 0.95). */
  maxMomentum?: number | readonly number[];
  /** The starting learning rate is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The final learning rate is the starting one / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to the start, then down to the final) instead of two (default false). */
  threePhase?: boolean;
}

/** One phase of a {@link OneCycleLR} cycle: which group values it moves between, until which step. */
export interface OneCyclePhase {
  /** The (fractional) step at which the phase ends. */
  endStep: number;
  /** The group field holding the phase's starting learning rate. */
  startLr: 'initialLr' | 'maxLr' | 'minLr';
  /** The group field holding the phase's final learning rate. */
  endLr: 'initialLr' | 'maxLr' | 'minLr';
  /** The group field holding the phase's starting momentum. */
  startMomentum: 'maxMomentum' | 'baseMomentum';
  /** The group field holding the phase's final momentum. */
  endMomentum: 'maxMomentum' | 'baseMomentum';
}

/** What a {@link OneCycleLR} keeps (and saves in its state dict): the checked options and the phases. */
export interface OneCycleLRConfig {
  /** Steps in the cycle. */
  totalSteps: number;
  /** `'cos'` or `'linear'`. */
  annealStrategy: AnnealStrategy;
  /** Whether momentum (or β1) is cycled. */
  cycleMomentum: boolean;
  /** Whether the optimizer's momentum is β1 of its `betas` (Adam, AdamW). */
  useBeta1: boolean;
  /** The two or three phases, in order. */
  phases: OneCyclePhase[];
}

function anneal(strategy: AnnealStrategy, start: number, end: number, pct: number): number {
  if (strategy === 'linear') return (end - start) * pct + start;
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

// Checks the options and, when starting, writes the cycle's values into the groups
// (initialLr, maxLr, minLr, and the momentum bounds), as PyTorch's constructor does.
function prepare(optimizer: Optimizer, options: OneCycleLROptions): OneCycleLRConfig {
  const name = 'OneCycleLR';
  const {
    maxLr, totalSteps, epochs, stepsPerEpoch, pctStart = 0.3, annealStrategy = 'cos', cycleMomentum = true,
    baseMomentum = 0.85, maxMomentum = 0.95, divFactor = 25, finalDivFactor = 1e4, threePhase = false, lastEpoch = -1,
  } = options;
  let steps: number;
  if (totalSteps !== undefined) {
    steps = requireInteger(name, 'totalSteps', totalSteps, 1);
  } else if (epochs !== undefined && stepsPerEpoch !== undefined) {
    steps = requireInteger(name, 'epochs', epochs, 1) * requireInteger(name, 'stepsPerEpoch', stepsPerEpoch, 1);
  } else {
    throw new ValueError(`${name}: give totalSteps, or epochs and stepsPerEpoch`);
  }
  requireNumber(name, 'pctStart', pctStart, (v) => v >= 0 && v <= 1, 'must be in [0, 1]');
  requireChoice(name, 'annealStrategy', annealStrategy, ['cos', 'linear'] as const);
  requireBoolean(name, 'cycleMomentum', cycleMomentum);
  requireBoolean(name, 'threePhase', threePhase);
  requireNumber(name, 'divFactor', divFactor, (v) => v > 0, 'must be > 0');
  requireNumber(name, 'finalDivFactor', finalDivFactor, (v) => v > 0, 'must be > 0');

  const phases: OneCyclePhase[] = threePhase
    ? [
      { endStep: pctStart * steps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
      { endStep: 2 * pctStart * steps - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
      { endStep: steps - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
    ]
    : [
      { endStep: pctStart * steps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
      { endStep: steps - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
    ];

  const groups = optimizer.paramGroups;
  const maxLrs = perGroup(name, 'maxLr', maxLr, groups.length);
  maxLrs.forEach((lr, i) => requireNumber(name, `maxLr[${i}]`, lr, (v) => v >= 0, 'must be ≥ 0'));
  if (lastEpoch === -1) {
    groups.forEach((group, i) => {
      group.initialLr = maxLrs[i] / divFactor;
      group.maxLr = maxLrs[i];
      group.minLr = group.initialLr / finalDivFactor;
    });
  }

  const useBeta1 = 'betas' in optimizer.defaults;
  if (cycleMomentum) {
    if (!('momentum' in optimizer.defaults) && !useBeta1) {
      throw new ValueError(`${name}: cycleMomentum needs an optimizer with momentum or betas, ${optimizer.name} has neither; pass cycleMomentum: false`);
    }
    const maxMomentums = perGroup(name, 'maxMomentum', maxMomentum, groups.length);
    const baseMomentums = perGroup(name, 'baseMomentum', baseMomentum, groups.length);
    if (lastEpoch === -1) {
      groups.forEach((group, i) => {
        setMomentum(group, useBeta1, maxMomentums[i]);
        group.maxMomentum = maxMomentums[i];
        group.baseMomentum = baseMomentums[i];
      });
    }
  }
  return { totalSteps: steps, annealStrategy, cycleMomentum, useBeta1, phases };
}

function setMomentum(group: ParamGroup, useBeta1: boolean, momentum: number): void {
  if (useBeta1) {
    const betas = group.betas as readonly number[];
    group.betas = [momentum, ...betas.slice(1)];
  } else {
    group.momentum = momentum;
  }
}

/**
 * The 1cycle policy (Smith & Topin): the learning rate rises from
 * maxLr / divFactor to `maxLr` over the first `pctStart` of the steps, then
 * falls to the start / finalDivFactor, while momentum (or Adam's β1) moves the
 * opposite way between `maxMomentum` and `baseMomentum`. Stepped once per
 * batch, `totalSteps` times. PyTorch's `OneCycleLR`, with its defaults; like
 * PyTorch, it reads the bounds from the groups (`initialLr`, `maxLr`, `minLr`,
 * `maxMomentum`, `baseMomentum`), so they travel in the optimizer's state dict.
 *
 * ```ts
 * const scheduler = new OneCycleLR(optimizer, { maxLr: 0.1, epochs: 10, stepsPerEpoch: loader.length });
 * for (const batch of loader) { train(batch); optimizer.step(); scheduler.step(); }
 * ```
 */
export class OneCycleLR extends LRScheduler<OneCycleLRConfig> {
  /**
   * @param optimizer whose learning rates (and momentum) to set.
   * @param options `maxLr` and the cycle's length; the rest has PyTorch's defaults.
   */
  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    super('OneCycleLR', optimizer, prepare(optimizer, options), options.lastEpoch);
  }

  // Where `step` falls: the phase it is in and how far through it (PyTorch's loop over _schedule_phases).
  private position(step: number): { phase: OneCyclePhase; pct: number } {
    const { totalSteps, phases } = this.config;
    if (step > totalSteps) {
      throw new ValueError(`OneCycleLR: tried to step ${step + 1} times; the schedule has totalSteps ${totalSteps}`);
    }
    let startStep = 0;
    for (const [i, phase] of phases.entries()) {
      if (step <= phase.endStep || i === phases.length - 1) return { phase, pct: (step - startStep) / (phase.endStep - startStep) };
      startStep = phase.endStep;
    }
    throw new Error('unreachable: the last phase always matches');
  }

  override lrAt(epoch: number): number[] {
    const { phase, pct } = this.position(epoch);
    return this.optimizer.paramGroups.map((group) => anneal(this.config.annealStrategy, group[phase.startLr] as number, group[phase.endLr] as number, pct));
  }

  /**
   * The momentum (or β1) of each group at `epoch`, the other half of the
   * schedule; null when `cycleMomentum` is off.
   *
   * ```ts
   * const momentum = scheduler.momentumAt(0); // [0.95]
   * ```
   */
  momentumAt(epoch: number): number[] | null {
    if (!this.config.cycleMomentum) return null;
    const { phase, pct } = this.position(epoch);
    return this.optimizer.paramGroups.map((group) => anneal(this.config.annealStrategy, group[phase.startMomentum] as number, group[phase.endMomentum] as number, pct));
  }

  protected override applyEpoch(epoch: number): void {
    const momentum = this.momentumAt(epoch);
    super.applyEpoch(epoch);
    momentum?.forEach((value, i) => setMomentum(this.optimizer.paramGroups[i], this.config.useBeta1, value));
  }
}
