import type { DType, TypedArray } from '../dtype.js';
import { formatShape, type Shape } from '../shape.js';
import type { ReferenceTensor, ToleranceTier } from './op-spec.js';
import { coordsOf } from './reference.js';

/** How far a result may stray from its reference: `|actual − expected| ≤ atol + rtol·|expected|`. */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** What a backend produced, read back to the host. */
export interface ActualTensor {
  readonly shape: Shape;
  readonly data: TypedArray;
  readonly dtype: DType;
}

/**
 * The tolerance table of TESTING.md: float32 results against float64
 * references. `gpu` applies to every backend other than `cpu` (GPUs use
 * fused multiply-adds and faster, less exact transcendental functions).
 */
export const TOLERANCES: Readonly<Record<'cpu' | 'gpu', Readonly<Record<ToleranceTier, Tolerance>>>> = {
  cpu: {
    T1: { rtol: 1e-6, atol: 1e-6 },
    T2: { rtol: 1e-6, atol: 1e-6 },
    T3: { rtol: 1e-5, atol: 1e-5 },
  },
  gpu: {
    T1: { rtol: 1e-5, atol: 1e-6 },
    T2: { rtol: 1e-4, atol: 1e-5 },
    T3: { rtol: 1e-4, atol: 1e-4 },
  },
};

/** The tolerance of `tier` on the backend called `backendName` (`'cpu'` gets the CPU column, any other name the GPU one). */
export function toleranceFor(backendName: string, tier: ToleranceTier): Tolerance {
  return TOLERANCES[backendName === 'cpu' ? 'cpu' : 'gpu'][tier];
}

function describeValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Infinity';
  if (value === -Infinity) return '-Infinity';
  return String(value);
}

// Whether one element matches. Non-finite values match only the same
// non-finite value (NaN with NaN, +Inf with +Inf): a finite result where the
// reference overflows, or NaN where it says Inf, is always a mismatch.
// Integer and bool results have no rounding to forgive, so they must be exact.
function elementMatches(actual: number, expected: number, tolerance: Tolerance, exact: boolean): boolean {
  if (Number.isNaN(expected) || Number.isNaN(actual)) return Number.isNaN(expected) && Number.isNaN(actual);
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return actual === expected;
  if (exact) return actual === expected;
  return Math.abs(actual - expected) <= tolerance.atol + tolerance.rtol * Math.abs(expected);
}

/**
 * Throws unless `actual` has `expected`'s shape and dtype and every element
 * is within `tolerance` of the reference (exactly equal for int32 and bool).
 * NaN and ±Infinity must sit at the same positions, with the same sign.
 * The message names `context`, the first bad element by its coordinates,
 * both values, and how many elements differ.
 */
export function assertClose(actual: ActualTensor, expected: ReferenceTensor, tolerance: Tolerance, context: string): void {
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    throw new Error(`${context}: shape ${formatShape(actual.shape)} differs from the reference's ${formatShape(expected.shape)}`);
  }
  if (actual.dtype !== expected.dtype) {
    throw new Error(`${context}: dtype ${actual.dtype} differs from the reference's ${expected.dtype}`);
  }
  const size = expected.shape.reduce((p, d) => p * d, 1);
  if (expected.data.length !== size) {
    throw new Error(`${context}: the reference holds ${expected.data.length} values for shape ${formatShape(expected.shape)} (${size} elements)`);
  }
  if (actual.data.length !== size) {
    throw new Error(`${context}: read ${actual.data.length} values for shape ${formatShape(actual.shape)} (${size} elements)`);
  }
  const exact = expected.dtype === 'int32' || expected.dtype === 'bool';
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < size; i++) {
    if (!elementMatches(actual.data[i], expected.data[i], tolerance, exact)) {
      if (first < 0) first = i;
      mismatches++;
    }
  }
  if (mismatches === 0) return;
  const a = actual.data[first];
  const e = expected.data[first];
  const bound = exact ? 'exact match' : `atol ${tolerance.atol} + rtol ${tolerance.rtol}·|expected| = ${tolerance.atol + tolerance.rtol * Math.abs(e)}`;
  const difference = Number.isFinite(a) && Number.isFinite(e) ? `, |difference| ${Math.abs(a - e)} > ${bound}` : '';
  throw new Error(
    `${context}: ${mismatches} of ${size} elements differ from the reference; first at [${coordsOf(first, expected.shape).join(',')}]: ` +
      `actual ${describeValue(a)}, expected ${describeValue(e)}${difference} (${expected.dtype}, shape ${formatShape(expected.shape)})`,
  );
}
