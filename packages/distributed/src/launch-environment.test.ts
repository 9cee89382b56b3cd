import { describe, expect, it } from 'vitest';
import { readLaunchEnvironment } from './launch-environment.js';

describe('readLaunchEnvironment', () => {
  it("reads Open MPI's variables, then PMI's, and nothing without a launcher", () => {
    expect(readLaunchEnvironment({ OMPI_COMM_WORLD_RANK: '1', OMPI_COMM_WORLD_SIZE: '4' })).toEqual({ rank: 1, worldSize: 4, launcher: 'openmpi' });
    expect(readLaunchEnvironment({ PMI_RANK: '0', PMI_SIZE: '2' })).toEqual({ rank: 0, worldSize: 2, launcher: 'pmi' });
    expect(readLaunchEnvironment({})).toBeNull();
  });

  it('ignores values that are not a rank inside the world', () => {
    expect(readLaunchEnvironment({ OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '2' })).toBeNull();
    expect(readLaunchEnvironment({ OMPI_COMM_WORLD_RANK: 'x', OMPI_COMM_WORLD_SIZE: '2' })).toBeNull();
  });
});
