import { DeviceError, DTypeError, ValueError, type Backend, type BackendMemoryStats, type DType, type TypedArray } from '@fathom/core';
import { BACKEND_API_VERSION, describeMemoryHolders, formatBytes, type BackendBuffer, type Kernels } from '@fathom/core/backend';
import { Heap, type HeapStats } from './heap.js';
import { KernelRunner, type BufferResolver, type WasmBuffer } from './kernel-runner.js';
import { batchNormKernels } from './kernels/batch-norm.js';
import { conv2dKernels } from './kernels/conv2d.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { indexingKernels } from './kernels/indexing.js';
import { matmulKernels } from './kernels/matmul.js';
import { pool2dKernels } from './kernels/pool2d.js';
import { randomKernels } from './kernels/random.js';
import { reduceKernels } from './kernels/reduce.js';
import { WASM_DTYPES, type WasmDType } from './abi.js';
import type { PoolWorker, WasmPlatform } from './platform.js';
import type { FathomExports } from './wasm-exports.js';

const CACHE_LINE = 64;

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Threads that run the kernels, the calling one included (default: the
   * number of cores). Values above 1 need shared memory and workers (Node's
   * worker_threads; a cross-origin-isolated page); where they are missing the
   * backend runs on one thread.
   */
  readonly threads?: number;
  /** The most the WebAssembly memory may grow to, in bytes (default and upper bound 4 GiB, the wasm32 limit). */
  readonly maxMemoryBytes?: number;
}

/** A {@link Backend} on WebAssembly, with what it adds. */
export interface WasmBackend extends Backend {
  /** Threads the kernels run on (1 when threads are unavailable). */
  readonly threads: number;
  /** The allocator's view of the WebAssembly memory: live and cached blocks, scratch, memory size. */
  heapStats(): WasmHeapStats;
  /** Row-major `c = a·b` for `m×k` and `k×n` float32 buffers, bypassing core: for benchmarks of the SGEMM alone. */
  sgemm(m: number, n: number, k: number, a: BackendBuffer, b: BackendBuffer, c: BackendBuffer): void;
}

/** {@link HeapStats} plus the kernels' grow-only scratch block. */
export interface WasmHeapStats extends HeapStats {
  readonly scratchBytes: number;
}

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB: wasm32 addresses are 32-bit
const INITIAL_PAGES = 32; // the binaries declare 2 MiB (data, 1 MiB stack)
const PARAM_BYTES = 49152; // 32 KiB of int32 arguments, 16 KiB of doubles
const WORKER_STACK_BYTES = 1 << 20;
const MAX_THREADS = 64;
const MAX_ELEMENTS = 2 ** 31 - 1;
const BYTES: Readonly<Record<WasmDType, number>> = { float32: 4, int32: 4, bool: 1 };

function threadCount(requested: number | undefined, platform: WasmPlatform): number {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new ValueError(`wasm: threads must be a positive integer, got ${requested}`);
  }
  const wanted = Math.min(requested ?? platform.cores(), MAX_THREADS);
  const sharedMemory = typeof SharedArrayBuffer !== 'undefined';
  return wanted > 1 && sharedMemory && platform.startWorker ? wanted : 1;
}

/**
 * Creates the WebAssembly backend on `platform`: compiles the binary,
 * creates the memory (shared when threads > 1), starts the workers.
 * `createWasmBackend` from the package entry points picks the platform.
 */
