import { describe, expect, it } from 'vitest';
import { describeRun, mpirun, mpirunMissing } from './mpirun.js';

// The bound: the surviving ranks stop within 30 s, never hang. The
// test's own deadline is larger, so a hang shows as `timedOut`, not as a
// vitest timeout.
const BOUND_MS = 30_000;
const missing = mpirunMissing();

describe.skipIf(missing !== null)('a rank that dies stops the job, naming the rank', () => {
  it.each([
    ['throws an uncaught error', 'throw', /rank 1 of 2 is exiting \(code 1\) without destroy\(\)/],
    ['is killed with SIGKILL', 'kill', /process rank 1 with PID \d+ on node \S+ exited on signal 9/],
    ['exits with code 0 without destroy()', 'exit', /rank 1 of 2 is exiting \(code 0\) without destroy\(\)/],
    // Node would join the blocked MPI thread and hang; the exit guard ends the process instead.
    ['throws while its MPI thread waits in a collective', 'throw-waiting', /rank 1 fails on purpose[\s\S]*rank 1 of 2 is exiting \(code 1\) without destroy\(\)/],
    ['exits while its MPI thread waits in a collective', 'exit-waiting', /rank 1 of 2 is exiting \(code 0\) without destroy\(\)/],
    // Rank 0's main thread is blocked in Atomics.wait (SyncBatchNorm's blocking all-gather): mpirun's signal still ends it.
    ['throws while rank 0 waits in a SyncBatchNorm forward', 'throw-while-peer-syncs', /^(?=[\s\S]*rank 1 fails on purpose while rank 0 waits)(?=[\s\S]*rank 1 of 2 is exiting \(code 1\) without destroy\(\))/],
    ['is killed while rank 0 waits in a SyncBatchNorm forward', 'kill-while-peer-syncs', /process rank 1 with PID \d+ on node \S+ exited on signal 9/],
  ])('rank 1 %s in the middle of training: mpirun exits non-zero within 30 s and says which rank', async (_what, how, names) => {
    const result = await mpirun('fault.mjs', [how], { deadlineMs: BOUND_MS + 15_000 });
    expect(result.timedOut, describeRun(result)).toBe(false);
    expect(result.ms).toBeLessThan(BOUND_MS);
    expect(result.code, describeRun(result)).not.toBe(0);
    expect(result.stderr + result.stdout, describeRun(result)).toMatch(names);
    expect(result.stderr + result.stdout, describeRun(result)).not.toMatch(/forward returned although rank 1 never joined/);
  });
});
