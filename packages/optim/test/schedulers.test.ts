import { describe, expect, it } from 'vitest';
import { isFathomError, tensor } from '@fathom/core';
import {
  Adagrad, Adam, CosineAnnealingLR, ExponentialLR, LinearLR, MultiStepLR, OneCycleLR, ReduceLROnPlateau, SequentialLR, SGD, StepLR,
  type LRScheduler, type Optimizer,
} from '../src/index.js';
import { expectClose, torchReference as ref } from './reference.js';

// Each reference sequence is get_last_lr() after construction and after each step (reference/optim_ref.py).
const torch = ref.schedulers as Record<string, number[][]>;
const torchCycle = ref.schedulers as Record<string, { lr: number[][]; momentum: number[] }>;

function sgd(lrs: number[] = [0.1], options: { momentum?: number } = {}): SGD {
  return new SGD(lrs.map((lr) => ({ params: [tensor([0])], lr })), { lr: 1, ...options });
}

function run(scheduler: LRScheduler | ReduceLROnPlateau, steps: number, step = (): void => (scheduler as LRScheduler).step()): number[][] {
  const out = [scheduler.getLastLr()];
  for (let i = 0; i < steps; i++) {
    step();
    out.push(scheduler.getLastLr());
  }
  return out;
}

function expectSequence(ours: number[][], expected: number[][], context: string, rtol = 1e-12): void {
  expect(ours.length, context).toBe(expected.length);
  ours.forEach((lrs, epoch) => expectClose(lrs, expected[epoch], `${context} epoch ${epoch}`, rtol, 1e-15));
}

