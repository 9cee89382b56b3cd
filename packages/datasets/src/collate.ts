import { DataError, ShapeError, isTensorLike, stack, tensor, type Tensor } from '@fathom/core';

/**
 * What {@link defaultCollate} makes of a list of samples of type `T`: tensors
 * are stacked into one tensor with a new batch dimension in front; numbers,
 * booleans and typed arrays become tensors; strings a string array; arrays and
 * plain objects are collated field by field.
 */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean | Float32Array | Float64Array | Int32Array | Uint8Array
    ? Tensor
    : T extends string
      ? string[]
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { -readonly [K in keyof T]: Collated<T[K]> }
          : T[];

/** A function that turns the samples of one batch into the batch. */
export type CollateFunction<T, B> = (samples: T[]) => B;

type TypedArrayLike = Float32Array | Float64Array | Int32Array | Uint8Array;

function isTypedArrayLike(value: unknown): value is TypedArrayLike {
  return value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array || value instanceof Uint8Array;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (isTensorLike(value)) return `a tensor [${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value === null ? 'null' : typeof value;
}

function collateAt(samples: unknown[], path: string): unknown {
  const first = samples[0];
  const where = path === '' ? 'the samples' : `field ${path}`;
  const mismatch = (value: unknown, i: number): never => {
    throw new DataError(`defaultCollate: ${where}: sample 0 is ${describe(first)} but sample ${i} is ${describe(value)}`);
  };
  if (isTensorLike(first)) {
    samples.forEach((value, i) => (isTensorLike(value) ? undefined : mismatch(value, i)));
    try {
      return stack(samples as Tensor[], 0);
    } catch (error) {
      if (error instanceof ShapeError) throw new ShapeError(`defaultCollate: ${where}: ${error.message}`);
      throw error;
    }
  }
  if (typeof first === 'number') {
    samples.forEach((value, i) => (typeof value === 'number' ? undefined : mismatch(value, i)));
    const numbers = samples as number[];
    // JavaScript has one number type, so integers become int32 (labels, class indices) and anything else float32.
    const integers = numbers.every((value) => Number.isInteger(value) && value >= -2147483648 && value <= 2147483647);
    return tensor(integers ? Int32Array.from(numbers) : Float32Array.from(numbers));
  }
  if (typeof first === 'boolean') {
    samples.forEach((value, i) => (typeof value === 'boolean' ? undefined : mismatch(value, i)));
    return tensor(samples as boolean[]);
  }
  if (typeof first === 'string') {
    samples.forEach((value, i) => (typeof value === 'string' ? undefined : mismatch(value, i)));
    return [...(samples as string[])];
  }
  if (isTypedArrayLike(first)) {
    const length = first.length;
    const Kind = first instanceof Uint8Array ? Int32Array : (first.constructor as new (n: number) => Float32Array | Float64Array | Int32Array);
    const out = new Kind(samples.length * length);
    samples.forEach((value, i) => {
      if (!isTypedArrayLike(value) || value.constructor !== first.constructor) mismatch(value, i);
      if ((value as TypedArrayLike).length !== length) {
        throw new ShapeError(`defaultCollate: ${where}: sample 0 has ${length} values but sample ${i} has ${(value as TypedArrayLike).length}`);
      }
      out.set(value as ArrayLike<number>, i * length);
    });
    return tensor(out, { shape: [samples.length, length] });
  }
  if (Array.isArray(first)) {
    samples.forEach((value, i) => {
      if (!Array.isArray(value)) mismatch(value, i);
      else if (value.length !== first.length) {
        throw new DataError(`defaultCollate: ${where}: sample 0 has ${first.length} elements but sample ${i} has ${value.length}`);
      }
    });
    return first.map((_, k) => collateAt(samples.map((value) => (value as unknown[])[k]), `${path}[${k}]`));
  }
  if (isPlainObject(first)) {
    const keys = Object.keys(first);
    const out: Record<string, unknown> = {};
    samples.forEach((value, i) => (isPlainObject(value) ? undefined : mismatch(value, i)));
    for (const key of keys) {
      out[key] = collateAt(
        samples.map((value, i) => {
          if (!(key in (value as Record<string, unknown>))) {
            throw new DataError(`defaultCollate: sample 0 has field ${path === '' ? key : `${path}.${key}`} but sample ${i} does not`);
          }
          return (value as Record<string, unknown>)[key];
        }),
        path === '' ? key : `${path}.${key}`,
      );
    }
    return out;
  }
  return [...samples];
}

/**
 * Turns a list of samples into a batch, as PyTorch's `default_collate`:
 * tensors are stacked along a new first dimension (`(C, H, W)` samples give a
 * `(B, C, H, W)` batch); numbers become a `(B)` tensor — int32 when every one
 * is an integer (labels), else float32, since JavaScript cannot tell `1` from
 * `1.0`; booleans a bool tensor; typed arrays a `(B, L)` tensor; strings stay a
 * string array; arrays and plain objects are collated element by element and
 * key by key. Anything else is returned as an array.
 *
 * Throws {@link ShapeError} when tensors differ in shape and
 * {@link DataError} when samples differ in structure, naming the field.
 *
 * ```ts
 * const batch = defaultCollate([{ x: zeros([3, 8, 8]), y: 1 }, { x: ones([3, 8, 8]), y: 7 }]);
 * batch.x.shape; // [2, 3, 8, 8]
 * batch.y.dtype; // 'int32'
 * ```
 */
export function defaultCollate<T>(samples: T[]): Collated<T> {
  if (samples.length === 0) throw new DataError('defaultCollate: cannot collate an empty batch');
  return collateAt(samples, '') as Collated<T>;
}
