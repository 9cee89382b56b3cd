import { describe, expect, it } from 'vitest';
import { expectClose, random } from '../../../test/support/arrays.js';
import type { View } from '../../backend.js';
import { contiguousStrides, sizeOf, type Shape } from '../../shape.js';
import { matmulKernel } from './matmul.js';



function buffer(data: Float32Array | Float64Array) {
  return { dtype: data instanceof Float32Array ? 'float32' as const : 'float64' as const, length: data.length, data };
}

// A view of `shape` over fresh random storage of `storageLength` elements.
function view(shape: Shape, strides: readonly number[], offset: number, storageLength: number, seed: number, float64 = false): View {
  const next = random(seed);
  const data = float64 ? new Float64Array(storageLength) : new Float32Array(storageLength);
  for (let i = 0; i < storageLength; i++) data[i] = next();
  return { buffer: buffer(data), shape, strides, offset };
}

function contiguousView(shape: Shape, seed: number): View {
  return view(shape, contiguousStrides(shape), 0, sizeOf(shape), seed);
}

// The matrix dims of `shape` swapped in memory: a view of shape [..., r, c] over storage laid out [..., c, r].
function transposedView(shape: Shape, seed: number): View {
  const stored = [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
  const strides = contiguousStrides(stored);
  const r = strides.length;
  return view(shape, [...strides.slice(0, -2), strides[r - 1], strides[r - 2]], 0, sizeOf(shape), seed);
}

function element(v: View, index: readonly number[]): number {
  let at = v.offset;
  index.forEach((i, d) => (at += i * v.strides[d]));
  return (v.buffer as unknown as { data: Float32Array }).data[at];
}

// Plain triple loop over every batch index, in float64.
function referenceMatmul(a: View, b: View): Float64Array {
  const r = a.shape.length;
  const batch = a.shape.slice(0, -2);
  const [m, k, n] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
  const out = new Float64Array(sizeOf(batch) * m * n);
  let o = 0;
  for (let t = 0; t < sizeOf(batch); t++) {
    const index: number[] = [];
    for (let d = batch.length - 1, rest = t; d >= 0; d--) {
      index[d] = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += element(a, [...index, i, p]) * element(b, [...index, p, j]);
        out[o++] = sum;
      }
    }
  }
  return out;
}

function runMatmul(a: View, b: View, float64 = false): Float32Array | Float64Array {
  const r = a.shape.length;
  const length = sizeOf(a.shape.slice(0, -2)) * a.shape[r - 2] * b.shape[r - 1];
  const out = buffer(float64 ? new Float64Array(length).fill(5) : new Float32Array(length).fill(5));
  matmulKernel(a, b, out);
  return out.data;
}

// Broadcasts a view to `batch` leading dims with zero strides (as core's broadcastView does).
function broadcastTo(v: View, batch: Shape): View {
  const extra = batch.length - (v.shape.length - 2);
  const strides = [...new Array<number>(extra).fill(0), ...v.strides];
  const shape = [...batch, ...v.shape.slice(-2)];
  v.shape.slice(0, -2).forEach((size, d) => {
    if (size === 1) strides[extra + d] = 0;
  });
  return { ...v, shape, strides };
}

describe('matmulKernel', () => {
  it('multiplies a single 37×29 by 29×53 matrix', () => {
    const a = contiguousView([37, 29], 1), b = contiguousView([29, 53], 2);
    expectClose(runMatmul(a, b), referenceMatmul(a, b));
  });

  it('reads transposed operands through their strides', () => {
    for (const [at, bt] of [[true, false], [false, true], [true, true]]) {
      const a = at ? transposedView([3, 37, 29], 3) : contiguousView([3, 37, 29], 3);
      const b = bt ? transposedView([3, 29, 53], 4) : contiguousView([3, 29, 53], 4);
      expectClose(runMatmul(a, b), referenceMatmul(a, b));
    }
  });

  it('broadcasts a weight over batch dims (stride 0), folding them into M', () => {
    const a = contiguousView([2, 3, 7, 20], 5);
    for (const b of [contiguousView([20, 9], 6), transposedView([20, 9], 6)]) {
      const wide = broadcastTo(b, [2, 3]);
      expectClose(runMatmul(a, wide), referenceMatmul(a, wide));
    }
  });

  it('broadcasts the left operand over the batch of the right one', () => {
    const a = broadcastTo(contiguousView([1, 8, 6], 7), [4]);
    const b = contiguousView([4, 6, 10], 8);
    expectClose(runMatmul(a, b), referenceMatmul(a, b));
  });

  it('handles a mix of broadcast and batched dims in both operands', () => {
    const a = broadcastTo(contiguousView([3, 1, 5, 4], 9), [3, 2]);
    const b = broadcastTo(contiguousView([2, 4, 6], 10), [3, 2]);
    expectClose(runMatmul(a, b), referenceMatmul(a, b));
  });

  it('handles batched rows (M = 1) and columns (N = 1)', () => {
    const rows = contiguousView([5, 1, 30], 11);
    const weight = broadcastTo(contiguousView([30, 12], 12), [5]);
    expectClose(runMatmul(rows, weight), referenceMatmul(rows, weight));
    const matrices = contiguousView([5, 12, 30], 13);
    const columns = contiguousView([5, 30, 1], 14);
    expectClose(runMatmul(matrices, columns), referenceMatmul(matrices, columns));
  });

  it('reads an M = 1 left operand whose batch dims are not row-contiguous', () => {
    // a[i, 0, p] at 3 + 70·i + 2·p: every other element of every other 35-element row
    const a = view([4, 1, 17], [70, 1000, 2], 3, 300, 15);
    const b = broadcastTo(contiguousView([17, 8], 16), [4]);
    expectClose(runMatmul(a, b), referenceMatmul(a, b));
  });

  it('reads sliced operands with offsets and gapped batch strides', () => {
    const a = view([3, 6, 5], [50, 7, 1], 4, 200, 17);
    const b = view([3, 5, 9], [60, 1, 6], 2, 200, 18);
    expectClose(runMatmul(a, b), referenceMatmul(a, b));
  });

  it('gives zeros for K = 0 and writes nothing for an empty batch', () => {
    const a = contiguousView([2, 3, 0], 19), b = contiguousView([2, 0, 4], 20);
    expect([...runMatmul(a, b)]).toEqual(new Array(24).fill(0));
    const none = runMatmul(contiguousView([0, 3, 4], 21), contiguousView([0, 4, 5], 22));
    expect(none.length).toBe(0);
  });

  it('computes float64 to float64 rounding', () => {
    const a = view([2, 40, 33], contiguousStrides([2, 40, 33]), 0, 2640, 23, true);
    const b = view([2, 33, 41], contiguousStrides([2, 33, 41]), 0, 2706, 24, true);
    expectClose(runMatmul(a, b, true), referenceMatmul(a, b), 1e-12, 1e-12);
  });
});
