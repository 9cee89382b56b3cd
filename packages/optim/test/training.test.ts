import { describe, expect, it } from 'vitest';
import { manualSeed, memoryStats, oneHot, randint, randn, scope, tensor, type Tensor } from '@fathom/core';
import { noGrad, useAutograd } from '@fathom/autograd';
import { BatchNorm2d, Conv2d, crossEntropy, Flatten, Linear, LSTM, MaxPool2d, Module, ReLU, Sequential } from '@fathom/layers';
import { Adam, clipGradNorm, SGD } from '../src/index.js';

useAutograd();

// End-to-end checks that the optimizers train real layers to a solution, on tasks that are
// solvable by construction; each runs in a few seconds on the CPU backend.

/** Evaluates `fn` without recording gradients and reads its 0-d result, releasing every tensor it made. */
async function evaluate(fn: () => Tensor): Promise<number> {
  const value = scope(() => noGrad(fn));
  try {
    return await value.item();
  } finally {
    value.dispose();
  }
}

/** The fraction of rows of `logits` (N, C) whose argmax is the label in `labels` (N), as a 0-d tensor. */
function accuracy(logits: Tensor, labels: Tensor): Tensor {
  return logits.argmax(1).int().eq(labels).float().mean();
}

// Class k of 4 lights quadrant k of an 8×8 image (+1 on a 4×4 block), under N(0, 0.5²) noise.
function quadrantImages(perClass: number, seed: number): { x: Tensor; y: Tensor } {
  manualSeed(seed);
  const patterns = new Float32Array(4 * 64);
  for (let k = 0; k < 4; k++) {
    const [top, left] = [Math.floor(k / 2) * 4, (k % 2) * 4];
    for (let r = top; r < top + 4; r++) for (let c = left; c < left + 4; c++) patterns[k * 64 + r * 8 + c] = 1;
  }
  const labels = Int32Array.from({ length: 4 * perClass }, (_, i) => i % 4);
  return scope(() => {
    const y = tensor(labels, { dtype: 'int32' }); // (N)
    const clean = tensor(patterns, { shape: [4, 1, 8, 8] }).indexSelect(0, y); // (N, 1, 8, 8)
    return { x: clean.add(randn(clean.shape).mul(0.5)), y };
  });
}

describe('a small CNN trained with SGD (momentum, weight decay)', () => {
  it('reaches 100% training accuracy in eval mode on 4-class quadrant images, and generalizes', async () => {
    const train = quadrantImages(16, 1); // 64 images
    const heldOut = quadrantImages(16, 2);
    manualSeed(0);
    const model = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1 }), // (N, 4, 8, 8)
      new BatchNorm2d(4),
      new ReLU(),
      new MaxPool2d(2), // (N, 4, 4, 4)
      new Flatten(), // (N, 64)
      new Linear(64, 4), // (N, 4)
    );
    const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
    const lossOf = (x: Tensor, y: Tensor): Tensor => crossEntropy(model.forward(x), y);

    const firstLoss = await evaluate(() => lossOf(train.x, train.y));
    let tensorsAfterFirstStep = 0;
    for (let step = 0; step < 60; step++) {
      // Mini-batches of 16 in a fixed rotation, so BatchNorm sees several batch statistics.
      const start = (step % 4) * 16;
      scope(() => {
        optimizer.zeroGrad();
        lossOf(train.x.narrow(0, start, 16), train.y.narrow(0, start, 16)).backward();
        optimizer.step();
      });
      if (step === 0) tensorsAfterFirstStep = memoryStats().tensors;
    }
    expect(memoryStats().tensors).toBe(tensorsAfterFirstStep);

    model.eval(); // running statistics from here on
    const finalLoss = await evaluate(() => lossOf(train.x, train.y));
    expect(finalLoss).toBeLessThan(firstLoss / 10);
    expect(await evaluate(() => accuracy(model.forward(train.x), train.y))).toBe(1);
    expect(await evaluate(() => accuracy(model.forward(heldOut.x), heldOut.y))).toBeGreaterThanOrEqual(0.95);
  });
});

// Sequences of `length` symbols from 0..3, one-hot (N, T, 4); the target is the first symbol, to be
// recalled after all the others: the classifier sees only the last hidden state, so the LSTM must carry it.
function recallFirst(count: number, length: number, seed: number): { x: Tensor; y: Tensor } {
  manualSeed(seed);
  return scope(() => {
    const symbols = randint(0, 4, [count, length], { dtype: 'int32' }); // (N, T)
    return { x: oneHot(symbols, 4).float(), y: symbols.select(1, 0).contiguous() }; // (N, T, 4), (N)
  });
}

