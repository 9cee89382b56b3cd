import { DTypeError, type DType } from '@fathom/core';

/** The WGSL scalar a buffer of each dtype holds: bool is one u32 (0 or 1) per element, so every element is a 4-byte word. */
export type StorageType = 'f32' | 'i32' | 'u32';

const TYPES: Partial<Record<DType, StorageType>> = { float32: 'f32', int32: 'i32', bool: 'u32' };

/** The WGSL type of `dtype`'s elements; float64 has none (WGSL has no f64). */
export function storageType(dtype: DType, op: string): StorageType {
  const type = TYPES[dtype];
  if (!type) throw new DTypeError(`webgpu: ${op} has no ${dtype} kernel (WGSL has no 64-bit floats); use float32 on this device`);
  return type;
}

/** A WGSL expression converting `value` of type `from` into the element type of `to`, as the CPU backend's typed-array stores do. */
export function convertExpression(value: string, from: DType, to: DType): string {
  if (from === to) return value;
  if (to === 'bool') {
    if (from === 'float32') return `u32(truthyF32(${value}))`;
    return `u32(${value} != 0)`;
  }
  if (to === 'float32') return `f32(${value})`;
  // to int32
  if (from === 'float32') return `toInt32(${value})`;
  return `i32(${value})`;
}

/** The math-library functions {@link convertExpression} needs. */
export function conversionFunctions(from: DType, to: DType): string[] {
  if (from === 'float32' && to === 'bool') return ['truthy'];
  if (from === 'float32' && to === 'int32') return ['toInt32'];
  return [];
}
