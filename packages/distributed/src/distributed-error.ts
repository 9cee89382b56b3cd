import { DeviceError } from '@fathom/core';

/**
 * What `@fathom/distributed` throws when the process group cannot start or a
 * collective fails: no MPI library, several ranks asked for without `mpirun`,
 * an MPI call that returned an error, a group used after `destroy()`.
 *
 * It is a core {@link DeviceError} (kind `'DeviceError'`, recognised across two
 * copies of core by `isFathomError(e, 'DeviceError')`): the communicator is the
 * device a data-parallel step runs across, and core's error kinds are a closed
 * set. `rank` is the rank that raised it, when the group knows it.
 */
export class DistributedError extends DeviceError {
  /** The rank (in the world group) on which the error happened, when known. */
  readonly rank: number | undefined;
  constructor(message: string, rank?: number) {
    super(message);
    this.rank = rank;
    this.name = 'DistributedError';
  }
}
