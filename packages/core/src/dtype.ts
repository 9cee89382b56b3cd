/**
 * Element types a tensor can hold. `float64` exists for the CPU backend's
 * gradient checks and references; other backends declare in
 * {@link BackendCapabilities.dtypes} which ones they support.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The typed array that holds the elements of each dtype (`bool` as 0/1 bytes). */
export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

/** Any of the typed arrays a tensor's elements are read into. */
export type TypedArray = TypedArrayOf[DType];

/** All dtypes, in promotion order (a later one wins in {@link promoteTypes}). */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** Bytes one element of `dtype` occupies. */
export function bytesPerElement(dtype: DType): number {
  return BYTES[dtype];
}

/** Allocates a zeroed typed array of `length` elements of `dtype`. */
export function allocateArray<D extends DType>(dtype: D, length: number): TypedArrayOf[D] {
  switch (dtype) {
    case 'float32': return new Float32Array(length) as TypedArrayOf[D];
    case 'float64': return new Float64Array(length) as TypedArrayOf[D];
    case 'int32': return new Int32Array(length) as TypedArrayOf[D];
    default: return new Uint8Array(length) as TypedArrayOf[D];
  }
}

/** Whether `dtype` holds floating-point values. */
export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** The dtype that holds the result of combining `a` and `b` (PyTorch's type promotion for these four dtypes). */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** Whether `value` names a dtype. */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}
