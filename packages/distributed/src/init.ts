import { ValueError } from '@fathom/core';
import { DistributedError } from './distributed-error.js';
import { readLaunchEnvironment } from './launch-environment.js';
import { MpiCommunicator } from './mpi-communicator.js';
import { DEBIAN_PACKAGES_HINT } from './mpi-library.js';
import { ProcessGroup } from './process-group.js';
import { SingleProcessCommunicator } from './single-process-communicator.js';

/** Options of {@link init}. */
export interface InitOptions {
  /**
   * How many processes the job must have. Default: whatever the launcher
   * started (1 without one). Giving it makes a mismatch an error instead of
   * a silent single-process run: `worldSize: 2` without `mpirun` throws.
   */
  readonly worldSize?: number;
  /** Where to read the launcher's variables (default `process.env`); for tests. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Joins the data-parallel job this process belongs to
 * (`torch.distributed.init_process_group`).
 *
 * - Started by `mpirun -np N` (Open MPI): loads `libmpi`, calls `MPI_Init`
 *   and returns the group of N ranks; the rank and size come from mpirun.
 * - Started without a launcher: a group of one process that needs no MPI
 *   library, so the same script runs as a plain `node train.js`.
 *
 * Throws {@link DistributedError} when the MPI library cannot be loaded
 * (naming the Debian packages to install), or when `worldSize` asks for more
 * than one process and no launcher started this one.
 *
 * ```ts
 * const group = await init();
 * console.log(`rank ${group.rank} of ${group.worldSize}`);
 * ```
 */
export async function init(options: InitOptions = {}): Promise<ProcessGroup> {
  const { worldSize } = options;
  if (worldSize !== undefined && (!Number.isSafeInteger(worldSize) || worldSize < 1)) {
    throw new ValueError(`init: worldSize must be an integer ≥ 1, got ${worldSize}`);
  }
  const launched = readLaunchEnvironment(options.env);
  if (launched === null) {
    if (worldSize !== undefined && worldSize > 1) {
      throw new DistributedError(
        `init: asked for ${worldSize} processes, but this one was not started by mpirun (no OMPI_COMM_WORLD_SIZE or PMI_SIZE in its environment); ` +
        `start the job with \`mpirun -np ${worldSize} node <script>\` (mpirun: ${DEBIAN_PACKAGES_HINT})`,
      );
    }
    return new ProcessGroup(new SingleProcessCommunicator());
  }
  if (worldSize !== undefined && worldSize !== launched.worldSize) {
    throw new DistributedError(`init: asked for ${worldSize} processes, but the launcher started ${launched.worldSize}`, launched.rank);
  }
  const communicator = await MpiCommunicator.create();
  if (communicator.rank !== launched.rank || communicator.size !== launched.worldSize) {
    throw new DistributedError(
      `init: MPI says rank ${communicator.rank} of ${communicator.size}, the launcher's environment says rank ${launched.rank} of ${launched.worldSize}; was this process started by another MPI's launcher?`,
      communicator.rank,
    );
  }
  return new ProcessGroup(communicator);
}
