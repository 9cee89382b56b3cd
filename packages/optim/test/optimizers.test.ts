import { describe, expect, it } from 'vitest';
import { getBackend, isFathomError, tensor, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer } from '../src/index.js';
import { expectClose, torchReference as ref } from './reference.js';

const float64 = { dtype: 'float64' } as const;

function makeParams(): [Tensor, Tensor] {
  return [tensor(ref.p0, float64), tensor(ref.p1, float64)];
}

function setGrads(params: readonly Tensor[], t: number): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    p.grad = tensor(ref.grads[t][i], float64);
  });
}

function trajectory(make: (params: Tensor[]) => Optimizer, steps = ref.steps): [number[], number[]][] {
  const params = makeParams();
  const optimizer = make(params);
  const out: [number[], number[]][] = [];
  for (let t = 0; t < steps; t++) {
    setGrads(params, t);
    optimizer.step();
    out.push([Array.from(params[0].dataSync()), Array.from(params[1].dataSync())]);
  }
  return out;
}

// Each case is the same call as in reference/optim_ref.py, in our camelCase.
const cases: Record<string, (params: Tensor[]) => Optimizer> = {
  sgd: (ps) => new SGD(ps, { lr: 0.1 }),
  sgd_momentum: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }),
  sgd_dampening: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.5 }),
  sgd_nesterov: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
  sgd_weight_decay: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.5, weightDecay: 0.1 }),
  sgd_maximize: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.1, maximize: true }),
  adam: (ps) => new Adam(ps, { lr: 0.1 }),
  adam_weight_decay: (ps) => new Adam(ps, { lr: 0.1, betas: [0.8, 0.9], weightDecay: 0.1 }),
  adam_amsgrad: (ps) => new Adam(ps, { lr: 0.1, amsgrad: true }),
  adam_maximize: (ps) => new Adam(ps, { lr: 0.1, weightDecay: 0.1, maximize: true, eps: 1e-3 }),
  adamw: (ps) => new AdamW(ps, { lr: 0.1 }),
  adamw_amsgrad: (ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.5, amsgrad: true }),
  adamw_maximize: (ps) => new AdamW(ps, { lr: 0.1, maximize: true }),
  rmsprop: (ps) => new RMSprop(ps, { lr: 0.01 }),
  rmsprop_momentum: (ps) => new RMSprop(ps, { lr: 0.01, momentum: 0.9, alpha: 0.9 }),
  rmsprop_centered: (ps) => new RMSprop(ps, { lr: 0.01, centered: true }),
  rmsprop_all: (ps) => new RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1, eps: 1e-4 }),
  rmsprop_maximize: (ps) => new RMSprop(ps, { lr: 0.01, maximize: true, weightDecay: 0.1 }),
  adagrad: (ps) => new Adagrad(ps, { lr: 0.1 }),
  adagrad_all: (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.1, weightDecay: 0.1, initialAccumulatorValue: 0.1, eps: 1e-6 }),
  adagrad_maximize: (ps) => new Adagrad(ps, { lr: 0.1, maximize: true }),
  sgd_groups: (ps) => new SGD([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.01, momentum: 0.5 }], { lr: 0.1, momentum: 0.9 }),
};

describe('trajectories match PyTorch 1.13 step by step (float64)', () => {
  it('covers every case of the reference script', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(ref.optimizers).sort());
    expect(ref.torch.startsWith('1.13')).toBe(true);
  });
  for (const [name, make] of Object.entries(cases)) {
    it(name, () => {
      const ours = trajectory(make);
      ours.forEach(([p0, p1], t) => {
        expectClose(p0, ref.optimizers[name][t][0], `${name} step ${t + 1} p0`);
        expectClose(p1, ref.optimizers[name][t][1], `${name} step ${t + 1} p1`);
      });
    });
  }
});

