import { afterAll, describe, expect, it } from 'vitest';
import { describeRun, mpirun, mpirunMissing, outputDirectory } from './mpirun.js';

// What test/ranks/ddp-step.mjs reports (parameters in Sequential order: W1 [10, 6], b1, W2 [3, 10], b2).
interface DdpReport {
  rank: number;
  buckets: number;
  shapes: number[][];
  ownInitial: number[][];
  initial: number[][];
  gradients: number[][];
  updated: number[][];
  localAfterNoSync: number[][];
  accumulated: number[][];
  readAfterBackward: number[][];
  after50: number[][];
  runningMeanLocal: number[];
  runningMeanShared: number[];
}

// The batch ddp-step.mjs builds, restated here.
const B = 8, F = 6, C = 3, H = 10, LR = 0.5;
const feature = (i: number, j: number) => Math.sin(1.3 * i + 0.7 * j + 0.1);
const label = (i: number) => (i * 5) % C;

/**
 * The gradient of the mean cross-entropy of Linear(F, H) → ReLU → Linear(H, C)
 * over `rows`, in float64, by the chain rule written out: the single-process
 * reference a DDP step must equal.
 */
function referenceGradients([w1, b1, w2, b2]: number[][], rows: number[]): number[][] {
  const g = [w1.map(() => 0), b1.map(() => 0), w2.map(() => 0), b2.map(() => 0)];
  for (const i of rows) {
    const x = Array.from({ length: F }, (_, j) => feature(i, j));
    const h = Array.from({ length: H }, (_, o) => b1[o] + x.reduce((s, v, j) => s + w1[o * F + j] * v, 0)); // (H)
    const a = h.map((v) => Math.max(v, 0));
    const z = Array.from({ length: C }, (_, c) => b2[c] + a.reduce((s, v, o) => s + w2[c * H + o] * v, 0)); // (C)
    const top = Math.max(...z);
    const e = z.map((v) => Math.exp(v - top));
    const total = e.reduce((s, v) => s + v, 0);
    const dz = e.map((v, c) => (v / total - (c === label(i) ? 1 : 0)) / rows.length); // d mean-loss / dz
    const da = Array.from({ length: H }, (_, o) => dz.reduce((s, d, c) => s + d * w2[c * H + o], 0));
    const dh = da.map((d, o) => (h[o] > 0 ? d : 0));
    dz.forEach((d, c) => { g[3][c] += d; a.forEach((v, o) => { g[2][c * H + o] += d * v; }); });
    dh.forEach((d, o) => { g[1][o] += d; x.forEach((v, j) => { g[0][o * F + j] += d * v; }); });
  }
  return g;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, k) => from + k);

function expectClose(actual: number[][], expected: number[][], what: string, rtol = 1e-5, atol = 1e-5): void {
  expect(actual.map((t) => t.length), what).toEqual(expected.map((t) => t.length));
  actual.forEach((t, p) => t.forEach((v, i) => {
    const want = expected[p][i];
    if (!(Math.abs(v - want) <= atol + rtol * Math.abs(want))) {
      throw new Error(`${what}: parameter ${p} element ${i} is ${v}, expected ${want} (rtol ${rtol}, atol ${atol})`);
    }
  }));
}

const missing = mpirunMissing();

describe.skipIf(missing !== null)('DistributedDataParallel across 2 ranks under mpirun', () => {
  const out = outputDirectory();
  afterAll(() => out.remove());
  // A cap of 200 bytes puts the four parameters in two buckets, so a bucket is sent from a
  // gradient hook while backward is still running, and the buckets' order is exercised.
  const reports = mpirun('ddp-step.mjs', [out.path, '0.0002']).then((result) => {
    expect(result.code, describeRun(result)).toBe(0);
    return [0, 1].map((rank) => out.read<DdpReport>(rank));
  });

  it('starts every rank from rank 0 parameters, though each built its own', async () => {
    const [zero, one] = await reports;
    expect(one.ownInitial).not.toEqual(zero.ownInitial);
    expect(zero.initial).toEqual(zero.ownInitial);
    expect(one.initial).toEqual(zero.ownInitial);
    expect(zero.buckets).toBe(2);
  });

  it('one step with B/2 rows per rank equals one single-process step with B rows (gradients and SGD update)', async () => {
    const [zero, one] = await reports;
    const expected = referenceGradients(zero.initial, range(0, B));
    for (const report of [zero, one]) {
      expectClose(report.gradients, expected, `rank ${report.rank} gradients`);
      expectClose(report.updated, zero.initial.map((t, p) => t.map((v, i) => v - LR * expected[p][i])), `rank ${report.rank} updated parameters`);
    }
  });

  it('noSync keeps micro-batch gradients local; the next synchronised backward averages what accumulated', async () => {
    const [zero, one] = await reports;
    for (const report of [zero, one]) {
      const share = B / 2;
      // Inside noSync: this rank's first micro-batch alone (its loss halved), not averaged.
      const local = referenceGradients(zero.updated, range(report.rank * share, share / 2)).map((t) => t.map((v) => v * 0.5));
      expectClose(report.localAfterNoSync, local, `rank ${report.rank} gradients after noSync`);
      expectClose(report.accumulated, referenceGradients(zero.updated, range(0, B)), `rank ${report.rank} accumulated gradients`);
    }
  });

  it('averages as well when every bucket is read and sent after backward (the path of devices without synchronous reads)', async () => {
    const [zero, one] = await reports;
    for (const report of [zero, one]) {
      expectClose(report.readAfterBackward, referenceGradients(zero.updated, range(0, B)), `rank ${report.rank} gradients read after backward`);
    }
  });

  it('keeps parameters bit-identical across ranks over 50 steps of SGD with momentum; BatchNorm statistics stay local until broadcastBuffers', async () => {
    const [zero, one] = await reports;
    expect(one.after50).toEqual(zero.after50);
    expect(zero.after50.flat().every(Number.isFinite)).toBe(true);
    expect(one.runningMeanLocal).not.toEqual(zero.runningMeanLocal);
    expect(one.runningMeanShared).toEqual(zero.runningMeanLocal);
    expect(zero.runningMeanShared).toEqual(zero.runningMeanLocal);
  });
});
