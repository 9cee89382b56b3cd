import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureStep, manualSeed, randint, randn, registerBackend, scope, scopeAsync, unregisterBackend, zeros, type Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { crossEntropy, dropout } from '@fathom/layers';
import { Adam, SGD } from '@fathom/optim';
import { wasm, type WasmBackend } from '@fathom/wasm';
import { webgpuOrReason } from '@fathom/webgpu';
import { CharLSTM, LeNet5 } from '../src/index.js';

useAutograd();

// captureStep on whole training steps: a captured LeNet-5 with SGD (momentum
// and weight decay) must give the eager step's losses and weights bit for
// bit, batch after batch, while its steps run by replay; steps that cannot
// be replayed must stay eager and say why.

const BATCH = 8;
const STEPS = 10;

interface Trainer {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly parameters: Tensor[];
  readonly step: () => Tensor;
}

function trainer(device: string, optimizer: 'sgd' | 'adam', withDropout = false): Trainer {
  manualSeed(7);
  const model = new LeNet5({ numClasses: 10 }).to(device);
  const parameters = model.parameters();
  const opt = optimizer === 'sgd' ? new SGD(parameters, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 }) : new Adam(parameters, { lr: 1e-3 });
  const x = zeros([BATCH, 1, 28, 28], { device });
  const y = zeros([BATCH], { dtype: 'int32', device });
  const step = (): Tensor => {
    opt.zeroGrad();
    const scores = model.forward(x);
    const loss = crossEntropy(withDropout ? dropout(scores, 0.2) : scores, y);
    loss.backward();
    opt.step();
    return loss;
  };
  return { x, y, parameters, step };
}

function batches(device: string): [Tensor, Tensor][] {
  manualSeed(11);
  return Array.from({ length: STEPS }, () => [randn([BATCH, 1, 28, 28], { device }), randint(0, 10, [BATCH], { device })]);
}

function feed(t: Trainer, [images, labels]: [Tensor, Tensor]): void {
  t.x.copy_(images);
  t.y.copy_(labels);
}

const lossOf = (step: () => Tensor): number => scope(() => step().dataSync()[0]);

let wasmBackend: WasmBackend;
beforeAll(async () => {
  wasmBackend = await wasm({ threads: 2 });
  registerBackend(wasmBackend);
});
afterAll(async () => {
  unregisterBackend(wasmBackend.name);
  await wasmBackend.destroy();
});

describe('captureStep on training steps', () => {
  for (const device of ['cpu', 'wasm']) {
    it(`replays SGD steps on ${device} with the eager losses and weights, bit for bit`, () => {
      const eager = trainer(device, 'sgd');
      const captured = trainer(device, 'sgd');
      const step = captureStep(captured.step);
      for (const batch of batches(device)) {
        feed(eager, batch);
        feed(captured, batch);
        expect(lossOf(step)).toBe(lossOf(eager.step));
      }
      expect(step.reason).toBeNull();
      expect(step.mode).toBe('replaying');
      expect(step.replays).toBeGreaterThanOrEqual(STEPS - 4);
      for (let i = 0; i < eager.parameters.length; i++) {
        expect(Array.from(captured.parameters[i].dataSync())).toEqual(Array.from(eager.parameters[i].dataSync()));
      }
      step.dispose();
    });
  }

  it('replays SGD steps on webgpu with the eager losses, bit for bit', async (context) => {
    const made = await webgpuOrReason();
    if ('reason' in made) {
      if (process.env.CI) throw new Error(made.reason);
      context.skip();
      return;
    }
    registerBackend(made.backend);
    try {
      const eager = trainer('webgpu', 'sgd');
      const captured = trainer('webgpu', 'sgd');
      const step = captureStep(captured.step);
      const lossOn = (run: () => Tensor) => scopeAsync(async () => (await run().data())[0]);
      for (const batch of batches('webgpu').slice(0, 7)) {
        feed(eager, batch);
        feed(captured, batch);
        expect(await lossOn(step)).toBe(await lossOn(eager.step));
      }
      expect(step.mode).toBe('replaying');
      for (let i = 0; i < eager.parameters.length; i++) {
        expect(Array.from(await captured.parameters[i].data())).toEqual(Array.from(await eager.parameters[i].data()));
      }
      step.dispose();
    } finally {
      unregisterBackend(made.backend.name);
      await made.backend.destroy();
    }
  }, 120_000);

  it("replays a char-LSTM's forward and backward pass with Adam's update eager, as fathom-train does, bit for bit", () => {
    const make = () => {
      manualSeed(3);
      const model = new CharLSTM({ vocabSize: 12, embeddingDim: 8, hiddenSize: 16, numLayers: 2 }).to('wasm');
      const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
      const tokens = zeros([3, 7], { dtype: 'int32', device: 'wasm' });
      const targets = zeros([3 * 7], { dtype: 'int32', device: 'wasm' });
      const pass = (): Tensor => {
        optimizer.zeroGrad();
        const loss = crossEntropy(model.forward(tokens).logits.reshape([3 * 7, 12]), targets);
        loss.backward();
        return loss;
      };
      return { model, optimizer, tokens, targets, pass };
    };
    const eager = make();
    const captured = make();
    const pass = captureStep(captured.pass);
    manualSeed(4);
    for (let i = 0; i < 8; i++) {
      const tokens = randint(0, 12, [3, 7], { device: 'wasm' });
      const targets = randint(0, 12, [3 * 7], { device: 'wasm' });
      for (const t of [eager, captured]) {
        t.tokens.copy_(tokens);
        t.targets.copy_(targets);
      }
      const expected = scope(() => eager.pass().dataSync()[0]);
      eager.optimizer.step();
      const actual = scope(() => pass().dataSync()[0]);
      captured.optimizer.step();
      expect(actual).toBe(expected);
    }
    expect(pass.mode).toBe('replaying');
    const [a, b] = [eager.model.parameters(), captured.model.parameters()];
    for (let i = 0; i < a.length; i++) expect(Array.from(b[i].dataSync())).toEqual(Array.from(a[i].dataSync()));
    pass.dispose();
  });

  it('checks the labels of every replayed batch', () => {
    const t = trainer('wasm', 'sgd');
    const step = captureStep(t.step);
    const data = batches('wasm');
    for (const batch of data.slice(0, 6)) {
      feed(t, batch);
      lossOf(step);
    }
    expect(step.mode).toBe('replaying');
    t.y.copy_(data[6][1].mul(0).add(12).int());
    expect(() => lossOf(step)).toThrow(/target 12 is out of bounds for 10 classes/);
    step.dispose();
  });

  it("stays eager for Adam, whose bias correction changes every step, with the eager losses", () => {
    const eager = trainer('wasm', 'adam');
    const captured = trainer('wasm', 'adam');
    const step = captureStep(captured.step);
    for (const batch of batches('wasm').slice(0, 6)) {
      feed(eager, batch);
      feed(captured, batch);
      expect(lossOf(step)).toBe(lossOf(eager.step));
    }
    expect(step.mode).toBe('eager');
    expect(step.reason).toMatch(/no two of the first 4 steps did the same work/);
    step.dispose();
  });

  it('stays eager for a step that draws random numbers (dropout)', () => {
    const t = trainer('wasm', 'sgd', true);
    const step = captureStep(t.step);
    for (const batch of batches('wasm').slice(0, 5)) {
      feed(t, batch);
      lossOf(step);
    }
    expect(step.mode).toBe('eager');
    expect(step.reason).toMatch(/random draw/);
    step.dispose();
  });
});
