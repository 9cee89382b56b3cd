import { describe, it, expect } from 'vitest';
import { symmetricEigen } from './symmetric-eigen.js';

/** Uniform values in [-1, 1) from a 32-bit linear congruential generator (Numerical Recipes constants). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  };
}

function randomSymmetric(n: number, seed: number): Float64Array {
  const next = lcg(seed);
  const matrix = new Float64Array(n * n); // (n, n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const value = next();
      matrix[i * n + j] = value;
      matrix[j * n + i] = value;
    }
  }
  return matrix;
}

/** XᵀX / divisor for a random X of shape (rows, columns): a covariance of rank min(rows, columns). */
function randomGram(rows: number, columns: number, seed: number, divisor = 1): Float64Array {
  const next = lcg(seed);
  const samples = Float64Array.from({ length: rows * columns }, next); // (rows, columns)
  const gram = new Float64Array(columns * columns); // (columns, columns)
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < columns; i++) {
      const left = samples[r * columns + i] / divisor;
      for (let j = 0; j < columns; j++) gram[i * columns + j] += left * samples[r * columns + j];
    }
  }
  return gram;
}

function frobeniusNorm(matrix: Float64Array): number {
  let sum = 0;
  for (const value of matrix) sum += value * value;
  return Math.sqrt(sum);
}

/** Largest |(A v_j - λ_j v_j)_i| over the given eigenpairs. */
function eigenResidual(matrix: Float64Array, n: number, values: Float64Array, vectors: Float64Array, pairs: number[]): number {
  let worst = 0;
  for (const j of pairs) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += matrix[i * n + k] * vectors[k * n + j];
      worst = Math.max(worst, Math.abs(sum - values[j] * vectors[i * n + j]));
    }
  }
  return worst;
}

