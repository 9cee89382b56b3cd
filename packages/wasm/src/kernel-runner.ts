import { DeviceError, DTypeError, ValueError } from '@fathom/core';
import { coversBuffer, type BackendBuffer, type View } from '@fathom/core/backend';
import { ABI_ENUMS, DTYPE_BYTES, DTYPE_CODES, KERNEL_ARGUMENTS, KERNEL_CODES, KERNEL_STATUS, MAX_DIMS, QUEUE_CODES, type AbiEnumName, type ArgumentField, type KernelArguments, type WasmDType } from './abi.js';
import type { FathomExports, KernelName } from './wasm-exports.js';

export { MAX_DIMS } from './abi.js';

/** A buffer of the wasm backend: `length` elements at byte `address` of the linear memory. */
export interface WasmBuffer extends BackendBuffer {
  readonly address: number;
  /** The backend that owns it (a buffer of another backend or instance is refused). */
  readonly owner: object;
  released: boolean;
  /**
   * Its elements are all zero but its memory (a reused block) may not be:
   * cleared before anything reads it, never when a kernel overwrites it
   * whole first (most buffers are kernel outputs, so most are never cleared).
   */
  zeroPending: boolean;
  /** How many kernels had been enqueued when the last one that writes it was (0: none has); a read waits for it to run. */
  lastWriter: number;
  /** The same for the last kernel that reads or writes it; JavaScript's write into it waits for that one. */
  lastUser: number;
  /** How many kernels had been enqueued when its memory was last released before it got it: a write waits for them too. */
  readonly reusableAfter: number;
}

/** What the kernels need of the backend: addresses of live buffers. */
export interface BufferResolver {
  /** The byte address of `buffer`'s first element for a kernel that reads it (clears a pending zero first); throws for a released or foreign buffer. */
  addressOf(buffer: BackendBuffer, op: string): number;
  /** The same for a kernel that writes every element and reads none; the buffer's memory holds its values once {@link written} is called. */
  outputAddressOf(buffer: BackendBuffer, op: string): number;
  /** After a kernel that wrote all of `buffer` succeeded. */
  written(buffer: BackendBuffer): void;
  /** Whether every element of `buffer` is zero without its memory having been cleared. */
  zeroPending(buffer: BackendBuffer): boolean;
  /** Makes all of `buffer` zero (without touching its memory until something reads it). */
  zeroWhole(buffer: BackendBuffer, op: string): void;
}

/** Refuses anything but float32 for the float-only kernels (matmul, convolution, pooling, random). */
export function requireFloat32(op: string, ...dtypes: string[]): void {
  for (const dtype of dtypes) {
    if (dtype !== 'float32') throw new DTypeError(`wasm.${op}: only float32 is supported on device 'wasm', got ${dtype}`);
  }
}

/** The values of kernel `K`'s argument block (src/abi.ts), by field name. */
export type Arguments<K extends KernelName> = KernelArguments<K, BackendBuffer, View>;

// Kernels that may be waiting in the queue at once, at most (csrc/queue.c's
// ring holds 65,536 words and an argument block takes at least six).
const PENDING_NAMES = 16384;
// Words at the end of the int block kept for the queue's own entries.
const SIDE_WORDS = 8;

/**
 * Writes a kernel's arguments into the parameter block (a stream of int32
 * words and one of doubles) as KERNEL_ARGUMENTS in src/abi.ts lays them out,
 * which is also what the C side reads (csrc/abi.h is generated from it), and
 * calls the kernel, or, with the queue on (threads > 1), enqueues it for
 * worker 1 (csrc/queue.c) and returns at once. One runner per backend;
 * kernels run one at a time, in the order they were called.
 */
export class KernelRunner {
  private ints = new Int32Array(0);
  private floats = new Float64Array(0);
  private intCount = 0;
  private floatCount = 0;
  private viewBytes = -1;
  // Buffers the kernel being prepared writes whole (see output()).
  private readonly outputs: BackendBuffer[] = [];
  // Buffers it may write (outputs, output views, and buffers passed by address, which some kernels update in place).
  private readonly writes: BackendBuffer[] = [];
  // Buffers it only reads.
  private readonly reads: BackendBuffer[] = [];
  private queueing = false;
  // Each kernel is waited for at its call (while a profile records: its host time is then the kernel's).
  private waitEach = false;
  // The op of each kernel in the queue, by its number, for the error of one that refuses its arguments.
  private readonly pendingOps: string[] = new Array<string>(PENDING_NAMES);
  private enqueued = 0;
  // Once a worker died with kernels queued: how many had run; the outputs of the others are missing.
  private ranBeforeFailure = Infinity;
  private sideInts = new Int32Array(0);
  private readonly intCapacity: number;

