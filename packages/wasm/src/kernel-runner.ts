import { DeviceError, DTypeError, ValueError } from '@fathom/core';
import { coversBuffer, type BackendBuffer, type View } from '@fathom/core/backend';
import { ABI_ENUMS, DTYPE_BYTES, DTYPE_CODES, KERNEL_ARGUMENTS, KERNEL_STATUS, MAX_DIMS, type AbiEnumName, type ArgumentField, type KernelArguments, type WasmDType } from './abi.js';
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

/**
 * Writes a kernel's arguments into the parameter block (a stream of int32
 * words and one of doubles) as KERNEL_ARGUMENTS in src/abi.ts lays them out,
 * which is also what the C side reads (csrc/abi.h is generated from it), and
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
    return this.int(this.resolver.addressOf(buffer, op));
  }

  /** The address of a buffer the kernel writes whole without reading it: a pending zero is never cleared. */
  private output(buffer: BackendBuffer, op: string): this {
    this.outputs.push(buffer);
    return this.int(this.resolver.outputAddressOf(buffer, op));
  }

  /** {@link view} of a view the kernel writes: as {@link output} when it covers its whole buffer. */
  private outputView(view: View, op: string): this {
    if (!coversBuffer(view)) return this.view(view, op);
    this.outputs.push(view.buffer);
    return this.viewAt(this.resolver.outputAddressOf(view.buffer, op), view, op);
  }

  /** The address of a contiguous view's first element (kernels that take contiguous input need no more). */
  private start(view: View, op: string): this {
    const bytes = DTYPE_BYTES[view.buffer.dtype as WasmDType] ?? 4;
    return this.int(this.resolver.addressOf(view.buffer, op) + view.offset * bytes);
  }

  /** [address of the view's first element, ndim, shape…, strides…]. */
  private view(view: View, op: string): this {
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

  /** Runs the kernel on the arguments written since {@link begin}; turns an error code into a typed error. */
  private run(kernel: KernelName, op: string): void {
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
