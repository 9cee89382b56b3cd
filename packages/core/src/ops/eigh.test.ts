import { describe, expect, it } from 'vitest';
import { DTypeError, eigh, ShapeError, tensor, type Tensor } from '../index.js';
import { seededRandom } from '../testing/reference.js';

// eigh is async (it reads the matrix back to the host), so it is checked here
// rather than in the conformance kit, whose samples run synchronously.

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** A random symmetric n×n matrix, row-major, entries in [-1, 1). */
function randomSymmetric(n: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const a = new Float64Array(n * n); // (n, n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = random() * 2 - 1;
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** max |V·diag(λ)·Vᵀ − A| in float64. */
function reconstructionError(a: ArrayLike<number>, lambda: ArrayLike<number>, v: ArrayLike<number>, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v[i * n + k] * lambda[k] * v[j * n + k];
      worst = Math.max(worst, Math.abs(s - a[i * n + j]));
    }
  }
  return worst;
}

/** max |VᵀV − I|: the eigenvectors (columns) are orthonormal. */
function orthogonalityError(v: ArrayLike<number>, n: number): number {
  let worst = 0;
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += v[i * n + p] * v[i * n + q];
      worst = Math.max(worst, Math.abs(s - (p === q ? 1 : 0)));
    }
  }
  return worst;
}

describe('eigh', () => {
  it('decomposes a 3×3 matrix worked by hand', async () => {
    // The second-difference matrix: λ = 2 + √2, 2, 2 − √2 with eigenvectors
    // (1, −√2, 1)/2, (1, 0, −1)/√2, (1, √2, 1)/2 — oriented so the largest
    // component is positive (the first of a tie).
    const a = tensor([[2, -1, 0], [-1, 2, -1], [0, -1, 2]], { dtype: 'float64' });
    const { eigenvalues, eigenvectors } = await eigh(a);
    expect(eigenvalues.shape).toEqual([3]);
    expect(eigenvectors.shape).toEqual([3, 3]);
    expect(eigenvalues.dtype).toBe('float64');
    const s = Math.SQRT2;
    const expectedValues = [2 + s, 2, 2 - s];
    const columns = [[-0.5, s / 2, -0.5], [1 / s, 0, -1 / s], [0.5, s / 2, 0.5]];
    const lambda = await values(eigenvalues);
    const v = await values(eigenvectors);
    for (let j = 0; j < 3; j++) {
      expect(lambda[j]).toBeCloseTo(expectedValues[j], 12);
      for (let i = 0; i < 3; i++) expect(v[i * 3 + j]).toBeCloseTo(columns[j][i], 12);
    }
  });

  it('handles a diagonal matrix and a 1×1 matrix', async () => {
    const d = await eigh(tensor([[1, 0, 0], [0, 5, 0], [0, 0, 3]], { dtype: 'float64' }));
    expect(await values(d.eigenvalues)).toEqual([5, 3, 1]);
    expect(await values(d.eigenvectors)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    const one = await eigh(tensor([[-2.5]]));
    expect(await values(one.eigenvalues)).toEqual([-2.5]);
    expect(await values(one.eigenvectors)).toEqual([1]);
  });

  it('reconstructs a random symmetric 20×20 matrix as V·diag(λ)·Vᵀ (float64)', async () => {
    const n = 20;
    const a = randomSymmetric(n, 7);
    const { eigenvalues, eigenvectors } = await eigh(tensor(a, { shape: [n, n] }));
    expect(eigenvalues.dtype).toBe('float64');
    const lambda = await values(eigenvalues);
    const v = await values(eigenvectors);
    expect(reconstructionError(a, lambda, v, n)).toBeLessThan(1e-12);
    expect(orthogonalityError(v, n)).toBeLessThan(1e-12);
    // The trace is the sum of the eigenvalues.
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    expect(lambda.reduce((p, x) => p + x, 0)).toBeCloseTo(trace, 10);
  });

  it('returns eigenvalues in descending order', async () => {
    const n = 20;
    const { eigenvalues } = await eigh(tensor(randomSymmetric(n, 11), { shape: [n, n] }));
    const lambda = await values(eigenvalues);
    for (let k = 1; k < n; k++) expect(lambda[k]).toBeLessThanOrEqual(lambda[k - 1]);
  });

  it('keeps a float32 input float32, accurate to float32 precision', async () => {
    const n = 20;
    const a = Float32Array.from(randomSymmetric(n, 13));
    const { eigenvalues, eigenvectors } = await eigh(tensor(a, { shape: [n, n] }));
    expect(eigenvalues.dtype).toBe('float32');
    expect(eigenvectors.dtype).toBe('float32');
    const lambda = await values(eigenvalues);
    const v = await values(eigenvectors);
    expect(reconstructionError(a, lambda, v, n)).toBeLessThan(1e-5);
    expect(orthogonalityError(v, n)).toBeLessThan(1e-5);
  });

  it('reads a strided (non-contiguous) view by its values', async () => {
    const n = 6;
    const a = randomSymmetric(n, 17);
    // Every other column of an (n, 2n) matrix whose skipped columns hold NaN.
    const wide = new Float64Array(n * 2 * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < 2 * n; j++) wide[i * 2 * n + j] = j % 2 === 0 ? a[i * n + j / 2] : NaN;
    const x = tensor(wide, { shape: [n, 2 * n] }).slice(1, 0, undefined, 2);
    expect(x.isContiguous()).toBe(false);
    const { eigenvalues, eigenvectors } = await eigh(x);
    expect(reconstructionError(a, await values(eigenvalues), await values(eigenvectors), n)).toBeLessThan(1e-12);
  });

  it('rejects a non-square matrix with a ShapeError', async () => {
    await expect(eigh(tensor([[1, 2, 3], [4, 5, 6]]))).rejects.toThrow(ShapeError);
    await expect(eigh(tensor([[1, 2, 3], [4, 5, 6]]))).rejects.toThrow(/\[2,3\]/);
    await expect(eigh(tensor([1, 2, 3]))).rejects.toThrow(ShapeError);
    await expect(eigh(tensor([[[1]]]))).rejects.toThrow(ShapeError);
  });

  it('rejects an integer matrix with a DTypeError', async () => {
    await expect(eigh(tensor([[1, 0], [0, 1]], { dtype: 'int32' }))).rejects.toThrow(DTypeError);
  });
});
