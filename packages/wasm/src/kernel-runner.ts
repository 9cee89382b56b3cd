import { coversBuffer, DeviceError, DTypeError, ValueError, type BackendBuffer, type View } from '@fathom/core';
import { DTYPE_CODES, type WasmDType } from './op-codes.js';
import { KERNEL_STATUS, type FathomExports, type KernelName } from './wasm-exports.js';

/** The dims a view may have (MAX_DIMS in csrc/fathom.h). */
export const MAX_DIMS = 32;

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

const BYTES: Readonly<Record<WasmDType, number>> = { float32: 4, int32: 4, bool: 1 };

/** Refuses anything but float32 for the float-only kernels (matmul, convolution, pooling, random). */
export function requireFloat32(op: string, ...dtypes: string[]): void {
  for (const dtype of dtypes) {
    if (dtype !== 'float32') throw new DTypeError(`wasm.${op}: only float32 is supported on device 'wasm', got ${dtype}`);
  }
}

/**
 * Writes a kernel's arguments into the parameter block (a stream of int32
 * words and one of doubles that the C side reads in the same order) and
 * calls the kernel. One runner per backend; kernels run one at a time.
 */
export class KernelRunner {
  private ints = new Int32Array(0);
  private floats = new Float64Array(0);
  private intCount = 0;
  private floatCount = 0;
  private viewBytes = -1;
  // Buffers the kernel being prepared writes whole (see output()).
  private readonly outputs: BackendBuffer[] = [];

  constructor(
    private readonly exports: FathomExports,
    private readonly memory: WebAssembly.Memory,
    private readonly resolver: BufferResolver,
    private readonly intsAddress: number,
    private readonly intCapacity: number,
    private readonly floatsAddress: number,
    private readonly floatCapacity: number,
  ) {}

  /** Whether all of `buffer` is zero with its memory not yet cleared (a copy from it need not read it). */
  zeroPending(buffer: BackendBuffer): boolean {
    return this.resolver.zeroPending(buffer);
  }

  /** Makes all of `buffer` zero without running a kernel. */
  zeroWhole(buffer: BackendBuffer, op: string): void {
    this.resolver.zeroWhole(buffer, op);
  }

  /** Starts a new argument list. */
  begin(): this {
    // Growing the memory replaces (or, unshared, detaches) its buffer: re-view it.
    const buffer = this.memory.buffer;
    if (buffer.byteLength !== this.viewBytes || this.ints.length === 0) {
      this.ints = new Int32Array(buffer, this.intsAddress, this.intCapacity);
      this.floats = new Float64Array(buffer, this.floatsAddress, this.floatCapacity);
      this.viewBytes = buffer.byteLength;
    }
    this.intCount = 0;
    this.floatCount = 0;
    this.outputs.length = 0;
    return this;
  }

  int(value: number): this {
    this.ints[this.intCount++] = value;
    return this;
  }

  float(value: number): this {
    this.floats[this.floatCount++] = value;
    return this;
  }

  /** A dtype code; throws a DTypeError naming the op for float64 (the backend does not hold it). */
  dtype(dtype: string, op: string): this {
    const code = DTYPE_CODES[dtype as WasmDType];
    if (code === undefined) throw new DTypeError(`wasm.${op}: dtype ${dtype} is not supported on device 'wasm'`);
    return this.int(code);
  }

  /** The address of a buffer the kernel reads (or reads and writes). */
  address(buffer: BackendBuffer, op: string): this {
    return this.int(this.resolver.addressOf(buffer, op));
  }

  /** The address of a buffer the kernel writes whole without reading it: a pending zero is never cleared. */
  output(buffer: BackendBuffer, op: string): this {
    this.outputs.push(buffer);
    return this.int(this.resolver.outputAddressOf(buffer, op));
  }

  /** {@link view} of a view the kernel writes: as {@link output} when it covers its whole buffer. */
  outputView(view: View, op: string): this {
    if (!coversBuffer(view)) return this.view(view, op);
    this.outputs.push(view.buffer);
    return this.viewAt(this.resolver.outputAddressOf(view.buffer, op), view, op);
  }

  /** The address of a contiguous view's first element (kernels that take contiguous input need no more). */
  start(view: View, op: string): this {
    const bytes = BYTES[view.buffer.dtype as WasmDType] ?? 4;
    return this.int(this.resolver.addressOf(view.buffer, op) + view.offset * bytes);
  }

  /** [address of the view's first element, ndim, shape…, strides…]. */
  view(view: View, op: string): this {
    return this.viewAt(this.resolver.addressOf(view.buffer, op), view, op);
  }

  private viewAt(address: number, view: View, op: string): this {
    const ndim = view.shape.length;
    if (ndim > MAX_DIMS) throw new ValueError(`wasm.${op}: views of more than ${MAX_DIMS} dims are not supported (got ${ndim})`);
    this.int(address + view.offset * (BYTES[view.buffer.dtype as WasmDType] ?? 4));
    this.int(ndim);
    for (let d = 0; d < ndim; d++) this.int(view.shape[d]);
    for (let d = 0; d < ndim; d++) this.int(view.strides[d]);
    return this;
  }

  /** Runs the kernel on the arguments written since {@link begin}; turns an error code into a typed error. */
  run(kernel: KernelName, op: string): void {
    if (this.intCount > this.intCapacity || this.floatCount > this.floatCapacity) {
      throw new ValueError(`wasm.${op}: too many kernel arguments`);
    }
    let status: number;
    try {
      status = this.exports[kernel](this.intsAddress, this.floatsAddress);
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        throw new DeviceError(`wasm.${op}: the kernel trapped (${error.message}); a worker thread may have died, the backend now runs on one thread`);
      }
      throw error;
    }
    if (status === KERNEL_STATUS.ok) {
      for (const buffer of this.outputs) this.resolver.written(buffer);
      return;
    }
    if (status === KERNEL_STATUS.dtype) throw new DTypeError(`wasm.${op}: this combination of dtypes is not supported`);
    throw new ValueError(`wasm.${op}: the kernel refused its arguments (status ${status})`);
  }
}
