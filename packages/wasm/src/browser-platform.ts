import { WORKER_BODY, type PoolWorker, type WasmBinaryName, type WasmPlatform, type WorkerInit } from './platform.js';

// A module worker that waits for its WorkerInit.
const WORKER_SOURCE = `
self.onmessage = (event) => {
  const init = event.data;
  const ready = () => self.postMessage('ready');
  ${WORKER_BODY}
};`;

interface BrowserGlobals {
  readonly crossOriginIsolated?: boolean;
  readonly navigator?: { readonly hardwareConcurrency?: number };
  readonly Worker?: new (url: string | URL, options?: { type?: string; name?: string }) => {
    postMessage(message: unknown): void;
    terminate(): void;
    onmessage: ((event: { data: unknown }) => void) | null;
    onerror: ((event: unknown) => void) | null;
  };
  readonly Blob?: new (parts: string[], options: { type: string }) => object;
  readonly URL: { createObjectURL?(blob: object): string };
}

const globals = globalThis as unknown as BrowserGlobals;

function startWorker(init: WorkerInit): Promise<PoolWorker> {
  const WorkerClass = globals.Worker;
  const BlobClass = globals.Blob;
  const createUrl = globals.URL.createObjectURL;
  if (!WorkerClass || !BlobClass || !createUrl) return Promise.reject(new Error('wasm: no Worker in this environment'));
  const url = createUrl(new BlobClass([WORKER_SOURCE], { type: 'text/javascript' }));
  return new Promise((resolve, reject) => {
    const worker = new WorkerClass(url, { name: `fathom-wasm-${init.thread}` });
    let exit: () => void = () => {};
    const exited = new Promise<void>((done) => (exit = done));
    worker.onerror = (event) => {
      exit();
      reject(new Error(`wasm worker ${init.thread} failed to start: ${String((event as { message?: string }).message ?? event)}`));
    };
    worker.onmessage = () => {
      worker.onerror = null;
      resolve({
        exited,
        terminate: () => {
          worker.terminate();
          exit();
        },
      });
    };
    worker.postMessage(init);
  });
}

/**
 * Where each binary lies: beside this module in dist/, where
 * scripts/build-wasm.mjs puts them. One literal `new URL('./x.wasm',
 * import.meta.url)` per binary, because bundlers (Vite, webpack 5, Parcel,
 * esbuild with a meta-url plugin) copy an asset and rewrite its URL only when
 * the whole specifier is a string literal: a template such as
 * `` `../dist/${name}` `` is invisible to them, and the bundle then fetched a
 * file it had not carried. Only the built dist/ is a browser entry (src/ holds
 * no .wasm).
 */
export function binaryUrl(name: WasmBinaryName): URL {
  switch (name) {
    case 'fathom.wasm':
      return new URL('./fathom.wasm', import.meta.url);
    case 'fathom-threads.wasm':
      return new URL('./fathom-threads.wasm', import.meta.url);
  }
}

/**
 * Browsers: the binaries fetched from {@link binaryUrl} (beside the module, or
 * wherever the bundler copied them); threads only on cross-origin-isolated
 * pages, where SharedArrayBuffer exists.
 */
export const browserPlatform: WasmPlatform = {
  async compile(name: WasmBinaryName): Promise<WebAssembly.Module> {
    const url = binaryUrl(name);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`@fathom/wasm: fetching ${url.href} failed (${response.status})`);
    return WebAssembly.compile(await response.arrayBuffer());
  },
  cores: () => globals.navigator?.hardwareConcurrency ?? 1,
  // Inside a worker the backend may block; on the page's main thread Atomics.wait throws.
  mainThreadMayWait: typeof (globalThis as { document?: unknown }).document === 'undefined',
  startWorker: globals.crossOriginIsolated ? startWorker : undefined,
};