class Recaller extends Module {
  readonly lstm: LSTM;
  readonly head: Linear;

  constructor(hidden: number) {
    super();
    this.lstm = this.registerModule('lstm', new LSTM(4, hidden, { batchFirst: true }));
    this.head = this.registerModule('head', new Linear(hidden, 4));
  }

  forward(x: Tensor): Tensor {
    const { h } = this.lstm.forward(x); // h: (1, N, H)
    return this.head.forward(h.select(0, 0)); // (N, 4)
  }
}

// ‖g‖₂ over all the gradients together, in float64 from the values read back.
function gradientNorm(grads: readonly Float64Array[]): number {
  let sum = 0;
  for (const g of grads) for (const v of g) sum += v * v;
  return Math.sqrt(sum);
}

describe('an LSTM trained with Adam and clipGradNorm', () => {
  it('learns to recall the first of 8 symbols, clipping the gradients when their norm exceeds maxNorm', async () => {
    const train = recallFirst(128, 8, 3);
    const heldOut = recallFirst(256, 8, 4);
    manualSeed(0);
    const model = new Recaller(16);
    const parameters = model.parameters();
    const optimizer = new Adam(parameters, { lr: 0.02 });
    const maxNorm = 0.5;
    const lossOf = (x: Tensor, y: Tensor): Tensor => crossEntropy(model.forward(x), y);
    const readGrads = (): Float64Array[] => parameters.map((p) => Float64Array.from(p.grad!.dataSync()));

    const firstLoss = await evaluate(() => lossOf(train.x, train.y));
    // Every step is checked against the gradients as read back before and after clipping; the worst
    // deviations are asserted at the end (one expect per step would dominate the run time).
    let clippedSteps = 0;
    let worstReturnedNorm = 0; // |returned − ‖g‖| / ‖g‖
    let worstScaling = 0; // max |g′ − g·min(1, maxNorm / (‖g‖ + 1e-6))| / (1 + |g|)
    let worstClippedNorm = 0; // |‖g′‖ − maxNorm| on the steps that clipped
    let worstUnclippedNorm = 0; // |‖g′‖ − ‖g‖| / ‖g‖ on the others
    for (let step = 0; step < 150; step++) {
      scope(() => {
        optimizer.zeroGrad();
        lossOf(train.x, train.y).backward();
        const before = readGrads();
        const returned = clipGradNorm(parameters, maxNorm).dataSync()[0];
        const after = readGrads();
        const norm = gradientNorm(before);
        worstReturnedNorm = Math.max(worstReturnedNorm, Math.abs(returned - norm) / norm);
        const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
        before.forEach((g, k) => g.forEach((v, i) => { worstScaling = Math.max(worstScaling, Math.abs(after[k][i] - v * coefficient) / (1 + Math.abs(v))); }));
        if (norm > maxNorm) {
          clippedSteps++;
          worstClippedNorm = Math.max(worstClippedNorm, Math.abs(gradientNorm(after) - maxNorm));
        } else {
          worstUnclippedNorm = Math.max(worstUnclippedNorm, Math.abs(gradientNorm(after) - norm) / norm);
        }
        optimizer.step();
      });
    }
    // Clipping really happened (the norm spikes while the LSTM finds how to carry the symbol), and did what it should.
    expect(clippedSteps).toBeGreaterThan(0);
    expect(clippedSteps).toBeLessThan(150);
    expect(worstReturnedNorm).toBeLessThanOrEqual(1e-5);
    expect(worstScaling).toBeLessThanOrEqual(1e-6);
    expect(worstClippedNorm).toBeLessThanOrEqual(1e-5);
    expect(worstUnclippedNorm).toBeLessThanOrEqual(1e-5);

    model.eval();
    const finalLoss = await evaluate(() => lossOf(train.x, train.y));
    expect(finalLoss).toBeLessThan(firstLoss / 20);
    expect(await evaluate(() => accuracy(model.forward(train.x), train.y))).toBe(1);
    expect(await evaluate(() => accuracy(model.forward(heldOut.x), heldOut.y))).toBeGreaterThanOrEqual(0.99);
  });
});
