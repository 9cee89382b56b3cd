import { afterEach, describe, expect, it } from 'vitest';
import { captureStep, full, getBackend, keep, profile, randn, manualSeed, scope, tensor, type Tensor } from '../src/index.js';

// A step without autograd: least squares by hand, with a momentum buffer made
// anew each step (as SGD makes it) and the weight written in place.
function leastSquares() {
  manualSeed(3);
  const w = randn([4, 1]);
  const x = randn([8, 4]);
  const y = randn([8, 1]);
  const state: { momentum: Tensor | null } = { momentum: null };
  const step = (): Tensor => {
    const residual = x.matmul(w).sub(y); // (8, 1)
    const grad = x.transpose(0, 1).matmul(residual).mul(2 / 8); // (4, 1)
    const momentum = state.momentum === null ? grad : state.momentum.mul(0.9).add(grad);
    state.momentum?.dispose();
    state.momentum = keep(momentum);
    w.copy_(w.sub(momentum.mul(0.05)));
    return residual.square().mean();
  };
  return { w, x, y, state, step };
}

const batches = (count: number): Tensor[][] => {
  manualSeed(11);
  return Array.from({ length: count }, () => [randn([8, 4]), randn([8, 1])]);
};

describe('captureStep', () => {
  const disposers: (() => void)[] = [];
  afterEach(() => {
    for (const dispose of disposers.splice(0)) dispose();
  });

  it('replays a step with state made anew each step, bit for bit as the eager steps', () => {
    const eager = leastSquares();
    const captured = leastSquares();
    const step = captureStep(captured.step);
    disposers.push(() => step.dispose());
    const data = batches(12);
    for (const [xs, ys] of data) {
      eager.x.copy_(xs);
      eager.y.copy_(ys);
      const expected = scope(() => eager.step().dataSync()[0]);
      captured.x.copy_(xs);
      captured.y.copy_(ys);
      const actual = scope(() => step().dataSync()[0]);
      expect(actual).toBe(expected);
      expect(Array.from(captured.w.dataSync())).toEqual(Array.from(eager.w.dataSync()));
    }
    expect(step.mode).toBe('replaying');
    expect(step.reason).toBeNull();
    // Steps 1–4 record: step 1 makes the scalar constants core then caches, and its
    // momentum is the gradient itself, so steps 3 and 4 are the first two alike.
    expect(step.replays).toBe(8);
  });

  it("replays steps whose state buffers of one size trade places every step (ResNet's momenta)", () => {
    // Two momentum buffers of one shape, each made anew every step: the arena
    // hands the one just freed to the other, so the carried copies form a cycle.
    const make = () => {
      manualSeed(5);
      const ws = [randn([6]), randn([6]), randn([6])];
      const momenta: (Tensor | null)[] = [null, null, null];
      const x = randn([6]);
      const step = (): Tensor => {
        const fresh = ws.map((w, i) => {
          const grad = w.sub(x).mul(i + 1);
          return keep(momenta[i] === null ? grad : momenta[i]!.mul(0.5).add(grad));
        });
        // The old momenta go only now, so the next step takes their buffers in reverse order.
        ws.forEach((w, i) => {
          momenta[i]?.dispose();
          momenta[i] = fresh[i];
          w.copy_(w.sub(fresh[i].mul(0.1)));
        });
        return ws[0].add(ws[1]).add(ws[2]).sum();
      };
      return { ws, x, step };
    };
    const eager = make();
    const captured = make();
    const step = captureStep(captured.step);
    disposers.push(() => step.dispose());
    manualSeed(9);
    for (let i = 0; i < 10; i++) {
      const x = randn([6]);
      eager.x.copy_(x);
      captured.x.copy_(x);
      expect(scope(() => step().dataSync()[0])).toBe(scope(() => eager.step().dataSync()[0]));
    }
    expect(step.mode).toBe('replaying');
    captured.ws.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(eager.ws[i].dataSync())));
  });

  it('records and replays inside a profile, whose table then shows the replayed kernels', () => {
    const eager = leastSquares();
    const captured = leastSquares();
    const step = captureStep(captured.step);
    disposers.push(() => step.dispose());
    const result = profile(() => {
      for (let i = 0; i < 8; i++) {
        expect(scope(() => step().dataSync()[0])).toBe(scope(() => eager.step().dataSync()[0]));
      }
    });
    expect(step.replays).toBe(4);
    // Two matrix products a step, eager and captured alike: 8 steps each.
    expect(result.keyAverages().find((row) => row.name === 'matmul')?.calls).toBe(2 * 8 * 2);
  });

  it('stays eager, saying why, for a step that reads a value it computed', () => {
    const run = leastSquares();
    const step = captureStep(() => {
      const loss = run.step();
      return loss.dataSync()[0] > 1e9 ? loss.mul(0) : loss;
    });
    disposers.push(() => step.dispose());
    scope(() => { step(); });
    expect(step.mode).toBe('eager');
    expect(step.reason).toMatch(/reads back a value it computed/);
  });

  it('stays eager when no two steps alike come within maxRecordedSteps', () => {
    let t = 0;
    const x = tensor([1, 2, 3]);
    const step = captureStep(() => x.mul(++t), { maxRecordedSteps: 3 });
    disposers.push(() => step.dispose());
    for (let i = 0; i < 4; i++) scope(() => { step(); });
    expect(step.mode).toBe('eager');
    expect(step.reason).toMatch(/no two of the first 3 steps/);
    expect(scope(() => Array.from(step().dataSync()))).toEqual([5, 10, 15]);
  });

  it('sees a changed scalar only after reset()', () => {
    let scale = 2;
    const x = tensor([1, 2]);
    const step = captureStep(() => x.mul(full([], scale)));
    disposers.push(() => step.dispose());
    for (let i = 0; i < 3; i++) scope(() => { step(); });
    expect(step.mode).toBe('replaying');
    scale = 3;
    expect(scope(() => Array.from(step().dataSync()))).toEqual([2, 4]);
    step.reset();
    for (let i = 0; i < 3; i++) scope(() => { step(); });
    expect(scope(() => Array.from(step().dataSync()))).toEqual([3, 6]);
  });

  it('gives every buffer back on dispose()', () => {
    const backend = getBackend('cpu');
    const buffersAfter = (capture: boolean): number => {
      const run = leastSquares();
      const step = capture ? captureStep(run.step) : run.step;
      for (let i = 0; i < 6; i++) scope(() => { step(); });
      if (capture) (step as ReturnType<typeof captureStep>).dispose();
      run.state.momentum?.dispose();
      for (const t of [run.w, run.x, run.y]) t.dispose();
      return backend.memory().buffers;
    };
    // Eager first: what stays is what core keeps anyway (its cached scalar constants).
    const eager = buffersAfter(false);
    expect(buffersAfter(true)).toBe(eager);
  });

  it('refuses a step that returns something other than tensors', () => {
    const step = captureStep((() => 3) as unknown as () => Tensor);
    expect(() => step()).toThrow(/must return a tensor or an array of tensors/);
    step.dispose();
  });
});
