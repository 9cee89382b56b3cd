import { afterAll, describe, expect, it } from 'vitest';
import { describeRun, mpirun, mpirunMissing, outputDirectory } from './mpirun.js';

// What test/ranks/sync-batch-norm.mjs reports.
interface Step {
  output: number[]; expectedOutput: number[];
  inputGradient: number[]; expectedInputGradient: number[];
  weightGradient: number[]; biasGradient: number[];
  weightGradientSum: number[]; biasGradientSum: number[];
  expectedWeightGradient: number[]; expectedBiasGradient: number[];
  runningMean: number[]; expectedRunningMean: number[];
  runningVar: number[]; expectedRunningVar: number[];
  batches: number;
}
interface SyncBatchNormReport {
  rank: number;
  worldSize: number;
  steps: Step[];
  evaluation: { output: number[]; expected: number[] };
  ddpStep: {
    buckets: number; keysBefore: string[]; keysAfter: string[]; converted: number;
    output: number[]; expectedOutput: number[];
    gradients: number[][]; expectedGradients: number[][];
    buffers: number[][]; expectedBuffers: number[][];
  };
  sum: number[];
  mean: number[];
  gathered: number[];
}

const RANKS = 2;
// The rows rank r holds, as slices of a row-major (B, …) array with `perRow` elements a row.
const rowsOf = (all: number[], rank: number, perRow: number) => {
  const share = all.length / perRow / RANKS;
  return all.slice(rank * share * perRow, (rank + 1) * share * perRow);
};
const PER_ROW = 3 * 3 * 2; // C·H·W of the batch
const NET_PER_ROW = 2 * 3 * 2; // the conv net's output channels·H·W

// TESTING.md's T3 (norms) on the CPU: float32 against the float32 single-process run.
function expectClose(actual: number[], expected: number[], what: string, rtol = 1e-5, atol = 1e-5): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((v, i) => {
    if (!(Math.abs(v - expected[i]) <= atol + rtol * Math.abs(expected[i]))) {
      throw new Error(`${what}: element ${i} is ${v}, expected ${expected[i]} (rtol ${rtol}, atol ${atol})`);
    }
  });
}

const missing = mpirunMissing();

describe.skipIf(missing !== null)('SyncBatchNorm across 2 ranks under mpirun', () => {
  const out = outputDirectory();
  afterAll(() => out.remove());
  const reports = mpirun('sync-batch-norm.mjs', [out.path], { ranks: RANKS }).then((result) => {
    expect(result.code, describeRun(result)).toBe(0);
    return [0, 1].map((rank) => out.read<SyncBatchNormReport>(rank));
  });

  it('forward on B/2 rows per rank equals BatchNorm2d on all B rows in one process: outputs and running statistics, two steps, then evaluation', async () => {
    for (const report of await reports) {
      const where = `rank ${report.rank}`;
      expect(report.worldSize).toBe(RANKS);
      report.steps.forEach((step, s) => {
        expectClose(step.output, rowsOf(step.expectedOutput, report.rank, PER_ROW), `${where} step ${s} output`);
        expectClose(step.runningMean, step.expectedRunningMean, `${where} step ${s} running mean`);
        expectClose(step.runningVar, step.expectedRunningVar, `${where} step ${s} running variance (unbiased with all ${8 * 6} elements)`);
        expect(step.batches).toBe(s + 1);
      });
      expectClose(report.evaluation.output, rowsOf(report.evaluation.expected, report.rank, PER_ROW), `${where} evaluation output`);
    }
  });

  it('backward: input gradients equal the single-process ones on each rank\'s rows; weight and bias gradients are local and sum to them', async () => {
    const [zero, one] = await reports;
    for (const report of [zero, one]) {
      report.steps.forEach((step, s) => {
        const where = `rank ${report.rank} step ${s}`;
        expectClose(step.inputGradient, rowsOf(step.expectedInputGradient, report.rank, PER_ROW), `${where} input gradient`);
        expectClose(step.weightGradientSum, step.expectedWeightGradient, `${where} weight gradient summed over ranks`);
        expectClose(step.biasGradientSum, step.expectedBiasGradient, `${where} bias gradient summed over ranks`);
      });
    }
    // Local: each rank's own part, not the total.
    expect(zero.steps[0].biasGradient).not.toEqual(one.steps[0].biasGradient);
  });

  it('a conv net converted by convertSyncBatchnorm keeps its state-dict keys and, under DDP, averages the single-process gradients', async () => {
    for (const report of await reports) {
      const { ddpStep } = report;
      const where = `rank ${report.rank}`;
      expect(ddpStep.converted).toBe(2);
      expect(ddpStep.keysAfter).toEqual(ddpStep.keysBefore);
      expect(ddpStep.buckets).toBeGreaterThan(1);
      expectClose(ddpStep.output, rowsOf(ddpStep.expectedOutput, report.rank, NET_PER_ROW), `${where} net output`);
      ddpStep.gradients.forEach((g, p) => expectClose(g, ddpStep.expectedGradients[p].map((v) => v / RANKS), `${where} DDP-averaged gradient of parameter ${p}`));
      ddpStep.buffers.forEach((b, i) => expectClose(b, ddpStep.expectedBuffers[i], `${where} buffer ${i}`));
    }
  });

  it('allReduceArraySync and allGatherArraySync block until every rank has joined and give every rank the result', async () => {
    for (const report of await reports) {
      expect(report.sum).toEqual([1 + 2, 0 + 10]);
      expect(report.mean).toEqual([1.5, 0.5]);
      expect(report.gathered).toEqual([0, 0.5, 1, 1.5]);
    }
  });
});
