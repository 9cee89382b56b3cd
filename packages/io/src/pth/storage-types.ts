import type { DType } from '@fathom/core';
import type { StoredDType } from '../stored-dtype.js';

/** A `torch.*Storage` class a checkpoint may name, and what its elements become in Fathom. */
export interface StorageType {
  /** The class name as pickled, e.g. `FloatStorage`. */
  readonly className: string;
  /** PyTorch's dtype name for the stored elements, e.g. `float16`. */
  readonly torchDType: string;
  /** The same elements in safetensors' naming, which the shared decoder reads. */
  readonly stored: StoredDType;
  /** The Fathom dtype the elements are loaded as (Fathom has float32, float64, int32 and bool). */
  readonly dtype: DType;
}

const SUPPORTED: readonly StorageType[] = [
  { className: 'FloatStorage', stored: 'F32', torchDType: 'float32', dtype: 'float32' },
  { className: 'DoubleStorage', stored: 'F64', torchDType: 'float64', dtype: 'float64' },
  { className: 'HalfStorage', stored: 'F16', torchDType: 'float16', dtype: 'float32' },
  { className: 'BFloat16Storage', stored: 'BF16', torchDType: 'bfloat16', dtype: 'float32' },
  { className: 'LongStorage', stored: 'I64', torchDType: 'int64', dtype: 'int32' },
  { className: 'IntStorage', stored: 'I32', torchDType: 'int32', dtype: 'int32' },
  { className: 'ShortStorage', stored: 'I16', torchDType: 'int16', dtype: 'int32' },
  { className: 'CharStorage', stored: 'I8', torchDType: 'int8', dtype: 'int32' },
  { className: 'ByteStorage', stored: 'U8', torchDType: 'uint8', dtype: 'int32' },
  { className: 'BoolStorage', stored: 'BOOL', torchDType: 'bool', dtype: 'bool' },
];

// Storages PyTorch writes whose dtype Fathom has no counterpart for: naming the
// dtype tells the user what to convert before saving.
const UNSUPPORTED: Readonly<Record<string, string>> = {
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  ComplexHalfStorage: 'complex32',
  QInt8Storage: 'qint8 (quantized)',
  QUInt8Storage: 'quint8 (quantized)',
  QInt32Storage: 'qint32 (quantized)',
  QUInt4x2Storage: 'quint4x2 (quantized)',
  QUInt2x4Storage: 'quint2x4 (quantized)',
};

const BY_NAME = new Map(SUPPORTED.map((type) => [type.className, type]));

/** The storage type `torch.<className>`, or undefined if Fathom cannot load it. */
export function storageType(className: string): StorageType | undefined {
  return BY_NAME.get(className);
}

/** PyTorch's dtype name for a storage class Fathom knows but cannot load (complex, quantized), else undefined. */
export function unsupportedStorageDType(className: string): string | undefined {
  return Object.hasOwn(UNSUPPORTED, className) ? UNSUPPORTED[className] : undefined;
}
