import { describe, expect, it } from 'vitest';
import { memoryStats, randn, manualSeed, scope, type Tensor } from '@fathom/core';
import { Adagrad, Adam, AdamW, clipGradNorm, RMSprop, SGD, type Optimizer } from '../src/index.js';

const STEPS = 5_000;

const makers: Record<string, (params: Tensor[]) => Optimizer> = {
  'SGD (nesterov, weight decay)': (ps) => new SGD(ps, { lr: 1e-3, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
  'Adam (amsgrad)': (ps) => new Adam(ps, { lr: 1e-3, amsgrad: true, weightDecay: 1e-4 }),
  AdamW: (ps) => new AdamW(ps, { lr: 1e-3 }),
  'RMSprop (centered, momentum)': (ps) => new RMSprop(ps, { lr: 1e-3, centered: true, momentum: 0.9 }),
  Adagrad: (ps) => new Adagrad(ps, { lr: 1e-3, initialAccumulatorValue: 0.1 }),
};

describe(`memory stays flat over ${STEPS} steps of optimizer.step() inside scope()`, () => {
  for (const [name, make] of Object.entries(makers)) {
    it(name, () => {
      manualSeed(0);
      const start = memoryStats();
      const params = [randn([4, 8]), randn([8])];
      params.forEach((p) => { p.grad = scope(() => randn(p.shape).mul(0.1)); });
      const optimizer = make(params);
      scope(() => optimizer.step()); // the state is made by the first step
      const afterFirst = memoryStats();
      for (let i = 0; i < STEPS; i++) {
        scope(() => {
          clipGradNorm(params, 1);
          optimizer.step();
        });
      }
      const end = memoryStats();
      expect(end.tensors).toBe(afterFirst.tensors);
      expect(end.storages).toBe(afterFirst.storages);
      expect(end.bytes).toBe(afterFirst.bytes);

      optimizer.dispose();
      optimizer.zeroGrad();
      params.forEach((p) => p.dispose());
      expect(memoryStats().tensors).toBe(start.tensors);
      expect(memoryStats().bytes).toBe(start.bytes);
    });
  }
});