describe('trajectories match the update formulas written out in float64', () => {
  // PyTorch's algorithms (torch.optim docs and _single_tensor_* code), one element at a time.
  function scalarRun(update: (theta: number, g: number, state: Record<string, number>, t: number) => number): [number[], number[]][] {
    const theta = [ref.p0.flat(), [...ref.p1]];
    const states = theta.map((values) => values.map(() => ({} as Record<string, number>)));
    const out: [number[], number[]][] = [];
    for (let t = 1; t <= ref.steps; t++) {
      const grads = [ref.grads[t - 1][0].flat(), ref.grads[t - 1][1]];
      for (let p = 0; p < 2; p++) for (let i = 0; i < theta[p].length; i++) theta[p][i] = update(theta[p][i], grads[p][i], states[p][i], t);
      out.push([[...theta[0]], [...theta[1]]]);
    }
    return out;
  }

  it('SGD with nesterov momentum and weight decay', () => {
    const [lr, mu, lambda] = [0.1, 0.9, 0.05];
    const expected = scalarRun((theta, grad, s, t) => {
      let g = grad + lambda * theta;
      s.b = t === 1 ? g : mu * s.b + g;
      g = g + mu * s.b;
      return theta - lr * g;
    });
    const ours = trajectory((ps) => new SGD(ps, { lr, momentum: mu, nesterov: true, weightDecay: lambda }));
    ours.forEach((step, t) => step.forEach((values, p) => expectClose(values, expected[t][p], `step ${t + 1} p${p}`, 1e-12)));
  });

  it('Adam with amsgrad and L2 weight decay, and AdamW', () => {
    const [lr, beta1, beta2, eps, lambda] = [0.05, 0.9, 0.99, 1e-8, 0.1];
    for (const decoupled of [false, true]) {
      const expected = scalarRun((theta, grad, s, t) => {
        let g = grad;
        let value = theta;
        if (decoupled) value = theta * (1 - lr * lambda);
        else g = g + lambda * theta;
        s.m = beta1 * (s.m ?? 0) + (1 - beta1) * g;
        s.v = beta2 * (s.v ?? 0) + (1 - beta2) * g * g;
        s.vMax = Math.max(s.vMax ?? 0, s.v);
        const mHat = s.m / (1 - beta1 ** t);
        const vHat = s.vMax / (1 - beta2 ** t);
        // PyTorch adds eps to √v̂ with the bias correction applied: m̂ / (√v̂ + eps).
        return value - (lr * mHat) / (Math.sqrt(vHat) + eps);
      });
      const options = { lr, betas: [beta1, beta2] as const, eps, weightDecay: lambda, amsgrad: true };
      const ours = trajectory((ps) => (decoupled ? new AdamW(ps, options) : new Adam(ps, options)));
      ours.forEach((step, t) => step.forEach((values, p) => expectClose(values, expected[t][p], `${decoupled ? 'AdamW' : 'Adam'} step ${t + 1} p${p}`, 1e-10)));
    }
  });
});

