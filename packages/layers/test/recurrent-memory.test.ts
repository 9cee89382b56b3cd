import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend, manualSeed, memoryStats, randn, scope } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { peakBytesAbove } from '@fathom/core/testing';
import { LSTM } from '../src/layers/recurrent.js';

useAutograd();

const FLOAT32_BYTES = 4;
const [BATCH, INPUT, HIDDEN, LAYERS] = [4, 16, 32, 2];
/** One (N, H) float32 tensor per layer: the unit the per-step costs below are counted in. */
const STATE_BYTES = BATCH * HIDDEN * FLOAT32_BYTES * LAYERS;
/**
 * What backward needs of one LSTM step: σ(i), σ(f), tanh(g), σ(o), c, tanh(c)
 * and h, each (N, H); and the step's row of the stacked output.
 */
const KEPT_PER_STEP = 7 + 1;
/** What backward adds per step: the step's row of the (T, N, 4H) input-gate gradient, written into one buffer. */
const GRADIENT_PER_STEP = 4;

/**
 * Bytes an LSTM's forward over `steps` steps leaves held (in a scope, as a
 * training step runs it), and the peak of forward and backward together,
 * both above what was held before the forward: read after every allocation.
 */
function lstmMemory(steps: number): { held: number; peak: number } {
  return scope(() => {
    manualSeed(1);
    const lstm = new LSTM(INPUT, HIDDEN, { numLayers: LAYERS });
    const x = randn([steps, BATCH, INPUT]).setRequiresGrad(); // (T, N, in)
    const before = memoryStats('cpu').bytes;
    let held = 0;
    const peak = peakBytesAbove(getBackend('cpu'), () => {
      const { output } = lstm.forward(x); // (T, N, H)
      held = memoryStats('cpu').bytes - before;
      output.square().sum().backward();
    });
    return { held, peak };
  });
}

describe('LSTM memory per time step', () => {
  // Two sequence lengths, so that what does not depend on T (parameters' gradients, the initial state) cancels out.
  const [shortRun, longRun] = [8, 24];
  let short: { held: number; peak: number };
  let long: { held: number; peak: number };
  beforeAll(() => {
    short = lstmMemory(shortRun);
    long = lstmMemory(longRun);
  });
  const perStep = (bytes: number) => bytes / (longRun - shortRun) / STATE_BYTES;

  it('the forward keeps only what backward reads, each step\'s other intermediates released at once', () => {
    // Before each step had a scope of its own the forward held 30 (N, H) per step: the summed gates (N, 4H) three times over, the products.
    expect(perStep(long.held - short.held)).toBeLessThanOrEqual(KEPT_PER_STEP);
  });

  it('backward adds the input gates\' gradient row per step, not each step\'s gradients', () => {
    expect(perStep(long.peak - short.peak)).toBeLessThanOrEqual(KEPT_PER_STEP + GRADIENT_PER_STEP);
  });
});
