import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, randint, randn, registerBackend, scope, stack, unregisterBackend, type Backend, type Tensor } from '@fathom/core';
import { noGrad, useAutograd } from '@fathom/autograd';
import { Conv2d, crossEntropy, Embedding, Flatten, Linear, LSTM, MaxPool2d, Module, ReLU, Sequential } from '../src/index.js';
import { backendOrReason, noBackend, type BackendName } from './backend-or-reason.js';

useAutograd();

// TESTING.md's model-level check: the same small CNN and char-LSTM from the same seed, trained
// by plain SGD on the same fixed batches, give the same first-step loss on every backend (1e-5
// relative), stay within float32 drift (1e-3 relative) over the first 50 steps and again at the
// end of step 200, and never stray past 5e-3 in between: where LeNet's loss falls steeply (steps
// 80–120) the rounding of a different summation order is amplified for a while (seen: 1.2e-3 on
// webgpu near step 100, 1.5e-4 again at step 200). The CPU in float32 is the reference. (SGD is
// written out here: @fathom/layers' tests do not depend on @fathom/optim.)

const STEPS = 200;
/** Steps over which the losses must agree to 1e-3 throughout (the webgpu issue's criterion). */
const CLOSE_STEPS = 50;
const BATCHES = 4;

/** A model, its fixed batches and a learning rate, built from the current seed on the CPU. */
interface Task {
  readonly model: Module & { forward(x: Tensor): Tensor };
  readonly batches: readonly { readonly x: Tensor; readonly y: Tensor }[];
  readonly learningRate: number;
}

function leNet(): Task {
  const model = new Sequential(
    new Conv2d(1, 6, 5), // (N, 6, 24, 24)
    new ReLU(),
    new MaxPool2d(2), // (N, 6, 12, 12)
    new Conv2d(6, 16, 5), // (N, 16, 8, 8)
    new ReLU(),
    new MaxPool2d(2), // (N, 16, 4, 4)
    new Flatten(), // (N, 256)
    new Linear(256, 10), // (N, 10)
  );
  const batches = Array.from({ length: BATCHES }, () => ({
    x: randn([8, 1, 28, 28]), // (8, 1, 28, 28)
    y: randint(0, 10, [8], { dtype: 'int32' }), // (8)
  }));
  return { model, batches, learningRate: 0.05 };
}

const VOCAB = 12;

/** Embedding → LSTM → Linear predicting every next token, the char-LSTM of apps/char-lstm in miniature. */
class CharModel extends Module {
  private readonly embedding = this.registerModule('embedding', new Embedding(VOCAB, 8));
  private readonly lstm = this.registerModule('lstm', new LSTM(8, 24, { numLayers: 2, batchFirst: true }));
  private readonly decoder = this.registerModule('decoder', new Linear(24, VOCAB));

  forward(tokens: Tensor): Tensor {
    const { output } = this.lstm.forward(this.embedding.forward(tokens)); // (N, T, 24)
    return this.decoder.forward(output).reshape(-1, VOCAB); // (N·T, V)
  }
}

function charLstm(): Task {
  const batches = Array.from({ length: BATCHES }, () => {
    const x = randint(0, VOCAB, [4, 10], { dtype: 'int32' }); // (N, T) tokens
    return { x, y: x.neg().add(VOCAB - 1).reshape(40) }; // (N·T) a target the model can learn: V − 1 − x
  });
  return { model: new CharModel(), batches, learningRate: 0.5 };
}

const TASKS = { LeNet: leNet, 'char-LSTM': charLstm } as const;
type TaskName = keyof typeof TASKS;

/** The loss of every step of training the seeded task on `device`, in float32. */
async function trainingLosses(taskName: TaskName, device: string): Promise<Float64Array> {
  manualSeed(17);
  const task = TASKS[taskName]();
  const model = task.model.to(device);
  // On the CPU `to` returns the tensor itself; elsewhere the CPU copy is released.
  const moveAndRelease = (t: Tensor): Tensor => {
    const moved = t.to(device);
    if (moved !== t) t.dispose();
    return moved;
  };
  const batches = task.batches.map(({ x, y }) => ({ x: moveAndRelease(x), y: moveAndRelease(y) }));
  const parameters = model.parameters();
  const losses: Tensor[] = [];
  for (let step = 0; step < STEPS; step++) {
    const { x, y } = batches[step % BATCHES];
    losses.push(scope(() => {
      model.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      noGrad(() => { for (const p of parameters) p.copy_(p.sub(p.grad!.mul(task.learningRate))); });
      return loss.detach();
    }));
  }
  // Read once at the end, so a GPU is never made to wait inside the loop.
  const all = stack(losses);
  const values = Float64Array.from(await all.data());
  [all, ...losses, ...parameters, ...batches.flatMap(({ x, y }) => [x, y])].forEach((t) => t.dispose());
  model.zeroGrad();
  return values;
}

const cpuLosses = new Map<TaskName, Promise<Float64Array>>();
const reference = (taskName: TaskName): Promise<Float64Array> => {
  if (!cpuLosses.has(taskName)) cpuLosses.set(taskName, trainingLosses(taskName, 'cpu'));
  return cpuLosses.get(taskName)!;
};
const TASK_NAMES = Object.keys(TASKS) as TaskName[];

const relative = (a: number, e: number): number => Math.abs(a - e) / Math.abs(e);

describe.each(TASK_NAMES)('%s trained on the CPU', (taskName) => {
  it('learns the fixed batches (the comparison below is of a run that moves)', async () => {
    const losses = await reference(taskName);
    expect(losses.every(Number.isFinite)).toBe(true);
    // The mean loss over the last pass through the batches is well below the first pass's.
    const mean = (values: Float64Array) => values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean(losses.slice(-BATCHES))).toBeLessThan(mean(losses.slice(0, BATCHES)) / 1.5);
  });
});

for (const name of ['wasm', 'webgpu'] as const satisfies readonly BackendName[]) {
  const found = await backendOrReason(name);
  if (!('backend' in found)) {
    noBackend({ it }, name, found.reason);
    continue;
  }
  const backend: Backend = found.backend;
  describe(`training on ${name} follows the CPU`, () => {
    beforeAll(() => { registerBackend(backend); });
    afterAll(async () => {
      unregisterBackend(backend.name);
      await backend.destroy();
    });

    it.each(TASK_NAMES)(`%s, ${STEPS} SGD steps: first loss within 1e-5, steps 1–${CLOSE_STEPS} and the last pass within 1e-3, the rest within 5e-3 (relative)`, async (taskName) => {
      const expected = await reference(taskName);
      const actual = await trainingLosses(taskName, backend.name);
      const differences = Array.from(actual, (a, i) => relative(a, expected[i]));
      const worstOf = (from: number, to: number): number => Math.max(...differences.slice(from, to));
      expect(differences[0]).toBeLessThanOrEqual(1e-5);
      expect(worstOf(0, CLOSE_STEPS), `worst relative difference over steps 1–${CLOSE_STEPS}`).toBeLessThanOrEqual(1e-3);
      expect(worstOf(STEPS - BATCHES, STEPS), 'worst relative difference over the last pass').toBeLessThanOrEqual(1e-3);
      expect(worstOf(0, STEPS), `worst relative difference over ${STEPS} steps`).toBeLessThanOrEqual(5e-3);
    });

    it.each(TASK_NAMES)('%s: the same seed on the same backend gives the same losses, bit for bit', async (taskName) => {
      const first = await trainingLosses(taskName, backend.name);
      expect(await trainingLosses(taskName, backend.name)).toEqual(first);
    });
  });
}
