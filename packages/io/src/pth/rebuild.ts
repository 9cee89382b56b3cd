import { DataError, tensor, type Device, type Tensor, type TypedArray } from '@fathom/core';
import { checkBoolBytes, decodeElements, narrowInt64, STORED_DTYPE_BYTES } from '../stored-dtype.js';
import type { TensorRef } from './pickle-values.js';
import type { StorageType } from './storage-types.js';

/** A storage's elements as numbers, as {@link decodeElements} gives them. */
export type StorageValues = TypedArray;

/**
 * Decodes a storage record's bytes into numbers. `littleEndian` comes from the
 * archive's `byteorder` record (absent = little, as every PyTorch before 2.1 wrote).
 */
export function decodeStorage(bytes: Uint8Array, type: StorageType, numel: number, littleEndian: boolean): StorageValues {
  return decodeElements(bytes.subarray(0, numel * STORED_DTYPE_BYTES[type.stored]), type.stored, littleEndian);
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
  const gathered = gather(values, ref, numel, (n) => new (values.constructor as new (length: number) => StorageValues)(n));
  // Checked per tensor, after the gather, so the error names the tensor and only its own elements count.
  if (type.stored === 'I64') return tensor(narrowInt64(gathered, where), { shape, dtype: 'int32', device });
  if (type.stored === 'BOOL') checkBoolBytes(gathered, where);
  return tensor(gathered, { shape, dtype: type.dtype, device });
}