/** Largest |(VᵀV - I)_ij|. */
function orthogonalityError(vectors: Float64Array, n: number): number {
  let worst = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += vectors[i * n + a] * vectors[i * n + b];
      worst = Math.max(worst, Math.abs(sum - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/** Every column's first component of (nearly) largest magnitude is positive. */
function expectSignConvention(vectors: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let largest = 0;
    for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(vectors[i * n + j]));
    let pivot = 0;
    while (Math.abs(vectors[pivot * n + j]) < largest * (1 - 1e-12)) pivot++;
    expect(vectors[pivot * n + j]).toBeGreaterThan(0);
  }
}

function expectDescending(values: Float64Array): void {
  for (let j = 1; j < values.length; j++) expect(values[j]).toBeLessThanOrEqual(values[j - 1]);
}

/** The full set of checks: A·V = V·diag(λ), VᵀV = I, sorted descending, trace = Σλ, signs. */
function expectValidDecomposition(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const { values, vectors } = symmetricEigen(matrix, n);
  expect(values.length).toBe(n);
  expect(vectors.length).toBe(n * n);
  const norm = frobeniusNorm(matrix);
  const all = Array.from({ length: n }, (_, j) => j);
  expect(eigenResidual(matrix, n, values, vectors, all)).toBeLessThanOrEqual(1e-9 * norm);
  expect(orthogonalityError(vectors, n)).toBeLessThanOrEqual(1e-10);
  expectDescending(values);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += matrix[i * n + i];
  const sum = values.reduce((total, value) => total + value, 0);
  expect(Math.abs(trace - sum)).toBeLessThanOrEqual(1e-9 * Math.max(norm, 1));
  expectSignConvention(vectors, n);
  return { values, vectors };
}

describe('symmetricEigen', () => {
  it('decomposes [[2, 1], [1, 2]] into 3, 1 with [1, 1]/√2 and [1, -1]/√2', () => {
    // det(A - λI) = (2 - λ)² - 1 = 0 gives λ = 3 (x = y) and λ = 1 (x = -y).
    const { values, vectors } = expectValidDecomposition(new Float64Array([2, 1, 1, 2]), 2);
    const half = Math.SQRT1_2;
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    // Row-major, columns are eigenvectors; on an exact magnitude tie the first component is positive.
    const expected = [half, half, half, -half];
    for (let index = 0; index < 4; index++) expect(vectors[index]).toBeCloseTo(expected[index], 14);
  });

  it('uses the symmetric part (A + Aᵀ)/2 of a non-symmetric input', () => {
    const { values } = symmetricEigen(new Float64Array([2, 0, 2, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
  });

  it('returns a diagonal matrix entries sorted descending with unit vectors', () => {
    const n = 4;
    const matrix = new Float64Array(n * n);
    const diagonal = [1, -3, 5, 0];
    diagonal.forEach((value, i) => (matrix[i * n + i] = value));
    const { values, vectors } = expectValidDecomposition(matrix, n);
    expect(Array.from(values)).toEqual([5, 1, 0, -3]);
    const source = [2, 0, 3, 1]; // eigenvector j is e[source[j]]
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) expect(vectors[i * n + j]).toBe(i === source[j] ? 1 : 0);
    }
  });

  it('handles repeated eigenvalues', () => {
    // A = H D H with H = I - 2uuᵀ/(uᵀu) a reflection, so the eigenvalues are exactly D's.
    const n = 6;
    const diagonal = [3, -2, 3, 7, -2, 3];
    const u = [1, -2, 0.5, 3, -1, 2];
    const uu = u.reduce((total, value) => total + value * value, 0);
    const reflection = new Float64Array(n * n); // (n, n)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) reflection[i * n + j] = (i === j ? 1 : 0) - (2 * u[i] * u[j]) / uu;
    }
    const matrix = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += reflection[i * n + k] * diagonal[k] * reflection[j * n + k];
        matrix[i * n + j] = sum;
      }
    }
    const { values } = expectValidDecomposition(matrix, n);
    const expected = [7, 3, 3, 3, -2, -2];
    for (let j = 0; j < n; j++) expect(values[j]).toBeCloseTo(expected[j], 12);
  });

  it('handles the identity (every eigenvalue repeated)', () => {
    const n = 5;
    const matrix = new Float64Array(n * n);
    for (let i = 0; i < n; i++) matrix[i * n + i] = 1;
    const { values, vectors } = expectValidDecomposition(matrix, n);
    expect(Array.from(values)).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(vectors)).toEqual(Array.from(matrix));
  });

  it('handles n = 0 and n = 1', () => {
    const empty = symmetricEigen(new Float64Array(0), 0);
    expect(empty.values.length).toBe(0);
    expect(empty.vectors.length).toBe(0);
    const single = symmetricEigen(new Float64Array([-4]), 1);
    expect(Array.from(single.values)).toEqual([-4]);
    expect(Array.from(single.vectors)).toEqual([1]);
  });

  for (const [n, seed] of [
    [1, 11],
    [5, 12],
    [50, 13],
    [200, 14],
  ]) {
    it(`decomposes a random symmetric ${n}×${n} matrix`, () => {
      expectValidDecomposition(randomSymmetric(n, seed), n);
    });
  }

  it('is deterministic', () => {
    const matrix = randomSymmetric(30, 99);
    const first = symmetricEigen(matrix, 30);
    const second = symmetricEigen(matrix, 30);
    expect(Array.from(second.values)).toEqual(Array.from(first.values));
    expect(Array.from(second.vectors)).toEqual(Array.from(first.vectors));
  });

  it('finds the 20 zero eigenvalues of a rank-10 covariance XᵀX with X of shape (10, 30)', () => {
    const n = 30;
    const { values } = expectValidDecomposition(randomGram(10, n, 7), n);
    const largest = values[0];
    for (let j = 0; j < 10; j++) expect(values[j]).toBeGreaterThan(1e-6 * largest);
    for (let j = 10; j < n; j++) expect(Math.abs(values[j])).toBeLessThan(1e-9 * largest);
  });

  it('converges on the all-ones matrix, whose tridiagonal form is graded over hundreds of decades', () => {
    // Regression: with a purely relative deflation test, QL stalled here (the sweeps' rotations underflow).
    const n = 300;
    const { values } = expectValidDecomposition(new Float64Array(n * n).fill(1), n);
    expect(values[0]).toBeCloseTo(n, 10);
    for (let j = 1; j < n; j++) expect(Math.abs(values[j])).toBeLessThan(1e-9 * n);
  });

  it('is unaffected by scaling the matrix by 1e-300 or 1e300', () => {
    const n = 20;
    const matrix = randomSymmetric(n, 5);
    const reference = symmetricEigen(matrix, n);
    for (const factor of [1e-300, 1e300]) {
      const { values, vectors } = symmetricEigen(matrix.map((value) => value * factor), n);
      for (let j = 0; j < n; j++) expect(values[j] / factor).toBeCloseTo(reference.values[j], 12);
      for (let index = 0; index < n * n; index++) expect(vectors[index]).toBeCloseTo(reference.vectors[index], 12);
    }
  });

  it('throws when the length is not n * n', () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/length 5.*n \* n = 4/);
    expect(() => symmetricEigen(new Float64Array(4), 1.5)).toThrow(/non-negative integer, got 1\.5/);
    expect(() => symmetricEigen(new Float64Array(1), -1)).toThrow(/non-negative integer, got -1/);
  });

  it('throws on NaN or infinite entries instead of iterating on them', () => {
    expect(() => symmetricEigen(new Float64Array([1, Number.NaN, Number.NaN, 1]), 2)).toThrow(/NaN at \[0, 1\]/);
    expect(() => symmetricEigen(new Float64Array([1, 0, 0, Infinity]), 2)).toThrow(/Infinity at \[1, 1\]/);
  });

  it('decomposes a 784×784 covariance (MNIST-sized PCA)', { timeout: 120_000 }, () => {
    const n = 784;
    const samples = 100;
    const covariance = randomGram(samples, n, 2024, samples); // XᵀX / m, rank 100
    const { values, vectors } = symmetricEigen(covariance, n);
    expectDescending(values);
    const pairs = [0, 1, 2, 50, 99, 100, 400, 783];
    expect(eigenResidual(covariance, n, values, vectors, pairs)).toBeLessThanOrEqual(1e-9 * frobeniusNorm(covariance));
  });
});
