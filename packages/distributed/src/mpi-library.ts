import { DistributedError } from './distributed-error.js';

/** A pointer as koffi passes it: a BigInt address, or a typed array whose memory is passed in place. */
type Pointer = bigint | ArrayBufferView | null;

/** A C function bound by koffi, called synchronously (on the MPI thread). */
type BoundFunction<Args extends unknown[]> = (...args: Args) => number;

/**
 * The Open MPI entry points `@fathom/distributed` uses, bound through koffi,
 * and the handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`…). In Open MPI the
 * handles are the addresses of exported globals (`&ompi_mpi_comm_world`), not
 * the integer constants of MPICH, so they are looked up as symbols.
 */
export interface MpiLibrary {
  /** The file that was loaded. */
  readonly path: string;
  readonly initialized: BoundFunction<[flag: number[]]>;
  readonly finalized: BoundFunction<[flag: number[]]>;
  readonly initThread: BoundFunction<[argc: null, argv: null, required: number, provided: number[]]>;
  readonly finalize: BoundFunction<[]>;
  readonly commRank: BoundFunction<[comm: bigint, rank: number[]]>;
  readonly commSize: BoundFunction<[comm: bigint, size: number[]]>;
  readonly commSetErrhandler: BoundFunction<[comm: bigint, handler: bigint]>;
  readonly errorString: BoundFunction<[code: number, text: Uint8Array, length: number[]]>;
  readonly allreduce: BoundFunction<[send: Pointer, receive: Pointer, count: number, datatype: bigint, op: bigint, comm: bigint]>;
  readonly bcast: BoundFunction<[buffer: Pointer, count: number, datatype: bigint, root: number, comm: bigint]>;
  readonly allgather: BoundFunction<[send: Pointer, sendCount: number, sendType: bigint, receive: Pointer, receiveCount: number, receiveType: bigint, comm: bigint]>;
  readonly barrier: BoundFunction<[comm: bigint]>;
  readonly handles: {
    readonly commWorld: bigint;
    readonly float: bigint;
    readonly double: bigint;
    readonly int: bigint;
    readonly sum: bigint;
    readonly max: bigint;
    readonly min: bigint;
    readonly errorsReturn: bigint;
  };
}

/** `MPI_IN_PLACE` in Open MPI's mpi.h: `((void *) 1)`. */
export const MPI_IN_PLACE = 1n;
/** `MPI_SUCCESS`. */
export const MPI_SUCCESS = 0;
/** `MPI_MAX_ERROR_STRING` in Open MPI's mpi.h. */
export const MPI_MAX_ERROR_STRING = 256;

/** What to install on Debian/Ubuntu when the library is missing. */
export const DEBIAN_PACKAGES_HINT = 'install Open MPI: `apt-get install openmpi-bin libopenmpi-dev` on Debian/Ubuntu (the runtime library alone is libopenmpi3)';

// The soname first (what the runtime package ships), then the development link.
const CANDIDATES = ['libmpi.so.40', 'libmpi.so'];

let loaded: Promise<MpiLibrary> | null = null;

/**
 * Loads Open MPI's C library (once per process). `FATHOM_MPI_LIBRARY` names
 * another file to load instead. Throws {@link DistributedError} naming the
 * Debian packages when koffi or the library cannot be loaded, or when the
 * library is not Open MPI.
 */
export function loadMpiLibrary(env: Readonly<Record<string, string | undefined>> = process.env): Promise<MpiLibrary> {
  // A failure is not remembered: the next call tries again (after an install, or with another FATHOM_MPI_LIBRARY).
  loaded ??= bindMpiLibrary(env).catch((error: unknown) => {
    loaded = null;
    throw error;
  });
  return loaded;
}

async function bindMpiLibrary(env: Readonly<Record<string, string | undefined>>): Promise<MpiLibrary> {
  let koffi: (typeof import('koffi'))['default'];
  try {
    // Loaded on first use, not on import: a single-process run, or a browser
    // bundle that only wants DistributedSampler, never needs the native addon.
    koffi = (await import('koffi')).default;
  } catch (error) {
    throw new DistributedError(`distributed: cannot load koffi, the FFI used to call MPI (${(error as Error).message}); reinstall @fathom/distributed's dependencies`);
  }
  const candidates = env.FATHOM_MPI_LIBRARY ? [env.FATHOM_MPI_LIBRARY] : CANDIDATES;
  let library: ReturnType<typeof koffi.load> | null = null;
  let path = '';
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      library = koffi.load(candidate);
      path = candidate;
      break;
    } catch (error) {
      failures.push(`${candidate}: ${(error as Error).message}`);
    }
  }
  if (library === null) {
    throw new DistributedError(`distributed: cannot load the MPI library (${failures.join('; ')}); ${DEBIAN_PACKAGES_HINT}`);
  }
  const symbol = (name: string): bigint => {
    try {
      return library.symbol(name) as bigint;
    } catch {
      throw new DistributedError(
        `distributed: ${path} has no symbol ${name}, so it is not Open MPI (MPICH and its derivatives use integer handles, which this package does not bind); ${DEBIAN_PACKAGES_HINT}`,
      );
    }
  };
  const handles = {
    commWorld: symbol('ompi_mpi_comm_world'),
    float: symbol('ompi_mpi_float'),
    double: symbol('ompi_mpi_double'),
    int: symbol('ompi_mpi_int'),
    sum: symbol('ompi_mpi_op_sum'),
    max: symbol('ompi_mpi_op_max'),
    min: symbol('ompi_mpi_op_min'),
    errorsReturn: symbol('ompi_mpi_errors_return'),
  };
  // Every handle is a pointer (MPI_Comm, MPI_Datatype, MPI_Op are pointers to structs in Open MPI).
  const bind = <Args extends unknown[]>(declaration: string) => library.func(declaration) as unknown as BoundFunction<Args>;
  return {
    path,
    initialized: bind('int MPI_Initialized(_Out_ int *flag)'),
    finalized: bind('int MPI_Finalized(_Out_ int *flag)'),
    initThread: bind('int MPI_Init_thread(void *argc, void *argv, int required, _Out_ int *provided)'),
    finalize: bind('int MPI_Finalize()'),
    commRank: bind('int MPI_Comm_rank(void *comm, _Out_ int *rank)'),
    commSize: bind('int MPI_Comm_size(void *comm, _Out_ int *size)'),
    commSetErrhandler: bind('int MPI_Comm_set_errhandler(void *comm, void *handler)'),
    errorString: bind('int MPI_Error_string(int code, _Out_ uint8_t *text, _Out_ int *length)'),
    allreduce: bind('int MPI_Allreduce(void *send, void *receive, int count, void *datatype, void *op, void *comm)'),
    bcast: bind('int MPI_Bcast(void *buffer, int count, void *datatype, int root, void *comm)'),
    allgather: bind('int MPI_Allgather(void *send, int sendCount, void *sendType, void *receive, int receiveCount, void *receiveType, void *comm)'),
    barrier: bind('int MPI_Barrier(void *comm)'),
    handles,
  };
}
