/**
 * The rank and world size a launcher gave this process, read from its
 * environment, or null when no launcher started it.
 */
export interface LaunchEnvironment {
  /** This process's rank in `0 … worldSize − 1`. */
  readonly rank: number;
  /** How many processes the launcher started. */
  readonly worldSize: number;
  /** Which launcher's variables were found. */
  readonly launcher: 'openmpi' | 'pmi';
}

// Open MPI's mpirun sets OMPI_COMM_WORLD_*; MPICH/Hydra and Slurm's PMI set PMI_*.
// Reading them before MPI_Init lets a plain `node train.js` (no launcher) run as
// world size 1 without loading MPI at all.
const LAUNCHERS = [
  { launcher: 'openmpi', rank: 'OMPI_COMM_WORLD_RANK', size: 'OMPI_COMM_WORLD_SIZE' },
  { launcher: 'pmi', rank: 'PMI_RANK', size: 'PMI_SIZE' },
] as const;

/** The launcher's rank and world size in `env` (default `process.env`), or null when none set them. */
export function readLaunchEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): LaunchEnvironment | null {
  for (const { launcher, rank, size } of LAUNCHERS) {
    const rankText = env[rank];
    const sizeText = env[size];
    if (rankText === undefined || sizeText === undefined) continue;
    const parsedRank = Number(rankText);
    const parsedSize = Number(sizeText);
    if (Number.isSafeInteger(parsedRank) && Number.isSafeInteger(parsedSize) && parsedSize >= 1 && parsedRank >= 0 && parsedRank < parsedSize) {
      return { rank: parsedRank, worldSize: parsedSize, launcher };
    }
  }
  return null;
}