export async function createWasmBackendOn(platform: WasmPlatform, options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const threads = threadCount(options.threads, platform);
  const maxBytes = options.maxMemoryBytes ?? MAX_PAGES * PAGE;
  if (!(maxBytes >= INITIAL_PAGES * PAGE)) throw new ValueError(`wasm: maxMemoryBytes must be at least ${INITIAL_PAGES * PAGE}, got ${maxBytes}`);
  const maxPages = Math.min(MAX_PAGES, Math.floor(maxBytes / PAGE));
  const module = await platform.compile(threads > 1 ? 'fathom-threads.wasm' : 'fathom.wasm');
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: maxPages, shared: threads > 1 });

  let heap: Heap | undefined;
  let scratchAddress = 0;
  let scratchBlock = 0;
  let scratchBytes = 0;
  const outOfMemory = (bytes: number, what: string): DeviceError => {
    const stats = heap?.stats();
    const limit = maxPages === MAX_PAGES ? '4 GiB, the wasm32 limit' : `${formatBytes(maxPages * PAGE)} (maxMemoryBytes)`;
    return new DeviceError(
      `wasm: cannot allocate ${formatBytes(bytes)} for ${what}: the WebAssembly memory cannot grow past ${limit}` +
        (stats ? `; ${formatBytes(stats.liveBytes)} are in use in ${stats.liveBlocks} blocks` : '') +
        `; ${describeMemoryHolders('wasm')}. Release tensors sooner (scope(), dispose()) or use smaller batches.`,
    );
  };
  // The kernels' grow-only scratch (GEMM packing panels, im2col columns), on a
  // cache line: kernels carve it into per-thread regions of whole lines (csrc/fathom.h).
  const scratch = (requested: number): number => {
    const bytes = requested >>> 0;
    if (bytes <= scratchBytes) return scratchAddress;
    const live = heap as Heap;
    if (scratchBytes > 0) live.release(scratchBlock, runner.called);
    scratchBytes = 0;
    // Asked for by a queued kernel, while later kernels may still read blocks released since.
    const blockBytes = bytes + CACHE_LINE;
    const address = runner.queued ? live.allocateFresh(blockBytes) : live.allocate(blockBytes);
    if (address === undefined) throw outOfMemory(bytes, 'kernel scratch space');
    scratchBlock = address;
    scratchAddress = Math.ceil(address / CACHE_LINE) * CACHE_LINE;
    scratchBytes = (live.sizeOf(address) ?? blockBytes) - (scratchAddress - address);
    return scratchAddress;
  };
  const instance = await WebAssembly.instantiate(module, { env: { memory, fathom_scratch: scratch } });
  const exports = instance.exports as unknown as FathomExports;
  heap = new Heap(
    {
      size: () => memory.buffer.byteLength,
      grow(pages) {
        if (memory.buffer.byteLength / PAGE + pages > maxPages) return false;
        try {
          memory.grow(pages);
          return true;
        } catch {
          return false;
        }
      },
    },
    exports.__heap_base.value as number,
  );
  const liveHeap = heap;
  const permanent = (bytes: number, what: string): number => {
    const address = liveHeap.allocate(bytes);
    if (address === undefined) throw outOfMemory(bytes, what);
    return address;
  };

  const owner = {};
  let buffers = 0;
  let bytesInBuffers = 0;
  let destroyed = false;
  const own = (buffer: BackendBuffer, op: string): WasmBuffer => {
    const wasmBuffer = buffer as WasmBuffer;
    if (wasmBuffer.owner !== owner) throw new DeviceError(`wasm.${op}: the buffer belongs to another device or backend instance`);
    if (wasmBuffer.released) throw new DeviceError(`wasm.${op}: the buffer was already released`);
    return wasmBuffer;
  };
  const resolver: BufferResolver = {
    addressOf(buffer, op) {
      const live = own(buffer, op);
      if (live.zeroPending) {
        runner.zero(live, live.length * BYTES[live.dtype as WasmDType]);
        live.zeroPending = false;
      }
      return live.address;
    },
    outputAddressOf: (buffer, op) => own(buffer, op).address,
    written(buffer) {
      (buffer as WasmBuffer).zeroPending = false;
    },
    zeroPending: (buffer) => (buffer as WasmBuffer).zeroPending,
    zeroWhole(buffer, op) {
      own(buffer, op).zeroPending = true;
    },
  };
  const params = permanent(PARAM_BYTES, 'kernel arguments');
  const runner = new KernelRunner(exports, memory, resolver, params, 8192, params + 32768, 2048);

  const workers: PoolWorker[] = [];
  if (threads > 1) {
    const start = platform.startWorker as NonNullable<WasmPlatform['startWorker']>;
    // Worker 1 runs the kernel queue (csrc/queue.c) when it sees it on at its start.
    runner.startQueue();
    try {
      for (let thread = 1; thread < threads; thread++) {
        const stack = permanent(WORKER_STACK_BYTES, 'a worker stack');
        workers.push(await start({ module, memory, stackTop: stack + WORKER_STACK_BYTES, thread }));
      }
    } catch (error) {
      runner.stopQueue();
      exports.fathom_threads_quit();
      for (const worker of workers) worker.terminate();
      throw error;
    }
    exports.fathom_set_threads(threads, platform.mainThreadMayWait ? 1 : 0);
  }

  const kernels: Kernels = {
    ...elementwiseKernels(runner),
    ...reduceKernels(runner),
    ...matmulKernels(runner),
    ...conv2dKernels(runner),
    ...pool2dKernels(runner),
    ...indexingKernels(runner),
    ...randomKernels(runner),
    ...batchNormKernels(runner),
  };

  const viewAt = (buffer: BackendBuffer, address: number): TypedArray => {
    switch (buffer.dtype) {
      case 'float32': return new Float32Array(memory.buffer, address, buffer.length);
      case 'int32': return new Int32Array(memory.buffer, address, buffer.length);
      default: return new Uint8Array(memory.buffer, address, buffer.length);
    }
  };
  // A copy of the elements; a buffer still owed its zeros is not cleared just to be read.
  const readCopy = (buffer: BackendBuffer, op: string): TypedArray => {
    const live = own(buffer, op);
    if (!live.zeroPending) {
      runner.waitFor(live, op);
      return viewAt(buffer, live.address).slice();
    }
    switch (buffer.dtype) {
      case 'float32': return new Float32Array(buffer.length);
      case 'int32': return new Int32Array(buffer.length);
      default: return new Uint8Array(buffer.length);
    }
  };

  const backend: WasmBackend = {
    name: 'wasm',
    apiVersion: BACKEND_API_VERSION,
    capabilities: { dtypes: WASM_DTYPES, maxBufferElements: MAX_ELEMENTS, syncRead: true },
    kernels,
    threads,
    allocate(dtype: DType, length: number): BackendBuffer {
      if (destroyed) throw new DeviceError('wasm: the backend was destroyed; create a new one');
      const size = BYTES[dtype as WasmDType];
      if (size === undefined) throw new DTypeError(`wasm: dtype ${dtype} is not supported (supported: ${WASM_DTYPES.join(', ')})`);
      if (!Number.isInteger(length) || length < 0 || length > MAX_ELEMENTS) {
        throw new ValueError(`wasm: cannot allocate ${length} elements of ${dtype}`);
      }
      const bytes = length * size;
      const address = liveHeap.allocate(bytes);
      if (address === undefined) throw outOfMemory(bytes, `${length} ${dtype} elements`);
      buffers++;
      bytesInBuffers += bytes;
      // A reused block is cleared only if something reads the buffer before a kernel overwrites it.
      const buffer: WasmBuffer = {
        dtype, length, address, owner, released: false, zeroPending: !liveHeap.lastWasPristine, lastWriter: 0, lastUser: 0,
        reusableAfter: liveHeap.lastReusableAfter,
      };
      return buffer;
    },
    upload(buffer: BackendBuffer, values: TypedArray): void {
      // Queued kernels may still read or write the block, as this buffer or as one released before.
      runner.waitToWrite(own(buffer, 'upload'), 'upload');
      const target = viewAt(buffer, resolver.outputAddressOf(buffer, 'upload'));
      if (values.length !== target.length) {
        throw new ValueError(`wasm.upload: ${values.length} values for a buffer of ${target.length} ${buffer.dtype} elements`);
      }
      if (buffer.dtype === 'bool') for (let i = 0; i < values.length; i++) target[i] = values[i] !== 0 ? 1 : 0;
      else target.set(values);
      resolver.written(buffer);
    },
    async read(buffer: BackendBuffer): Promise<TypedArray> {
      return readCopy(buffer, 'read');
    },
    readSync(buffer: BackendBuffer): TypedArray {
      return readCopy(buffer, 'readSync');
    },
    release(buffer: BackendBuffer): void {
      const live = own(buffer, 'release');
      live.released = true;
      liveHeap.release(live.address, runner.called);
      buffers--;
      bytesInBuffers -= buffer.length * BYTES[buffer.dtype as WasmDType];
    },
    timeKernelsOnHost(on: boolean): void {
      // Else the first kernel timed would wait for every kernel queued before the profile.
      if (on) runner.settle('profile');
      runner.waitForEach(on);
    },
    flush(): void {},
    async sync(): Promise<void> {
      runner.drain('sync');
    },
    memory: (): BackendMemoryStats => ({ buffers, bytes: bytesInBuffers }),
    heapStats: (): WasmHeapStats => ({ ...liveHeap.stats(), scratchBytes }),
    sgemm(m, n, k, a, b, c): void {
      for (const [buffer, size] of [[a, m * k], [b, k * n], [c, m * n]] as const) {
        if (buffer.dtype !== 'float32' || buffer.length < size) throw new ValueError('wasm.sgemm: needs float32 buffers of m·k, k·n and m·n elements');
      }
      runner.sgemm(m, n, k, resolver.addressOf(a, 'sgemm'), resolver.addressOf(b, 'sgemm'), resolver.addressOf(c, 'sgemm'));
    },
    async destroy(): Promise<void> {
      if (destroyed) return;
      destroyed = true;
      if (workers.length === 0) return;
      try {
        runner.drain('destroy');
      } finally {
        // Kernels on tensors that outlive the backend then run on the calling thread instead of waiting for workers that left.
        runner.stopQueue();
      }
      exports.fathom_threads_quit();
      // Workers leave their loop by themselves; one that does not within a second is stopped.
      await Promise.all(
        workers.map((worker) => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const deadline = new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              worker.terminate();
              resolve();
            }, 1000);
          });
          return Promise.race([worker.exited, deadline]).finally(() => clearTimeout(timer));
        }),
      );
    },
  };
  return backend;
}
