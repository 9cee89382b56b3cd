import type { DType } from '../dtype.js';
import type { Shape } from '../shape.js';
import type { ReferenceTensor } from './op-spec.js';

// Plain float64 helpers for writing references. They are deliberately naive
// (coordinate arithmetic, no strides tricks) so they share nothing with the
// kernels they check.

/** A reference tensor from values. */
export function ref(shape: Shape, values: ArrayLike<number>, dtype: DType = 'float32'): ReferenceTensor {
  const size = shape.reduce((p, d) => p * d, 1);
  if (values.length !== size) throw new Error(`ref: ${values.length} values for shape [${shape.join(',')}]`);
  return { shape: [...shape], data: Float64Array.from(values), dtype };
}

/** Values rounded to what `dtype` stores (float32 rounding, int32 truncation, bool 0/1), so references start from exactly the backend's inputs. */
export function storable(value: number, dtype: DType): number {
  switch (dtype) {
    case 'float32': return Math.fround(value);
    case 'int32': return value | 0;
    case 'bool': return value !== 0 ? 1 : 0;
    default: return value;
  }
}

/** Random values in [low, high) for floats, integers in [low, high) for int32, 0/1 for bool. */
export function randomRef(random: () => number, shape: Shape, dtype: DType = 'float32', low = -2, high = 2): ReferenceTensor {
  const size = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const u = random();
    if (dtype === 'bool') data[i] = u < 0.5 ? 0 : 1;
    else if (dtype === 'int32') data[i] = Math.floor(low + u * (high - low));
    else data[i] = storable(low + u * (high - low), dtype);
  }
  return { shape: [...shape], data, dtype };
}

/** A deterministic source of numbers in [0, 1) (mulberry32), independent of the library's Philox. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Row-major coordinates of flat index `flat` in `shape`. */
export function coordsOf(flat: number, shape: Shape): number[] {
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return coords;
}

/** Flat row-major index of `coords` in `shape`. */
export function flatOf(coords: readonly number[], shape: Shape): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + coords[d];
  return flat;
}

/** The broadcast shape of several shapes, by the textbook rule. */
export function broadcastShape(...shapes: Shape[]): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const sizes = shapes.map((s) => s[s.length - n + i] ?? 1);
    const big = sizes.find((d) => d !== 1) ?? 1;
    if (sizes.some((d) => d !== 1 && d !== big)) throw new Error(`broadcastShape: [${shapes.map((s) => s.join(',')).join('] [')}] do not broadcast`);
    out.push(big);
  }
  return out;
}

/** The element of `t` that broadcasting maps to output coordinates `coords`. */
export function broadcastAt(t: ReferenceTensor, coords: readonly number[]): number {
  const lead = coords.length - t.shape.length;
  let flat = 0;
  for (let d = 0; d < t.shape.length; d++) flat = flat * t.shape[d] + (t.shape[d] === 1 ? 0 : coords[lead + d]);
  return t.data[flat];
}

/** Applies `f` elementwise over broadcast inputs in float64; `dtype` is the dtype the op must return. */
export function mapBroadcast(inputs: readonly ReferenceTensor[], dtype: DType, f: (...values: number[]) => number): ReferenceTensor {
  const shape = broadcastShape(...inputs.map((t) => t.shape));
  const size = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const coords = coordsOf(i, shape);
    data[i] = f(...inputs.map((t) => broadcastAt(t, coords)));
  }
  return { shape, data, dtype };
}
