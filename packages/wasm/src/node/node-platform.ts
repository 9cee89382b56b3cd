import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { WORKER_BODY, type PoolWorker, type WasmBinaryName, type WasmPlatform, type WorkerInit } from '../platform.js';

// worker_threads evaluates this as CommonJS, or as an ES module when the
// process runs with --input-type=module (workers inherit execArgv): a dynamic
// import works in both. workerData carries the module and the shared memory.
const WORKER_SOURCE = `
import('node:worker_threads').then(({ workerData, parentPort }) => {
  const init = workerData;
  const ready = () => parentPort.postMessage('ready');
  ${WORKER_BODY}
});`;

function startWorker(init: WorkerInit): Promise<PoolWorker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: init, name: `fathom-wasm-${init.thread}` });
    const exited = new Promise<void>((done) => worker.once('exit', () => done()));
    const fail = (error: unknown): void => reject(error instanceof Error ? error : new Error(`wasm worker ${init.thread} exited before starting`));
    worker.once('error', fail);
    worker.once('exit', fail);
    worker.once('message', () => {
      worker.off('error', fail);
      worker.off('exit', fail);
      // A trap in a kernel reaches the calling thread through the memory
      // (fathom_worker_failed) and is thrown there as a DeviceError; unheard,
      // the worker's error event would end the process.
      worker.on('error', () => {});
      // Pool workers block in Atomics.wait between jobs: never let them keep the process alive.
      worker.unref();
      resolve({ exited, terminate: () => void worker.terminate() });
    });
  });
}

/** Node: the binaries from the package's dist/, threads from worker_threads. */
export const nodePlatform: WasmPlatform = {
  async compile(name: WasmBinaryName): Promise<WebAssembly.Module> {
    // From src/node/ (tests) and from dist/node/ (the published build) alike, ../../dist is the package's dist.
    const url = new URL(`../../dist/${name}`, import.meta.url);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = (await readFile(url)) as Uint8Array<ArrayBuffer>;
    } catch (error) {
      throw new Error(`@fathom/wasm: cannot read ${url.pathname} (${(error as Error).message}); build the package (pnpm --filter @fathom/wasm build)`);
    }
    return WebAssembly.compile(bytes);
  },
  cores: () => availableParallelism(),
  mainThreadMayWait: true,
  startWorker,
};
