import { DataError, tensor, type Device, type Tensor } from '@fathom/core';
import { bfloat16ToFloat, halfToFloat } from '../half.js';
import type { TensorRef } from './pickle-values.js';
import type { StorageType } from './storage-types.js';

/** A storage's elements as numbers: float32/float16/bfloat16 as Float32Array, int64 as Float64Array (exact up to 2^53), others as their own or Int32Array. */
export type StorageValues = Float32Array | Float64Array | Int32Array | Uint8Array;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes a storage record's bytes into numbers. `littleEndian` comes from the
 * archive's `byteorder` record (absent = little, as every PyTorch before 2.1 wrote).
 */
export function decodeStorage(bytes: Uint8Array, type: StorageType, numel: number, littleEndian: boolean): StorageValues {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A typed-array view reads the host's byte order; use one only where that is the file's.
  const aligned = littleEndian === LITTLE_ENDIAN_HOST && bytes.byteOffset % type.elementSize === 0;
  switch (type.torchDType) {
    case 'float32': {
      if (aligned) return new Float32Array(bytes.buffer, bytes.byteOffset, numel);
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = view.getFloat32(i * 4, littleEndian);
      return out;
    }
    case 'float64': {
      if (aligned) return new Float64Array(bytes.buffer, bytes.byteOffset, numel);
      const out = new Float64Array(numel);
      for (let i = 0; i < numel; i++) out[i] = view.getFloat64(i * 8, littleEndian);
      return out;
    }
    case 'int32': {
      if (aligned) return new Int32Array(bytes.buffer, bytes.byteOffset, numel);
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = view.getInt32(i * 4, littleEndian);
      return out;
    }
    case 'float16': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = halfToFloat(view.getUint16(i * 2, littleEndian));
      return out;
    }
    case 'bfloat16': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = bfloat16ToFloat(view.getUint16(i * 2, littleEndian));
      return out;
    }
    case 'int64': {
      const out = new Float64Array(numel);
      for (let i = 0; i < numel; i++) out[i] = Number(view.getBigInt64(i * 8, littleEndian));
      return out;
    }
    case 'int16': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = view.getInt16(i * 2, littleEndian);
      return out;
    }
    case 'int8': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = view.getInt8(i);
      return out;
    }
    case 'uint8': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = bytes[i];
      return out;
    }
    default:
      // bool: checked to be 0 or 1 per tensor, in buildTensor, so the error can name the tensor.
      return bytes.subarray(0, numel);
  }
}

/**
 * Checks a tensor's geometry against its storage: sizes and strides
 * non-negative ints, and every element inside the storage
 * (offset + Σ (size−1)·stride < numel). Returns the tensor's element count.
 */
export function checkTensorGeometry(ref: TensorRef, where: string): number {
  const { size, stride, offset } = ref;
  const storageNumel = ref.storage.numel;
  const describe = `size [${size.join(', ')}], stride [${stride.join(', ')}], offset ${offset}`;
  if (size.some((n) => n < 0)) throw new DataError(`${where}: negative size (${describe})`);
  if (stride.some((n) => n < 0)) throw new DataError(`${where}: negative strides are not supported (${describe})`);
  if (offset < 0 || offset > storageNumel) throw new DataError(`${where}: storage offset ${offset} lies outside its storage of ${storageNumel} elements`);
  let numel = 1;
  for (const n of size) numel *= n;
  if (numel === 0) return 0;
  if (!Number.isSafeInteger(numel)) throw new DataError(`${where}: ${describe} has too many elements`);
  let last = offset;
  for (let i = 0; i < size.length; i++) last += (size[i] - 1) * stride[i];
  if (!(last < storageNumel)) {
    throw new DataError(`${where}: ${describe} reaches element ${last} of a storage of ${storageNumel} elements (storage '${ref.storage.key}')`);
  }
  return numel;
}

// The row-major elements of the strided view: a subarray of the storage when
// the view is contiguous (tensor() copies it anyway), else a gathered copy.
function gather<T extends StorageValues>(values: T, ref: TensorRef, numel: number, allocate: (length: number) => T): T {
  const { size, stride, offset } = ref;
  const rank = size.length;
  let contiguous = true;
  for (let d = rank - 1, expected = 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= size[d];
  }
  if (contiguous) return values.subarray(offset, offset + numel) as T;
  const out = allocate(numel);
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < numel; i++) {
    out[i] = values[at];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < size[d]) {
        at += stride[d];
        break;
      }
      at -= (size[d] - 1) * stride[d];
      index[d] = 0;
    }
  }
  return out;
}

/**
 * A contiguous Fathom tensor holding what PyTorch's view `ref` shows of a
 * storage whose decoded elements are `values`. int64 elements outside int32
 * and bool bytes other than 0 and 1 are a `DataError` naming `where` (the
 * tensor's path), never a wrap.
 */
export function buildTensor(values: StorageValues, ref: TensorRef, where: string, device: Device | undefined): Tensor {
  const numel = checkTensorGeometry(ref, where);
  const type = ref.storage.type;
  const shape = [...ref.size];
  if (numel === 0) return tensor(new Float32Array(0), { shape, dtype: type.dtype, device });
  if (type.torchDType === 'int64') {
    const wide = gather(values as Float64Array, ref, numel, (n) => new Float64Array(n));
    const out = new Int32Array(numel);
    for (let i = 0; i < numel; i++) {
      const value = wide[i];
      if (value < -2147483648 || value > 2147483647) {
        throw new DataError(`${where}: int64 element ${i} is ${value}, outside int32's range; Fathom has no int64 dtype and will not wrap it`);
      }
      out[i] = value;
    }
    return tensor(out, { shape, dtype: 'int32', device });
  }
  const allocate =
    values instanceof Float32Array ? (n: number) => new Float32Array(n)
    : values instanceof Float64Array ? (n: number) => new Float64Array(n)
    : values instanceof Int32Array ? (n: number) => new Int32Array(n)
    : (n: number) => new Uint8Array(n);
  const gathered = gather(values, ref, numel, allocate as (n: number) => StorageValues);
  if (type.torchDType === 'bool') {
    const index = gathered.findIndex((b) => b > 1);
    if (index >= 0) throw new DataError(`${where}: bool element ${index} is byte ${gathered[index]}, not 0 or 1`);
  }
  return tensor(gathered, { shape, dtype: type.dtype, device });
}