  constructor(
    private readonly exports: FathomExports,
    private readonly memory: WebAssembly.Memory,
    private readonly resolver: BufferResolver,
    private readonly intsAddress: number,
    intWords: number,
    private readonly floatsAddress: number,
    private readonly floatCapacity: number,
  ) {
    this.intCapacity = intWords - SIDE_WORDS;
  }

  /**
   * Sends kernels through the queue from now on; worker 1 runs it from its
   * start, so this comes before the workers start (no kernel is called until
   * they have).
   */
  startQueue(): void {
    this.exports.fathom_queue_enable(1);
    this.queueing = true;
  }

  /** Runs kernels on the calling thread from now on (after {@link drain}, or when the queue failed). */
  stopQueue(): void {
    this.queueing = false;
    this.exports.fathom_queue_enable(0);
    this.exports.fathom_set_threads(1, 0);
  }

  /** Whether kernels go through the queue. */
  get queued(): boolean {
    return this.queueing;
  }

  /** Makes each kernel call return only once the kernel has run (see Backend.timeKernelsOnHost). */
  waitForEach(on: boolean): void {
    this.waitEach = on;
  }

  /**
   * Returns once every kernel called so far has run, so JavaScript may write
   * any memory; throws the error of a kernel that refused its arguments
   * since the last report, or a DeviceError when a worker died (the backend
   * then runs on one thread, without the queue).
   */
  drain(op: string): void {
    this.waitForKernels(this.enqueued, op);
  }

  /** How many kernels have been called: the number a buffer released now is reusable after (see WasmBuffer.reusableAfter). */
  get called(): number {
    return this.enqueued;
  }

  /**
   * Returns once no queued kernel reads or writes `buffer`'s memory (as this
   * buffer or as one released before it got the memory), so JavaScript may
   * write it; throws as {@link drain}.
   */
  waitToWrite(buffer: WasmBuffer, op: string): void {
    this.waitForKernels(Math.max(buffer.lastUser, buffer.reusableAfter), op);
  }

  /** Returns once the last kernel that writes `buffer` has run, so JavaScript may read it; throws as {@link drain}. */
  waitFor(buffer: BackendBuffer, op: string): void {
    const writer = (buffer as WasmBuffer).lastWriter;
    if (writer > this.ranBeforeFailure) {
      throw new DeviceError(`wasm.${op}: the kernel that computes this tensor was lost when a worker thread died; compute it again`);
    }
    this.waitForKernels(writer, op);
  }

  /**
   * Returns once every kernel called so far has run, leaving a refusal among
   * them for the next call or wait to report; after a worker died, reads of
   * the tensors it lost throw. For the profiler, whose first timed kernel
   * must not wait for the kernels called before the profile.
   */
  settle(op: string): void {
    this.wait(this.enqueued, op);
  }

  private waitForKernels(kernels: number, op: string): void {
    const status = this.wait(kernels, op);
    if (status === -1) throw new DeviceError(`wasm.${op}: a worker thread died while running a kernel; the backend now runs on one thread`);
    if (status !== KERNEL_STATUS.ok) this.reportRefusal(status);
  }

  // Waits for the first `kernels` kernels; returns the queue's status (−1: a worker died, and the queue is stopped).
  private wait(kernels: number, op: string): number {
    if (!this.queueing) return KERNEL_STATUS.ok;
    const status = this.trapping(op, () => this.exports.fathom_queue_wait(kernels >>> 0));
    if (status === -1) {
      this.ranBeforeFailure = this.exports.fathom_queue_kernels_run();
      this.stopQueue();
    }
    return status;
  }

  /** Clears the first `bytes` bytes of `buffer`'s memory, in order with the kernels. */
  zero(buffer: WasmBuffer, bytes: number): void {
    if (!this.queueing) {
      this.exports.fathom_zero(buffer.address, bytes);
      buffer.lastWriter = 0;
      return;
    }
    this.enqueueSide(QUEUE_CODES.zero, 'zero', [buffer.address, bytes]);
    // A read of the buffer now waits for the clearing (kernels that read it come after it anyway).
    buffer.lastWriter = this.enqueued;
    buffer.lastUser = this.enqueued;
  }

