import { DeviceError, DTypeError, ValueError, type BackendBuffer, type View } from '@fathom/core';
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
}

/** What the kernels need of the backend: addresses of live buffers. */
export interface BufferResolver {
  /** The byte address of `buffer`'s first element; throws for a released or foreign buffer. */
  addressOf(buffer: BackendBuffer, op: string): number;
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

  constructor(
    private readonly exports: FathomExports,
    private readonly memory: WebAssembly.Memory,
    private readonly resolver: BufferResolver,
    private readonly intsAddress: number,
    private readonly intCapacity: number,
    private readonly floatsAddress: number,
    private readonly floatCapacity: number,
  ) {}

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

  address(buffer: BackendBuffer, op: string): this {
    return this.int(this.resolver.addressOf(buffer, op));
  }

  /** The address of a contiguous view's first element (kernels that take contiguous input need no more). */
  start(view: View, op: string): this {
    const bytes = BYTES[view.buffer.dtype as WasmDType] ?? 4;
    return this.int(this.resolver.addressOf(view.buffer, op) + view.offset * bytes);
  }

  /** [address of the view's first element, ndim, shape…, strides…]. */
  view(view: View, op: string): this {
    const ndim = view.shape.length;
    if (ndim > MAX_DIMS) throw new ValueError(`wasm.${op}: views of more than ${MAX_DIMS} dims are not supported (got ${ndim})`);
    this.start(view, op);
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
    if (status === KERNEL_STATUS.ok) return;
    if (status === KERNEL_STATUS.dtype) throw new DTypeError(`wasm.${op}: this combination of dtypes is not supported`);
    throw new ValueError(`wasm.${op}: the kernel refused its arguments (status ${status})`);
  }
}
