import { describe, expect, it } from 'vitest';
import { expectClose, random } from '../../../test/support/arrays.js';
import { gemm } from './gemm.js';

// A tiny seeded LCG so failures reproduce.

function randomArray(make: typeof Float32Array | typeof Float64Array, length: number, seed: number): Float32Array | Float64Array {
  const next = random(seed);
  const out = new make(length);
  for (let i = 0; i < length; i++) out[i] = next();
  return out;
}


interface Operand {
  data: Float32Array | Float64Array;
  offset: number;
  rowStride: number;
  colStride: number;
}

// (C +) A·B with plain loops in float64, C (m, n) row-major.
function referenceGemm(m: number, n: number, k: number, a: Operand, b: Operand, c?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = c ? c[i * n + j] : 0;
      for (let p = 0; p < k; p++) sum += a.data[a.offset + i * a.rowStride + p * a.colStride] * b.data[b.offset + p * b.rowStride + j * b.colStride];
      out[i * n + j] = sum;
    }
  }
  return out;
}

type Layout = 'row' | 'column';

// An (rows, cols) matrix stored row-major ('row') or transposed ('column'), after `offset` junk elements.
function matrix(rows: number, cols: number, layout: Layout, offset: number, seed: number, make: typeof Float32Array | typeof Float64Array = Float32Array): Operand {
  const data = randomArray(make, offset + rows * cols, seed);
  return layout === 'row'
    ? { data, offset, rowStride: cols, colStride: 1 }
    : { data, offset, rowStride: 1, colStride: rows };
}

function run(m: number, n: number, k: number, a: Operand, b: Operand, c: Float32Array | Float64Array, cOffset: number, accumulate: boolean): void {
  gemm(m, n, k, a.data, a.offset, a.rowStride, a.colStride, b.data, b.offset, b.rowStride, b.colStride, c, cOffset, accumulate);
}

describe('gemm', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [6, 4, 1], [37, 53, 29], [257, 257, 257], [1, 300, 70], [300, 1, 70], [5, 9, 13],
    [7, 3, 40], [13, 1030, 5], [121, 130, 600],
  ];
  for (const [m, n, k] of shapes) {
    for (const aLayout of ['row', 'column'] as const) {
      for (const bLayout of ['row', 'column'] as const) {
        it(`float32 ${m}×${k} (${aLayout}) · ${k}×${n} (${bLayout}) matches float64 loops`, () => {
          const a = matrix(m, k, aLayout, 3, m * 31 + k);
          const b = matrix(k, n, bLayout, 5, n * 17 + k);
          const c = new Float32Array(2 + m * n).fill(99);
          run(m, n, k, a, b, c, 2, false);
          expect(c[0]).toBe(99);
          expect(c[1]).toBe(99);
          expectClose(c.subarray(2), referenceGemm(m, n, k, a, b));
        });
      }
    }
  }

  it('float64 is exact to rounding', () => {
    const [m, n, k] = [45, 67, 300];
    const a = matrix(m, k, 'row', 0, 1, Float64Array);
    const b = matrix(k, n, 'column', 0, 2, Float64Array);
    const c = new Float64Array(m * n);
    run(m, n, k, a, b, c, 0, false);
    expectClose(c, referenceGemm(m, n, k, a, b), 1e-12, 1e-12);
  });

  it('accumulates into C when asked', () => {
    for (const [m, n, k] of [[37, 53, 29], [2, 9, 300], [20, 2, 7]]) {
      const a = matrix(m, k, 'row', 0, 3);
      const b = matrix(k, n, 'row', 0, 4);
      const c = randomArray(Float32Array, m * n, 5);
      const expected = referenceGemm(m, n, k, a, b, c);
      run(m, n, k, a, b, c, 0, true);
      expectClose(c, expected);
    }
  });

  it('k = 0 gives zeros, or leaves C when accumulating', () => {
    const empty: Operand = { data: new Float32Array(0), offset: 0, rowStride: 0, colStride: 1 };
    const c = new Float32Array(12).fill(7);
    run(3, 4, 0, empty, empty, c, 0, true);
    expect([...c]).toEqual(new Array(12).fill(7));
    run(3, 4, 0, empty, empty, c, 0, false);
    expect([...c]).toEqual(new Array(12).fill(0));
  });

  it('m = 0 or n = 0 writes nothing', () => {
    const a = matrix(4, 4, 'row', 0, 6);
    const c = new Float32Array(4).fill(3);
    run(0, 4, 4, a, a, c, 0, false);
    run(4, 0, 4, a, a, c, 0, false);
    expect([...c]).toEqual([3, 3, 3, 3]);
  });

  it('places NaN and Inf as the definition does, never in padded tile positions', () => {
    for (const [m, n, k] of [[7, 9, 5], [3, 9, 5], [9, 2, 5]]) {
      const a = matrix(m, k, 'row', 0, 7);
      const b = matrix(k, n, 'row', 0, 8);
      a.data[1 * k + 2] = NaN; // row 1 of C is NaN
      b.data[3 * n + (n - 1)] = Infinity; // last column of C is ±Inf (or NaN in row 1)
      const c = new Float32Array(m * n);
      run(m, n, k, a, b, c, 0, false);
      expectClose(c, referenceGemm(m, n, k, a, b));
    }
  });

  it('reads broadcast operands (stride 0)', () => {
    const [m, n, k] = [10, 11, 12];
    const a: Operand = { data: new Float32Array([0.5, 0.25]), offset: 1, rowStride: 0, colStride: 0 };
    const b = matrix(k, n, 'row', 0, 9);
    const c = new Float32Array(m * n);
    run(m, n, k, a, b, c, 0, false);
    expectClose(c, referenceGemm(m, n, k, a, b));
  });
});
