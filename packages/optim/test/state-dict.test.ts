import { describe, expect, it } from 'vitest';
import { isFathomError, tensor, type Tensor } from '@fathom/core';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer, type OptimizerStateDict, type OptimizerStateDictJson } from '../src/index.js';
import { expectClose, torchReference as ref } from './reference.js';

const float64 = { dtype: 'float64' } as const;

function setGrads(params: readonly Tensor[], t: number): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    p.grad = tensor(ref.grads[t % ref.steps][i], float64);
  });
}

const makers: Record<string, (params: Tensor[]) => Optimizer> = {
  SGD: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
  Adam: (ps) => new Adam(ps, { lr: 0.1, amsgrad: true }),
  AdamW: (ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.3 }),
  RMSprop: (ps) => new RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true }),
  Adagrad: (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }),
};

// Runs 3 steps, saves, then either continues or restores into a fresh optimizer and continues; returns the final values.
async function resumed(make: (params: Tensor[]) => Optimizer, via: 'none' | 'tensors' | 'json'): Promise<number[][]> {
  const params = [tensor(ref.p0, float64), tensor(ref.p1, float64)];
  let optimizer = make(params);
  for (let t = 0; t < 3; t++) {
    setGrads(params, t);
    optimizer.step();
  }
  if (via !== 'none') {
    const saved: OptimizerStateDict | OptimizerStateDictJson = via === 'tensors' ? optimizer.stateDict() : JSON.parse(JSON.stringify(await optimizer.stateDictJson()));
    optimizer.dispose();
    optimizer = make(params);
    optimizer.loadStateDict(saved);
  }
  for (let t = 3; t < 7; t++) {
    setGrads(params, t);
    optimizer.step();
  }
  return params.map((p) => Array.from(p.dataSync()));
}

describe('stateDict / loadStateDict', () => {
  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: a restored optimizer continues exactly as the uninterrupted one`, async () => {
      const straight = await resumed(make, 'none');
      expect(await resumed(make, 'tensors')).toEqual(straight);
      expect(await resumed(make, 'json')).toEqual(straight);
    });
  }

  it("has PyTorch's layout and values (Adam with amsgrad after 3 steps)", () => {
    const params = [tensor(ref.p0, float64), tensor(ref.p1, float64)];
    const optimizer = new Adam(params, { lr: 0.1, amsgrad: true });
    for (let t = 0; t < 3; t++) {
      setGrads(params, t);
      optimizer.step();
    }
    const sd = optimizer.stateDict();
    const torch = ref.adam_state_dict;
    expect(sd.param_groups).toEqual(torch.param_groups);
    expect(Object.keys(sd.state)).toEqual(Object.keys(torch.state));
    for (const [index, entry] of Object.entries(torch.state)) {
      const ours = sd.state[Number(index)];
      expect(Object.keys(ours).sort()).toEqual(Object.keys(entry).sort());
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value === 'number') expect(ours[key]).toBe(value);
        else expectClose((ours[key] as Tensor).dataSync(), value, `state ${index} ${key}`);
      }
    }
  });

  it('gives copies: later steps do not change a saved dict, and the dict stays usable after the optimizer is gone', () => {
    const params = [tensor(ref.p0, float64), tensor(ref.p1, float64)];
    const optimizer = new SGD(params, { lr: 0.1, momentum: 0.9 });
    setGrads(params, 0);
    optimizer.step();
    const sd = optimizer.stateDict();
    const before = Array.from((sd.state[0].momentum_buffer as Tensor).dataSync());
    setGrads(params, 1);
    optimizer.step();
    optimizer.dispose();
    expect(Array.from((sd.state[0].momentum_buffer as Tensor).dataSync())).toEqual(before);
  });

  it('restores hyper-parameters (including a scheduler-set lr and initial_lr) and keeps the current params', () => {
    const params = [tensor(ref.p0, float64)];
    const source = new SGD(params, { lr: 0.1, momentum: 0.9 });
    source.paramGroups[0].lr = 0.02;
    source.paramGroups[0].initialLr = 0.1;
    const target = new SGD([tensor(ref.p0, float64)], { lr: 0.5 });
    const sd = source.stateDict();
    expect(sd.param_groups[0]).toEqual({ lr: 0.02, momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: false, maximize: false, initial_lr: 0.1, params: [0] });
    target.loadStateDict(sd);
    expect(target.paramGroups[0]).toMatchObject({ lr: 0.02, momentum: 0.9, initialLr: 0.1 });
    expect(target.paramGroups[0].params[0]).not.toBe(params[0]);
  });

  it('loads a step saved as a 0-d tensor (PyTorch ≥ 1.12) and a state saved in another dtype', () => {
    const p = tensor([1, 2], float64);
    const optimizer = new Adam([p], { lr: 0.1 });
    optimizer.loadStateDict({
      state: { 0: { step: tensor(4), exp_avg: tensor([0.5, 0.25]), exp_avg_sq: tensor([1, 4], float64) } },
      param_groups: [{ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, params: [0] }],
    });
    const state = optimizer.state.get(p);
    expect(state?.step).toBe(4);
    expect(state?.expAvg.dtype).toBe('float64');
  });

  it('refuses a dict that does not fit, and leaves the optimizer as it was', () => {
    const params = [tensor(ref.p0, float64), tensor(ref.p1, float64)];
    const optimizer = new Adam(params, { lr: 0.1 });
    setGrads(params, 0);
    optimizer.step();
    const good = optimizer.stateDict();
    const expectValueError = (sd: unknown, message: RegExp, kind: 'ValueError' | 'ShapeError' = 'ValueError'): void => {
      let caught: unknown;
      try { optimizer.loadStateDict(sd as OptimizerStateDict); } catch (error) { caught = error; }
      expect(isFathomError(caught, kind), String(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    };
    expectValueError({ state: {}, param_groups: [] }, /the state dict has 0 parameter groups, this optimizer has 1/);
    expectValueError({ state: {}, param_groups: [{ ...good.param_groups[0], params: [0] }] }, /parameter group 0 has 1 parameters in the state dict and 2 here/);
    expectValueError({ ...good, state: { 0: good.state[1] } }, /'exp_avg' has shape \[4\], the parameter \[2,3\]/, 'ShapeError');
    expectValueError({ ...good, state: { 7: good.state[0] } }, /state for parameter 7, which no parameter group lists/);
    expectValueError({ ...good, param_groups: [{ ...good.param_groups[0], eps: -1 }] }, /invalid eps -1/);
    expectValueError({ ...good, state: { 0: { ...good.state[0], exp_avg: { dtype: 'float64', shape: [2, 3], data: [1] } } } }, /1 values do not fill shape \[2,3\]/);
    expect(optimizer.state.get(params[0])?.step).toBe(1);
    expect(optimizer.state.get(params[0])?.expAvg.isReleased).toBe(false);
  });
});