describe('schedulers match PyTorch 1.13 epoch by epoch', () => {
  it('StepLR (two groups)', () => {
    const optimizer = sgd([0.1, 0.05]);
    expectSequence(run(new StepLR(optimizer, { stepSize: 3, gamma: 0.5 }), 12), torch.step, 'StepLR');
    expect(optimizer.paramGroups.map((g) => g.lr)).toEqual(torch.step[12]);
  });

  it('MultiStepLR with a repeated milestone', () => {
    expectSequence(run(new MultiStepLR(sgd(), { milestones: [9, 5, 2, 5], gamma: 0.1 }), 12), torch.multi_step, 'MultiStepLR');
  });

  it('ExponentialLR (two groups)', () => {
    expectSequence(run(new ExponentialLR(sgd([0.1, 1]), { gamma: 0.9 }), 12), torch.exponential, 'ExponentialLR');
  });

  it("CosineAnnealingLR over 3.5 periods, against PyTorch's recursive step() and its closed form", () => {
    const ours = run(new CosineAnnealingLR(sgd(), { tMax: 10, etaMin: 0.001 }), 35);
    expectSequence(ours, torch.cosine_closed_form, 'closed form', 1e-15);
    // PyTorch's step() recurses on the previous lr; its rounding drifts from the closed form by ~1e-14 relative.
    expectSequence(ours, torch.cosine, 'recursive form', 1e-13);
  });

  it('LinearLR warm-up, defaults and decay', () => {
    expectSequence(run(new LinearLR(sgd(), { startFactor: 0.25, endFactor: 1, totalIters: 4 }), 8), torch.linear, 'warm-up');
    expectSequence(run(new LinearLR(sgd([0.3])), 8), torch.linear_default, 'defaults');
    expectSequence(run(new LinearLR(sgd(), { startFactor: 1, endFactor: 0.1, totalIters: 5 }), 8), torch.linear_decay, 'decay');
  });

  it('OneCycleLR, cos, with SGD momentum', () => {
    const optimizer = sgd([0.1], { momentum: 0.9 });
    const momentum: number[] = [];
    const scheduler = new OneCycleLR(optimizer, { maxLr: 1, totalSteps: 20 });
    const lrs = run(scheduler, 20, () => { momentum.push(optimizer.paramGroups[0].momentum); scheduler.step(); });
    momentum.push(optimizer.paramGroups[0].momentum);
    expectSequence(lrs, torchCycle.one_cycle.lr, 'lr');
    expectClose(momentum, torchCycle.one_cycle.momentum, 'momentum');
    expect(() => scheduler.step()).toThrow(/tried to step 22 times; the schedule has totalSteps 20/);
  });

  it('OneCycleLR, linear, three phases', () => {
    const optimizer = sgd([0.1], { momentum: 0.9 });
    const scheduler = new OneCycleLR(optimizer, { maxLr: 0.5, totalSteps: 25, annealStrategy: 'linear', threePhase: true, pctStart: 0.4 });
    const momentum = Array.from({ length: 26 }, (_, epoch) => (scheduler.momentumAt(epoch) as number[])[0]);
    expectSequence(run(scheduler, 25), torchCycle.one_cycle_linear_three_phase.lr, 'lr');
    expectClose(momentum, torchCycle.one_cycle_linear_three_phase.momentum, 'momentum');
  });

  it("OneCycleLR with Adam cycles β1, per-group maxLr, epochs × stepsPerEpoch", () => {
    const optimizer = new Adam([{ params: [tensor([0])], lr: 0.1 }, { params: [tensor([0])], lr: 0.1 }]);
    const scheduler = new OneCycleLR(optimizer, { maxLr: [0.01, 0.02], epochs: 3, stepsPerEpoch: 4, divFactor: 10, finalDivFactor: 100 });
    const beta1: number[] = [optimizer.paramGroups[0].betas[0]];
    const lrs = run(scheduler, 12, () => { scheduler.step(); beta1.push(optimizer.paramGroups[0].betas[0]); });
    expectSequence(lrs, torchCycle.one_cycle_adam.lr, 'lr');
    expectClose(beta1, torchCycle.one_cycle_adam.momentum, 'beta1');
    expect(optimizer.paramGroups[1].betas[1]).toBe(0.999);
  });

  it('SequentialLR: LinearLR then ExponentialLR', () => {
    const optimizer = sgd();
    const scheduler = new SequentialLR(optimizer, [new LinearLR(optimizer, { startFactor: 0.1, totalIters: 3 }), new ExponentialLR(optimizer, { gamma: 0.9 })], [3]);
    expectSequence(run(scheduler, 10), torch.sequential, 'SequentialLR');
  });

  it('SequentialLR: three schedulers', () => {
    const optimizer = sgd();
    const schedulers = [new LinearLR(optimizer, { startFactor: 0.5, totalIters: 2 }), new StepLR(optimizer, { stepSize: 2, gamma: 0.5 }), new CosineAnnealingLR(optimizer, { tMax: 4 })];
    expectSequence(run(new SequentialLR(optimizer, schedulers, [2, 6]), 14), torch.sequential_cosine, 'SequentialLR');
  });

  describe('ReduceLROnPlateau', () => {
    const metricsMin = torch.plateau_metrics_min as unknown as number[];
    const metricsMax = torch.plateau_metrics_max as unknown as number[];
    const plateau = (scheduler: ReduceLROnPlateau, metrics: number[]): number[][] => metrics.map((metric) => { scheduler.step(metric); return scheduler.getLastLr(); });

    it('mode min, relative threshold', () => {
      expectSequence(plateau(new ReduceLROnPlateau(sgd(), { patience: 2 }), metricsMin), torch.plateau_min_rel, 'min rel');
    });
    it('cooldown, per-group minLr, factor 0.5', () => {
      const scheduler = new ReduceLROnPlateau(sgd([0.1, 0.02]), { patience: 1, factor: 0.5, cooldown: 2, minLr: [0.01, 0.015], threshold: 0.01 });
      expectSequence(plateau(scheduler, metricsMin), torch.plateau_min_rel_cooldown, 'cooldown');
    });
    it('mode max, absolute threshold', () => {
      const scheduler = new ReduceLROnPlateau(sgd(), { mode: 'max', thresholdMode: 'abs', threshold: 0.05, patience: 1, factor: 0.5 });
      expectSequence(plateau(scheduler, metricsMax), torch.plateau_max_abs, 'max abs');
    });
    it('resumes from its state dict, through JSON', () => {
      const options = { patience: 1, factor: 0.5, cooldown: 2, minLr: [0.01, 0.015], threshold: 0.01 };
      const first = sgd([0.1, 0.02]);
      const scheduler = new ReduceLROnPlateau(first, options);
      plateau(scheduler, metricsMin.slice(0, 7));
      const optimizerState = first.stateDict();
      const saved = JSON.parse(JSON.stringify(scheduler.stateDict())) as Record<string, unknown>;
      const second = sgd([0.1, 0.02]);
      second.loadStateDict(optimizerState);
      const restored = new ReduceLROnPlateau(second, options);
      restored.loadStateDict(saved);
      expectSequence(plateau(restored, metricsMin.slice(7)), torch.plateau_min_rel_cooldown.slice(7), 'resumed');
      const fresh = new ReduceLROnPlateau(sgd(), {});
      fresh.loadStateDict(JSON.parse(JSON.stringify(fresh.stateDict())) as Record<string, unknown>);
      expect(fresh.best).toBe(Infinity);
    });
  });
});