describe('Optimizer', () => {
  it('skips parameters without a gradient and gives them no state', () => {
    const [p0, p1] = makeParams();
    const optimizer = new Adam([p0, p1], { lr: 0.1 });
    p0.grad = tensor(ref.grads[0][0], float64);
    optimizer.step();
    expect(Array.from(p1.dataSync())).toEqual(ref.p1);
    expect(optimizer.state.has(p1)).toBe(false);
    expectClose(p0.dataSync(), ref.optimizers.adam[0][0], 'p0');
  });

  it('updates parameters in place, so references stay valid', () => {
    const [p0, p1] = makeParams();
    const storage = p0.storage;
    const optimizer = new SGD([p0, p1], { lr: 0.1 });
    setGrads([p0, p1], 0);
    optimizer.step();
    expect(p0.storage).toBe(storage);
    expectClose(p0.dataSync(), ref.optimizers.sgd[0][0], 'p0');
  });

  it('steps float32 parameters too (float32 tolerance)', () => {
    const params = [tensor(ref.p0), tensor(ref.p1)];
    const optimizer = new Adam(params, { lr: 0.1, amsgrad: true });
    for (let t = 0; t < ref.steps; t++) {
      params.forEach((p, i) => { p.grad = tensor(ref.grads[t][i]); });
      optimizer.step();
    }
    expect(params[0].dtype).toBe('float32');
    expectClose(params[0].dataSync(), ref.optimizers.adam_amsgrad[ref.steps - 1][0], 'p0', 1e-5, 1e-6);
    expectClose(params[1].dataSync(), ref.optimizers.adam_amsgrad[ref.steps - 1][1], 'p1', 1e-5, 1e-6);
  });

  it('takes any iterable: a Set, a generator, one tensor per group', () => {
    const [p0, p1] = makeParams();
    expect(new SGD(new Set([p0, p1]), { lr: 1 }).paramGroups[0].params).toEqual([p0, p1]);
    function* parameters(): Generator<Tensor> { yield p0; yield p1; }
    expect(new SGD(parameters(), { lr: 1 }).paramGroups[0].params).toEqual([p0, p1]);
    expect(new SGD([{ params: p0 }], { lr: 1 }).paramGroups[0].params).toEqual([p0]);
  });

  it('fills groups from the defaults and lets a group override them', () => {
    const [p0, p1] = makeParams();
    const optimizer = new Adam([{ params: [p0] }, { params: [p1], lr: 0.5, betas: [0.5, 0.6] }], { lr: 0.01 });
    expect(optimizer.paramGroups[0]).toMatchObject({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8 });
    expect(optimizer.paramGroups[1]).toMatchObject({ lr: 0.5, betas: [0.5, 0.6], eps: 1e-8 });
  });

  it('addParamGroup adds a group that steps with its own hyper-parameters', () => {
    const [p0, p1] = makeParams();
    const optimizer = new SGD([p0], { lr: 0.1, momentum: 0.9 });
    optimizer.addParamGroup({ params: [p1], lr: 0.01, momentum: 0.5 });
    const expected = trajectory(cases.sgd_groups);
    for (let t = 0; t < ref.steps; t++) {
      setGrads([p0, p1], t);
      optimizer.step();
    }
    expectClose(p0.dataSync(), expected[ref.steps - 1][0], 'p0');
    expectClose(p1.dataSync(), expected[ref.steps - 1][1], 'p1');
    expect(() => optimizer.addParamGroup({ params: [p1] })).toThrow(/already in another parameter group/);
  });

  it('a change to group.lr applies from the next step', () => {
    const p = tensor([1], float64);
    const optimizer = new SGD([p], { lr: 0.1 });
    p.grad = tensor([1], float64);
    optimizer.step();
    optimizer.paramGroups[0].lr = 0.5;
    optimizer.step();
    expectClose(p.dataSync(), [1 - 0.1 - 0.5], 'p');
  });

  it('step(closure) evaluates the closure with gradients on and returns its loss', () => {
    const p = tensor([2], float64);
    const optimizer = new SGD([p], { lr: 0.25 });
    const loss = optimizer.step(() => {
      p.grad = tensor([4], float64);
      return tensor(7, float64);
    });
    expect(loss?.dataSync()[0]).toBe(7);
    expect(p.dataSync()[0]).toBe(1);
  });

  describe('zeroGrad', () => {
    it('by default releases each gradient and sets it to null', () => {
      const [p0, p1] = makeParams();
      const optimizer = new SGD([p0, p1], { lr: 0.1 });
      setGrads([p0, p1], 0);
      const old = p0.grad as Tensor;
      optimizer.zeroGrad();
      expect(p0.grad).toBeNull();
      expect(p1.grad).toBeNull();
      expect(old.isReleased).toBe(true);
      optimizer.step(); // nothing to do
      expect(Array.from(p0.dataSync())).toEqual(ref.p0.flat());
    });

    it('with setToNone: false fills the same gradient tensors with zeros', () => {
      const [p0, p1] = makeParams();
      const optimizer = new SGD([p0, p1], { lr: 0.1, momentum: 0.9 });
      setGrads([p0, p1], 0);
      const old = p0.grad as Tensor;
      optimizer.zeroGrad({ setToNone: false });
      expect(p0.grad).toBe(old);
      expect(Array.from(old.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
      expect(Array.from((p1.grad as Tensor).dataSync())).toEqual([0, 0, 0, 0]);
      optimizer.step(); // a zero gradient still steps (momentum buffer of zeros)
      expect(Array.from(p0.dataSync())).toEqual(ref.p0.flat());
      expect(optimizer.state.get(p0)?.momentumBuffer).toBeDefined();
    });
  });

  it('dispose() releases the state, and stepping again starts afresh', () => {
    const [p0, p1] = makeParams();
    const optimizer = new Adam([p0, p1]);
    setGrads([p0, p1], 0);
    optimizer.step();
    const expAvg = optimizer.state.get(p0)?.expAvg as Tensor;
    optimizer.dispose();
    expect(expAvg.isReleased).toBe(true);
    expect(optimizer.state.size).toBe(0);
    optimizer.step();
    expect(optimizer.state.get(p0)?.step).toBe(1);
  });
});

describe('invalid hyper-parameters raise ValueError naming the parameter and the value', () => {
  const p = (): Tensor[] => [tensor([1], float64)];
  const cases: [string, () => unknown, RegExp][] = [
    ['negative lr', () => new SGD(p(), { lr: -0.1 }), /SGD: invalid lr -0\.1/],
    ['SGD without lr', () => new SGD(p()), /no lr given/],
    ['negative momentum', () => new SGD(p(), { lr: 0.1, momentum: -1 }), /invalid momentum -1/],
    ['negative weightDecay', () => new SGD(p(), { lr: 0.1, weightDecay: -1e-4 }), /invalid weightDecay -0\.0001/],
    ['nesterov without momentum', () => new SGD(p(), { lr: 0.1, nesterov: true }), /nesterov needs momentum > 0 and dampening 0, got momentum 0/],
    ['nesterov with dampening', () => new SGD(p(), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /dampening 0\.1/],
    ['NaN lr', () => new Adam(p(), { lr: NaN }), /Adam: invalid lr NaN/],
    ['beta1 = 1', () => new Adam(p(), { betas: [1, 0.999] }), /invalid betas\[0\] 1 \(must be in \[0, 1\)\)/],
    ['beta2 < 0', () => new AdamW(p(), { betas: [0.9, -0.5] }), /AdamW: invalid betas\[1\] -0\.5/],
    ['negative eps', () => new Adam(p(), { eps: -1e-8 }), /invalid eps -1e-8/],
    ['RMSprop alpha', () => new RMSprop(p(), { alpha: -0.9 }), /RMSprop: invalid alpha -0\.9/],
    ['RMSprop eps', () => new RMSprop(p(), { eps: -1 }), /invalid eps -1/],
    ['Adagrad lrDecay', () => new Adagrad(p(), { lrDecay: -0.1 }), /Adagrad: invalid lrDecay -0\.1/],
    ['Adagrad initialAccumulatorValue', () => new Adagrad(p(), { initialAccumulatorValue: -1 }), /invalid initialAccumulatorValue -1/],
    ['a group', () => new SGD([{ params: p() }, { params: p(), lr: -1 }], { lr: 0.1 }), /SGD \(parameter group 1\): invalid lr -1/],
    ['addParamGroup', () => new Adam(p()).addParamGroup({ params: p(), eps: -1 }), /Adam \(parameter group 1\): invalid eps -1/],
    ['empty parameter list', () => new SGD([], { lr: 0.1 }), /SGD: got an empty parameter list/],
  ];
  for (const [name, make, message] of cases) {
    it(name, () => {
      let caught: unknown;
      try { make(); } catch (error) { caught = error; }
      expect(isFathomError(caught, 'ValueError'), String(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('refuses integer tensors, non-leaves and duplicates', () => {
    const x = tensor([1, 2], { dtype: 'int32' });
    expect(() => new SGD([x], { lr: 0.1 })).toThrow(/params\[0\] is int32; only float tensors/);
    const w = tensor([1], float64);
    expect(() => new SGD([w, w], { lr: 0.1 })).toThrow(/params\[1\] appears twice/);
    useAutograd();
    const made = tensor([1], float64).setRequiresGrad().mul(2);
    expect(() => new SGD([w, made], { lr: 0.1 })).toThrow(/params\[1\] was made by '\w+'; only leaf tensors can be optimized/);
  });
});

describe('Adam in float32', () => {
  it('matches its update written as separate multiplies and adds, bit for bit', () => {
    const [lr, beta1, beta2, eps, weightDecay] = [0.01, 0.9, 0.999, 1e-8, 1e-2];
    const start = Array.from({ length: 37 }, (_, i) => Math.sin(i * 1.3) * 2);
    const grads = [0, 1, 2, 3, 4].map((t) => tensor(start.map((_, i) => Math.cos(i * 0.7 + t) / 3)));
    const param = tensor(start);
    const optimizer = new Adam([param], { lr, betas: [beta1, beta2], eps, weightDecay });
    let p = tensor(start);
    let m: Tensor | null = null;
    let v: Tensor | null = null;
    grads.forEach((grad, t) => {
      param.grad = grad.clone();
      optimizer.step();
      const g = grad.add(p.mul(weightDecay));
      m = m === null ? g.mul(1 - beta1) : m.mul(beta1).add(g.mul(1 - beta1));
      const squared = g.mul(g).mul(1 - beta2);
      v = v === null ? squared : v.mul(beta2).add(squared);
      const denominator = v.sqrt().div(Math.sqrt(1 - beta2 ** (t + 1))).add(eps);
      p = p.add(m.div(denominator).mul(-lr / (1 - beta1 ** (t + 1))));
    });
    expect(Array.from(param.dataSync())).toEqual(Array.from(p.dataSync()));
  });
});

describe('SGD in float32', () => {
  // SGD's scaled sums (add with alpha) round each product before its sum, so
  // they must give the parameters of the update written as separate ops.
  function separateOps(param: Tensor, grads: readonly Tensor[], o: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean }): Tensor {
    let p = param.clone();
    let buffer: Tensor | null = null;
    for (const grad of grads) {
      let d = grad.add(p.mul(o.weightDecay));
      buffer = buffer === null ? d : buffer.mul(o.momentum).add(d.mul(1 - o.dampening));
      d = o.nesterov ? d.add(buffer.mul(o.momentum)) : buffer;
      p = p.add(d.mul(-o.lr));
    }
    return p;
  }

  for (const o of [
    { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 1e-4, nesterov: false },
    { lr: 0.03, momentum: 0.8, dampening: 0.25, weightDecay: 5e-3, nesterov: false },
    { lr: 0.07, momentum: 0.9, dampening: 0, weightDecay: 1e-3, nesterov: true },
  ]) {
    for (const fused of [true, false]) {
      it(`matches separate multiplies and adds bit for bit${fused ? '' : ' without the fused kernel'}: ${JSON.stringify(o)}`, () => {
        const start = Array.from({ length: 37 }, (_, i) => Math.sin(i * 1.3) * 2);
        const grads = [0, 1, 2, 3, 4].map((t) => tensor(start.map((_, i) => Math.cos(i * 0.7 + t) / 3)));
        const param = tensor(start);
        const optimizer = new SGD([param], o);
        withoutFusedSgd(!fused, () => {
          for (const grad of grads) {
            param.grad = grad.clone();
            optimizer.step();
          }
        });
        expect(Array.from(param.dataSync())).toEqual(Array.from(separateOps(tensor(start), grads, o).dataSync()));
      });
    }
  }

  it('keeps one momentum buffer per parameter and updates it in place, fused or not', () => {
    for (const fused of [true, false]) {
      const param = tensor([1, -2, 3]);
      const optimizer = new SGD([param], { lr: 0.5, momentum: 0.5 });
      const buffers = withoutFusedSgd(!fused, () => [0, 1, 2].map(() => {
        param.grad = tensor([2, 4, -8]);
        optimizer.step();
        return optimizer.state.get(param)?.momentumBuffer;
      }));
      expect(buffers[1]).toBe(buffers[0]);
      expect(buffers[2]).toBe(buffers[0]);
      // b: g, then 0.5·b + g twice = 1.75·g; θ − 0.5·(1 + 1.5 + 1.75)·g
      expect(Array.from(buffers[2]?.dataSync() ?? [])).toEqual([3.5, 7, -14]);
      expect(Array.from(param.dataSync())).toEqual([1 - 4.25, -2 - 8.5, 3 + 17]);
    }
  });
});

// Runs `body` with the CPU backend's fused SGD kernel hidden when `hide` is set, so core takes the separate ops.
function withoutFusedSgd<T>(hide: boolean, body: () => T): T {
  const kernels = getBackend('cpu').kernels;
  const fused = kernels.sgdStep;
  if (hide) kernels.sgdStep = undefined;
  try {
    return body();
  } finally {
    kernels.sgdStep = fused;
  }
}