  /** The benchmark's row-major SGEMM at byte addresses; returns once it has run. */
  sgemm(m: number, n: number, k: number, a: number, b: number, c: number): void {
    if (!this.queueing) {
      this.exports.fathom_sgemm(m, n, k, a, b, c);
      return;
    }
    this.enqueueSide(QUEUE_CODES.sgemm, 'sgemm', [m, n, k, a, b, c]);
    this.drain('sgemm');
  }

  // An entry of the queue's own, its ints in the words kept at the block's end
  // (a kernel's block may be half written: zero() runs from addressOf()).
  private enqueueSide(code: number, op: string, ints: readonly number[]): void {
    this.refreshViews();
    this.sideInts.set(ints);
    const status = this.exports.fathom_enqueue(code, this.intsAddress + this.intCapacity * 4, ints.length, this.floatsAddress, 0);
    this.pendingOps[this.enqueued++ % PENDING_NAMES] = op;
    if (status !== KERNEL_STATUS.ok) this.reportRefusal(status);
  }

  private reportRefusal(status: number): never {
    const op = this.pendingOps[this.exports.fathom_queue_take_failure() % PENDING_NAMES] ?? 'kernel';
    throw statusError(op, status);
  }

  // Runs `body`, turning a trap into a DeviceError.
  private trapping<T>(op: string, body: () => T): T {
    try {
      return body();
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        if (this.queueing) {
          // The main thread trapped inside the runner's task: release the runner from waiting for it.
          this.exports.fathom_worker_failed(0);
          this.stopQueue();
        }
        throw new DeviceError(`wasm.${op}: the kernel trapped (${error.message}); a worker thread may have died, the backend now runs on one thread`);
      }
      throw error;
    }
  }

  /** Whether all of `buffer` is zero with its memory not yet cleared (a copy from it need not read it). */
  zeroPending(buffer: BackendBuffer): boolean {
    return this.resolver.zeroPending(buffer);
  }

  /** Makes all of `buffer` zero without running a kernel. */
  zeroWhole(buffer: BackendBuffer, op: string): void {
    this.resolver.zeroWhole(buffer, op);
  }

  /** Runs `kernel` on `args`, written in the order of its argument block; `op` names the op in errors. */
  call<K extends KernelName>(kernel: K, op: string, args: Arguments<K>): void {
    this.begin();
    const values = args as unknown as Readonly<Record<string, unknown>>;
    const fields: readonly ArgumentField[] = KERNEL_ARGUMENTS[kernel];
    for (const field of fields) this.write(field, values[field.name], op);
    this.run(kernel, op);
  }

  private write(field: ArgumentField, value: unknown, op: string): void {
    switch (field.kind) {
      case 'int': this.int(value as number); break;
      case 'float': this.float(value as number); break;
      case 'dtype': this.dtype(value as string, op); break;
      case 'code': this.int((ABI_ENUMS[field.enum as AbiEnumName].codes as Readonly<Record<string, number>>)[value as string]); break;
      case 'address': this.address(value as BackendBuffer, op); break;
      case 'output': this.output(value as BackendBuffer, op); break;
      case 'start': this.start(value as View, op); break;
      case 'view': this.view(value as View, op); break;
      case 'outputView': this.outputView(value as View, op); break;
      case 'ints': {
        const list = value as readonly number[];
        this.int(list.length);
        for (const item of list) this.int(item);
        break;
      }
      case 'struct': {
        const record = value as Readonly<Record<string, number | boolean>>;
        for (const name of field.struct.fields) {
          const item = record[name];
          this.int(typeof item === 'boolean' ? (item ? 1 : 0) : item);
        }
        break;
      }
    }
  }

  /** Starts a new argument list. */
  private begin(): this {
    this.refreshViews();
    this.intCount = 0;
    this.floatCount = 0;
    this.outputs.length = 0;
    this.writes.length = 0;
    this.reads.length = 0;
    return this;
  }

  // Growing the memory replaces (or, unshared, detaches) its buffer: re-view it.
  private refreshViews(): void {
    const buffer = this.memory.buffer;
    if (buffer.byteLength !== this.viewBytes || this.ints.length === 0) {
      this.ints = new Int32Array(buffer, this.intsAddress, this.intCapacity);
      this.sideInts = new Int32Array(buffer, this.intsAddress + this.intCapacity * 4, SIDE_WORDS);
      this.floats = new Float64Array(buffer, this.floatsAddress, this.floatCapacity);
      this.viewBytes = buffer.byteLength;
    }
  }

  private int(value: number): this {
    this.ints[this.intCount++] = value;
    return this;
  }

  private float(value: number): this {
    this.floats[this.floatCount++] = value;
    return this;
  }

  /** A dtype code; throws a DTypeError naming the op for float64 (the backend does not hold it). */
  private dtype(dtype: string, op: string): this {
    const code = DTYPE_CODES[dtype as WasmDType];
    if (code === undefined) throw new DTypeError(`wasm.${op}: dtype ${dtype} is not supported on device 'wasm'`);
    return this.int(code);
  }

  /** The address of a buffer the kernel reads (or reads and writes). */
  private address(buffer: BackendBuffer, op: string): this {
    this.writes.push(buffer);
    return this.int(this.resolver.addressOf(buffer, op));
  }

  /** The address of a buffer the kernel writes whole without reading it: a pending zero is never cleared. */
  private output(buffer: BackendBuffer, op: string): this {
    this.outputs.push(buffer);
    this.writes.push(buffer);
    return this.int(this.resolver.outputAddressOf(buffer, op));
  }

  /** {@link view} of a view the kernel writes: as {@link output} when it covers its whole buffer. */
  private outputView(view: View, op: string): this {
    this.writes.push(view.buffer);
    if (!coversBuffer(view)) return this.view(view, op);
    this.outputs.push(view.buffer);
    return this.viewAt(this.resolver.outputAddressOf(view.buffer, op), view, op);
  }

  /** The address of a contiguous view's first element (kernels that take contiguous input need no more). */
  private start(view: View, op: string): this {
    this.reads.push(view.buffer);
    const bytes = DTYPE_BYTES[view.buffer.dtype as WasmDType] ?? 4;
    return this.int(this.resolver.addressOf(view.buffer, op) + view.offset * bytes);
  }

  /** [address of the view's first element, ndim, shape…, strides…]. */
  private view(view: View, op: string): this {
    this.reads.push(view.buffer);
    return this.viewAt(this.resolver.addressOf(view.buffer, op), view, op);
  }

  private viewAt(address: number, view: View, op: string): this {
    const ndim = view.shape.length;
    if (ndim > MAX_DIMS) throw new ValueError(`wasm.${op}: views of more than ${MAX_DIMS} dims are not supported (got ${ndim})`);
    this.int(address + view.offset * (DTYPE_BYTES[view.buffer.dtype as WasmDType] ?? 4));
    this.int(ndim);
    for (let d = 0; d < ndim; d++) this.int(view.shape[d]);
    for (let d = 0; d < ndim; d++) this.int(view.strides[d]);
    return this;
  }

  /** Runs (or enqueues) the kernel on the arguments written since {@link begin}; turns an error code into a typed error. */
  private run(kernel: KernelName, op: string): void {
    if (this.intCount > this.intCapacity || this.floatCount > this.floatCapacity) {
      throw new ValueError(`wasm.${op}: too many kernel arguments`);
    }
    if (this.queueing) {
      const status = this.exports.fathom_enqueue(KERNEL_CODES[kernel], this.intsAddress, this.intCount, this.floatsAddress, this.floatCount);
      this.pendingOps[this.enqueued++ % PENDING_NAMES] = op;
      for (const buffer of this.writes) {
        (buffer as WasmBuffer).lastWriter = this.enqueued;
        (buffer as WasmBuffer).lastUser = this.enqueued;
      }
      for (const buffer of this.reads) (buffer as WasmBuffer).lastUser = this.enqueued;
      for (const buffer of this.outputs) this.resolver.written(buffer);
      if (status !== KERNEL_STATUS.ok) this.reportRefusal(status);
      if (this.waitEach) this.drain(op);
      return;
    }
    const status = this.trapping(op, () => this.exports[kernel](this.intsAddress, this.floatsAddress));
    if (status !== KERNEL_STATUS.ok) throw statusError(op, status);
    // Written now (a buffer last written by a kernel the queue lost is whole again).
    for (const buffer of this.writes) (buffer as WasmBuffer).lastWriter = 0;
    for (const buffer of this.outputs) this.resolver.written(buffer);
  }
}

function statusError(op: string, status: number): Error {
  if (status === KERNEL_STATUS.dtype) return new DTypeError(`wasm.${op}: this combination of dtypes is not supported`);
  return new ValueError(`wasm.${op}: the kernel refused its arguments (status ${status})`);
}
