import type { DType } from '@fathom/core';

/** A `torch.*Storage` class a checkpoint may name, and what its elements become in Fathom. */
export interface StorageType {
  /** The class name as pickled, e.g. `FloatStorage`. */
  readonly className: string;
  /** PyTorch's dtype name for the stored elements, e.g. `float16`. */
  readonly torchDType: string;
  /** Bytes per stored element. */
  readonly elementSize: number;
  /** The Fathom dtype the elements are loaded as (Fathom has float32, float64, int32 and bool). */
  readonly dtype: DType;
}

const SUPPORTED: readonly StorageType[] = [
  { className: 'FloatStorage', torchDType: 'float32', elementSize: 4, dtype: 'float32' },
  { className: 'DoubleStorage', torchDType: 'float64', elementSize: 8, dtype: 'float64' },
  { className: 'HalfStorage', torchDType: 'float16', elementSize: 2, dtype: 'float32' },
  { className: 'BFloat16Storage', torchDType: 'bfloat16', elementSize: 2, dtype: 'float32' },
  { className: 'LongStorage', torchDType: 'int64', elementSize: 8, dtype: 'int32' },
  { className: 'IntStorage', torchDType: 'int32', elementSize: 4, dtype: 'int32' },
  { className: 'ShortStorage', torchDType: 'int16', elementSize: 2, dtype: 'int32' },
  { className: 'CharStorage', torchDType: 'int8', elementSize: 1, dtype: 'int32' },
  { className: 'ByteStorage', torchDType: 'uint8', elementSize: 1, dtype: 'int32' },
  { className: 'BoolStorage', torchDType: 'bool', elementSize: 1, dtype: 'bool' },
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