describe('LRScheduler', () => {
  it('lrAt is a pure function of the epoch', () => {
    const optimizer = sgd();
    const scheduler = new StepLR(optimizer, { stepSize: 2 });
    expect(scheduler.lrAt(5)).toEqual([0.1 * 0.1 ** 2]);
    expect(scheduler.lastEpoch).toBe(0);
    expect(optimizer.paramGroups[0].lr).toBe(0.1);
  });

  it('records initialLr in the groups, as PyTorch', () => {
    const optimizer = sgd([0.1, 0.2]);
    new ExponentialLR(optimizer, { gamma: 0.5 }).step();
    expect(optimizer.paramGroups.map((g) => [g.lr, g.initialLr])).toEqual([[0.05, 0.1], [0.1, 0.2]]);
  });

  const resumable: Record<string, (optimizer: Optimizer) => LRScheduler> = {
    StepLR: (o) => new StepLR(o, { stepSize: 3, gamma: 0.5 }),
    MultiStepLR: (o) => new MultiStepLR(o, { milestones: [2, 5] }),
    CosineAnnealingLR: (o) => new CosineAnnealingLR(o, { tMax: 7, etaMin: 0.01 }),
    OneCycleLR: (o) => new OneCycleLR(o, { maxLr: 1, totalSteps: 20, threePhase: true }),
    SequentialLR: (o) => new SequentialLR(o, [new LinearLR(o, { startFactor: 0.2, totalIters: 4 }), new ExponentialLR(o, { gamma: 0.8 })], [4]),
  };
  for (const [name, make] of Object.entries(resumable)) {
    it(`${name}: optimizer + scheduler state dicts (through JSON) resume the schedule exactly`, () => {
      const straightOptimizer = sgd([0.1, 0.3], { momentum: 0.9 });
      const straight = run(make(straightOptimizer), 15);

      const first = sgd([0.1, 0.3], { momentum: 0.9 });
      const scheduler = make(first);
      for (let i = 0; i < 6; i++) scheduler.step();
      const checkpoint = JSON.parse(JSON.stringify({ scheduler: scheduler.stateDict(), optimizer: first.stateDict() }));

      const second = sgd([0.7, 0.7], { momentum: 0.5 });
      const restored = make(second);
      second.loadStateDict(checkpoint.optimizer);
      restored.loadStateDict(checkpoint.scheduler);
      expect(restored.getLastLr()).toEqual(straight[6]);
      expect(second.paramGroups.map((g) => g.lr)).toEqual(straight[6]);
      expect(run(restored, 9).slice(1)).toEqual(straight.slice(7));
    });
  }

  it('lastEpoch resumes after the optimizer state is loaded, and is refused without initialLr', () => {
    const first = sgd();
    const scheduler = new CosineAnnealingLR(first, { tMax: 10 });
    for (let i = 0; i < 4; i++) scheduler.step();
    const second = sgd();
    expect(() => new CosineAnnealingLR(second, { tMax: 10, lastEpoch: 4 })).toThrow(/resuming at lastEpoch 4 needs initialLr in parameter group 0/);
    second.loadStateDict(first.stateDict());
    const resumed = new CosineAnnealingLR(second, { tMax: 10, lastEpoch: 4 });
    expect(resumed.lastEpoch).toBe(5);
    expect(resumed.getLastLr()).toEqual(scheduler.lrAt(5));
  });

  it('invalid arguments raise ValueError naming them', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new StepLR(sgd(), { stepSize: 0 }), /StepLR: invalid stepSize 0/],
      [() => new MultiStepLR(sgd(), { milestones: [1.5] }), /invalid milestones\[0\] 1\.5/],
      [() => new CosineAnnealingLR(sgd(), { tMax: 0 }), /invalid tMax 0/],
      [() => new LinearLR(sgd(), { startFactor: 0 }), /LinearLR: invalid startFactor 0 \(must be in \(0, 1\]\)/],
      [() => new LinearLR(sgd(), { endFactor: 1.5 }), /invalid endFactor 1\.5/],
      [() => new OneCycleLR(sgd(), { maxLr: 1 }), /give totalSteps, or epochs and stepsPerEpoch/],
      [() => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, pctStart: 1.5 }), /invalid pctStart 1\.5/],
      [() => new OneCycleLR(sgd(), { maxLr: [1, 2], totalSteps: 10 }), /expected 1 values for maxLr/],
      [() => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, annealStrategy: 'cosine' as 'cos' }), /invalid annealStrategy cosine/],
      [() => new SequentialLR(sgd(), [new StepLR(sgd(), { stepSize: 1 })], []), /schedulers\[0\] belongs to another optimizer/],
      [() => { const o = sgd(); return new SequentialLR(o, [new StepLR(o, { stepSize: 1 })], [3]); }, /one milestone fewer than schedulers/],
      [() => new ReduceLROnPlateau(sgd(), { factor: 1 }), /ReduceLROnPlateau: invalid factor 1 \(must be in \[0, 1\)\)/],
      [() => new ReduceLROnPlateau(sgd(), { mode: 'up' as 'min' }), /invalid mode up/],
      [() => new ReduceLROnPlateau(sgd(), { minLr: [0, 0] }), /expected 1 values for minLr/],
    ];
    for (const [make, message] of cases) {
      let caught: unknown;
      try { make(); } catch (error) { caught = error; }
      expect(isFathomError(caught, 'ValueError'), String(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });

  it('OneCycleLR refuses cycleMomentum for an optimizer without momentum', () => {
    expect(() => new OneCycleLR(new Adagrad([tensor([0])]), { maxLr: 1, totalSteps: 5 })).toThrow(/Adagrad has neither; pass cycleMomentum: false/);
    expect(new OneCycleLR(new Adagrad([tensor([0])]), { maxLr: 1, totalSteps: 5, cycleMomentum: false }).getLastLr()).toEqual(torchCycle.one_cycle.lr[0]);
  });
});
