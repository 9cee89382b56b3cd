import { DataError, DTypeError, tensor, type Device, type DType, type Shape, type Tensor, type TypedArray } from '@fathom/core';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from './half.js';

/**
 * How tensor elements are stored in a file, in safetensors' names. Files may
 * hold more kinds than Fathom computes in: {@link loadedDType} says what each
 * becomes when read.
 */
export type StoredDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each stored dtype. */
export const STORED_DTYPE_BYTES: Readonly<Record<StoredDType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Whether `name` is a stored dtype Fathom reads. */
export function isStoredDType(name: unknown): name is StoredDType {
  return typeof name === 'string' && Object.hasOwn(STORED_DTYPE_BYTES, name);
}

/**
 * The Fathom dtype a stored dtype loads as: half precisions widen to float32,
 * integers narrower than 32 bits widen to int32 (exact), int64 narrows to
 * int32 only when every value fits (otherwise the read fails).
 */
export function loadedDType(stored: StoredDType): DType {
  switch (stored) {
    case 'F64': return 'float64';
    case 'F32': case 'F16': case 'BF16': return 'float32';
    case 'BOOL': return 'bool';
    default: return 'int32';
  }
}

/** The stored dtype a tensor of `dtype` is written as by default. */
export function defaultStoredDType(dtype: DType): StoredDType {
  return ({ float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' } as const)[dtype];
}

/** Whether a `dtype` tensor may be written as `stored` without changing any value's meaning (floats to any float, ints to wider ints). */
export function canStore(dtype: DType, stored: StoredDType): boolean {
  switch (dtype) {
    case 'float32': case 'float64': return stored === 'F64' || stored === 'F32' || stored === 'F16' || stored === 'BF16';
    case 'int32': return stored === 'I32' || stored === 'I64';
    case 'bool': return stored === 'BOOL';
  }
}

// Typed-array views read the host's byte order; files are little-endian.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The numbers stored elements hold, in the host's typed arrays: F16/BF16 as
 * Float32Array, I8/I16/U8 as Int32Array, I64 as Float64Array (to be narrowed
 * by {@link narrowInt64}), BOOL as the raw bytes (to be checked by
 * {@link checkBoolBytes}). Aligned elements in the host's byte order are a
 * view of `bytes`, not a copy.
 */
export function decodeElements(bytes: Uint8Array, stored: StoredDType, littleEndian = true): TypedArray {
  const size = STORED_DTYPE_BYTES[stored];
  const count = Math.floor(bytes.byteLength / size);
  const data = view(bytes);
  // A typed-array view reads the host's byte order; use one only where that is the file's.
  const aligned = littleEndian === LITTLE_ENDIAN_HOST && bytes.byteOffset % size === 0;
  const read = <A extends TypedArray>(out: A, get: (i: number) => number): A => {
    for (let i = 0; i < count; i++) out[i] = get(i);
    return out;
  };
  switch (stored) {
    case 'F64': return aligned ? new Float64Array(bytes.buffer, bytes.byteOffset, count) : read(new Float64Array(count), (i) => data.getFloat64(8 * i, littleEndian));
    case 'F32': return aligned ? new Float32Array(bytes.buffer, bytes.byteOffset, count) : read(new Float32Array(count), (i) => data.getFloat32(4 * i, littleEndian));
    case 'I32': return aligned ? new Int32Array(bytes.buffer, bytes.byteOffset, count) : read(new Int32Array(count), (i) => data.getInt32(4 * i, littleEndian));
    case 'F16': return read(new Float32Array(count), (i) => halfToFloat(data.getUint16(2 * i, littleEndian)));
    case 'BF16': return read(new Float32Array(count), (i) => bfloat16ToFloat(data.getUint16(2 * i, littleEndian)));
    // Exact up to 2^53; anything that large is outside int32 and refused anyway.
    case 'I64': return read(new Float64Array(count), (i) => Number(data.getBigInt64(8 * i, littleEndian)));
    case 'I16': return read(new Int32Array(count), (i) => data.getInt16(2 * i, littleEndian));
    case 'I8': return read(new Int32Array(count), (i) => data.getInt8(i));
    case 'U8': return read(new Int32Array(count), (i) => bytes[i]);
    case 'BOOL': return bytes.subarray(0, count);
  }
}

/** int64 values (from {@link decodeElements}) as int32; one outside int32 is a `DataError` naming `where`, never a wrap. */
export function narrowInt64(values: ArrayLike<number>, where: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value < -2147483648 || value > 2147483647) {
      throw new DataError(`${where}: int64 element ${i} is ${value}, outside int32's range; Fathom has no int64 dtype and will not wrap it`);
    }
    out[i] = value;
  }
  return out;
}

/** Throws a `DataError` naming `where` unless every byte is 0 or 1. */
export function checkBoolBytes(bytes: ArrayLike<number>, where: string): void {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 1) throw new DataError(`${where}: bool element ${i} is byte ${bytes[i]}, not 0 or 1`);
  }
}

/**
 * Decodes little-endian elements of `stored` into a new tensor (the bytes are
 * copied, so `bytes` may be reused). `where` names the file and tensor in errors.
 */
export function tensorFromBytes(bytes: Uint8Array, stored: StoredDType, shape: Shape, device: Device | undefined, where: string): Tensor {
  let values = decodeElements(bytes, stored);
  if (stored === 'I64') values = narrowInt64(values, where);
  if (stored === 'BOOL') checkBoolBytes(values, where);
  return tensor(values, { shape, dtype: loadedDType(stored), device });
}

/** Encodes a tensor's values (row-major) as little-endian `stored` elements; may return a view of `values`' own bytes. */
export function bytesFromValues(values: TypedArray, stored: StoredDType, dtype: DType, where: string): Uint8Array {
  if (!canStore(dtype, stored)) throw new DTypeError(`${where}: a ${dtype} tensor cannot be stored as ${stored}`);
  // Same layout in memory as in the file: hand over the bytes (the writer only reads them).
  if (LITTLE_ENDIAN_HOST && stored === defaultStoredDType(dtype) && stored !== 'BOOL') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * STORED_DTYPE_BYTES[stored]);
  const data = view(out);
  const n = values.length;
  switch (stored) {
    case 'F64': for (let i = 0; i < n; i++) data.setFloat64(8 * i, values[i], true); break;
    case 'F32': for (let i = 0; i < n; i++) data.setFloat32(4 * i, values[i], true); break;
    case 'F16': for (let i = 0; i < n; i++) data.setUint16(2 * i, floatToHalf(values[i]), true); break;
    case 'BF16': for (let i = 0; i < n; i++) data.setUint16(2 * i, floatToBfloat16(values[i]), true); break;
    case 'I64': for (let i = 0; i < n; i++) data.setBigInt64(8 * i, BigInt(values[i]), true); break;
    case 'I32': for (let i = 0; i < n; i++) data.setInt32(4 * i, values[i], true); break;
    case 'BOOL': for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0; break;
    default: throw new DTypeError(`${where}: writing ${stored} is not supported`);
  }
  return out;
}
