import { formatShape, isDType, isTensorLike, sizeOf, ValueError, type DType, type Tensor } from '@fathom/core';

/**
 * A tensor as plain JSON: what {@link Optimizer.stateDictJson} writes in place
 * of each state tensor, and what `loadStateDict` accepts beside real tensors.
 *
 * ```ts
 * const saved: SerializedTensor = { dtype: 'float32', shape: [2], data: [0.5, -1] };
 * ```
 */
export interface SerializedTensor {
  /** The element type. */
  readonly dtype: DType;
  /** Sizes of the dimensions. */
  readonly shape: readonly number[];
  /** The elements in row-major order. */
  readonly data: readonly number[];
}

/** Whether `value` has the {@link SerializedTensor} layout (and is not a tensor). */
export function isSerializedTensor(value: unknown): value is SerializedTensor {
  if (typeof value !== 'object' || value === null || isTensorLike(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.dtype === 'string' && Array.isArray(record.shape) && Array.isArray(record.data);
}

/** Checks a {@link SerializedTensor} read from an untrusted file before any memory is allocated for it. */
export function checkSerializedTensor(where: string, value: SerializedTensor): void {
  if (!isDType(value.dtype)) throw new ValueError(`${where}: unknown dtype '${String(value.dtype)}'`);
  if (!value.shape.every((size) => Number.isInteger(size) && size >= 0)) throw new ValueError(`${where}: invalid shape [${value.shape.join(', ')}]`);
  if (value.data.length !== sizeOf(value.shape)) {
    throw new ValueError(`${where}: ${value.data.length} values do not fill shape ${formatShape(value.shape)}`);
  }
  if (!value.data.every((v) => typeof v === 'number')) throw new ValueError(`${where}: data holds something other than numbers`);
}

/** `weightDecay` → `weight_decay`: our option names as PyTorch's state-dict keys. */
export function toSnakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** `weight_decay` → `weightDecay`: PyTorch's state-dict keys as our option names. */
export function toCamelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** A copy of `record` with renamed keys; arrays are copied so the result shares nothing mutable. */
export function renameKeys(record: Readonly<Record<string, unknown>>, rename: (key: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    out[rename(key)] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return out;
}
