import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFathomError, tensor } from '@fathom/core';
import { DistributedError, init } from '../src/index.js';
import { describeRun, mpirun, mpirunMissing, RANKS } from './mpirun.js';

// What mpirun puts in a rank's environment, for init to believe it was launched.
const LAUNCHED_AS_RANK_0_OF_2 = { OMPI_COMM_WORLD_RANK: '0', OMPI_COMM_WORLD_SIZE: '2' };

interface InitOutcome {
  error: null | { message: string; name: string; distributed: boolean; deviceError: boolean; rank: number | null };
}

/** Runs test/ranks/init-error.mjs as a plain process (no mpirun) with `env` added. */
function initIn(env: Record<string, string>): InitOutcome {
  const child = spawnSync(process.execPath, [join(RANKS, 'init-error.mjs')], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as InitOutcome;
}

describe('init without mpirun', () => {
  it('gives a world of one process that needs no MPI, whose collectives leave values as they are', async () => {
    const group = await init({ env: {} });
    expect([group.rank, group.worldSize]).toEqual([0, 1]);
    expect(group.transport).toMatch(/single process/);
    const t = tensor([1.5, -2, 3]);
    await group.allReduce(t, { op: 'mean' });
    await group.broadcast(t);
    expect(Array.from(await t.data())).toEqual([1.5, -2, 3]);
    const gathered = await group.allGather(t);
    expect(gathered).toHaveLength(1);
    expect(gathered[0]).not.toBe(t);
    expect(Array.from(await gathered[0].data())).toEqual([1.5, -2, 3]);
    await group.barrier();
    await group.destroy();
    await expect(group.allReduce(t)).rejects.toThrow(/destroyed/);
  });

  it('refuses a world of several processes with an error that says to start the job with mpirun and names the Debian packages', async () => {
    const error = await init({ worldSize: 2, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DistributedError);
    expect(isFathomError(error, 'DeviceError')).toBe(true);
    expect((error as Error).message).toMatch(/asked for 2 processes.*not started by mpirun.*mpirun -np 2.*openmpi-bin/);
  });

  it('refuses a world size that differs from what the launcher started', async () => {
    await expect(init({ worldSize: 3, env: LAUNCHED_AS_RANK_0_OF_2 })).rejects.toThrow(/asked for 3 processes, but the launcher started 2/);
  });

  it('says so when the library it finds is not Open MPI', () => {
    const { error } = initIn({ ...LAUNCHED_AS_RANK_0_OF_2, FATHOM_MPI_LIBRARY: 'libc.so.6' });
    expect(error?.distributed).toBe(true);
    expect(error?.message).toMatch(/libc\.so\.6 has no symbol ompi_mpi_comm_world, so it is not Open MPI/);
  });
});

const missing = mpirunMissing();

describe.skipIf(missing !== null)('init under mpirun when the MPI library is missing', () => {
  it('fails on every rank with a typed error naming the library it tried and the Debian packages to install', async () => {
    // Rank scripts print their outcome; both must report the same clear error, and the job must end.
    const result = await mpirun('init-error.mjs', [], { env: { FATHOM_MPI_LIBRARY: '/nonexistent/libmpi.so.40' } });
    expect(result.code, describeRun(result)).toBe(0);
    const outcomes = result.stdout.trim().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as InitOutcome);
    expect(outcomes).toHaveLength(2);
    for (const { error } of outcomes) {
      expect(error).toMatchObject({ distributed: true, deviceError: true, name: 'DistributedError' });
      expect(error!.message).toMatch(/cannot load the MPI library \(\/nonexistent\/libmpi\.so\.40: .*\).*apt-get install openmpi-bin libopenmpi-dev/);
    }
  });
});
