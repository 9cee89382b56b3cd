/** The two binaries the package ships (scripts/build-wasm.mjs). */
export type WasmBinaryName = 'fathom.wasm' | 'fathom-threads.wasm';

/** What a worker thread needs to join the pool. */
export interface WorkerInit {
  /** The compiled threads build. */
  readonly module: WebAssembly.Module;
  /** The shared memory every thread instantiates the module over. */
  readonly memory: WebAssembly.Memory;
  /** Top of this worker's own stack inside the memory. */
  readonly stackTop: number;
  /** Its index in the pool (1…threads−1; 0 is the thread that calls the kernels). */
  readonly thread: number;
}

/** A running worker. */
export interface PoolWorker {
  /** Resolves when the worker has exited. */
  readonly exited: Promise<void>;
  /** Stops it at once (used only when it does not leave by itself). */
  terminate(): void;
}

/** How the backend loads its binary and starts threads where it runs (Node or a browser). */
export interface WasmPlatform {
  /** Compiles one of the package's binaries. */
  compile(name: WasmBinaryName): Promise<WebAssembly.Module>;
  /** The default thread count: the number of cores. */
  cores(): number;
  /** Whether the thread that calls the kernels may block in `Atomics.wait` (Node: yes; a browser's main thread: no, it spins). */
  readonly mainThreadMayWait: boolean;
  /** Starts a worker running {@link WorkerInit.thread}'s loop; resolves once it runs. Absent where threads are unavailable. */
  readonly startWorker?: (init: WorkerInit) => Promise<PoolWorker>;
}

/**
 * The JavaScript every worker runs, given `init` ({@link WorkerInit}) and
 * `ready()` in scope: instantiate the module over the shared memory, move
 * the stack pointer to its own stack, then serve jobs until the pool quits.
 * A trap inside a task is reported through the memory (fathom_worker_failed),
 * because the calling thread spins inside wasm and cannot see worker events.
 * A string rather than a function, so each platform can wrap it in its own
 * worker bootstrap (worker_threads `eval`, a Blob URL in browsers).
 */
export const WORKER_BODY = `
const instance = new WebAssembly.Instance(init.module, {
  env: {
    memory: init.memory,
    fathom_scratch() { throw new Error('fathom_scratch called on a worker thread'); },
  },
});
const exports = instance.exports;
exports.__stack_pointer.value = init.stackTop;
ready();
try {
  exports.fathom_worker_main(init.thread);
} catch (error) {
  exports.fathom_worker_failed(init.thread);
  throw error;
}
`;
