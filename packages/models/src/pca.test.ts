import { isFathomError, manualSeed, randn, scopeAsync, tensor, type Tensor } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { PCA } from './pca.js';

/** A tensor's values as rows of plain numbers. */
async function rows(x: Tensor): Promise<number[][]> {
  const values = Array.from(await x.data());
  const [n, d] = x.shape;
  return Array.from({ length: n }, (_, i) => values.slice(i * d, (i + 1) * d));
}

/** Sample variance (divisor n − 1) of each column, with plain loops. */
function columnVariances(data: number[][]): number[] {
  const n = data.length;
  return data[0].map((_, j) => {
    let mean = 0;
    for (const row of data) mean += row[j] / n;
    let squares = 0;
    for (const row of data) squares += (row[j] - mean) ** 2;
    return squares / (n - 1);
  });
}

/** Sample covariance (divisor n − 1) of 2-D points, with plain loops. */
function covariance2x2(points: number[][]): number[][] {
  const n = points.length;
  const mean = [0, 1].map((j) => points.reduce((s, p) => s + p[j], 0) / n);
  const entry = (j: number, l: number): number => points.reduce((s, p) => s + (p[j] - mean[j]) * (p[l] - mean[l]), 0) / (n - 1);
  return [[entry(0, 0), entry(0, 1)], [entry(1, 0), entry(1, 1)]];
}

async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** (n, d) data whose columns have very different spreads, so components are well separated. */
function spreadData(n: number, d: number): Tensor {
  manualSeed(7);
  const scales = tensor(Array.from({ length: d }, (_, j) => 4 / (j + 1)));
  const mixing = randn([d, d]);
  return randn([n, d]).mul(scales).matmul(mixing).add(3);
}

describe('PCA', () => {
  it('finds the direction of points on the line y = 2x', async () => {
    manualSeed(0);
    const t = Array.from({ length: 40 }, (_, i) => -2 + i / 10);
    const noise = Array.from(await randn([40]).mul(1e-3).data());
    const points = tensor(t.map((ti, i) => [ti, 2 * ti + noise[i]])); // (40, 2)
    const pca = await new PCA({ nComponents: 2 }).fit(points);
    const [first, second] = await rows(pca.components);
    // Largest-magnitude entry positive: +[1, 2]/√5 rather than −[1, 2]/√5.
    expect(first[0]).toBeCloseTo(1 / Math.sqrt(5), 3);
    expect(first[1]).toBeCloseTo(2 / Math.sqrt(5), 3);
    expect(Math.abs(second[0])).toBeCloseTo(2 / Math.sqrt(5), 3);
    expect(Math.abs(second[1])).toBeCloseTo(1 / Math.sqrt(5), 3);
    const [ratio] = Array.from(await pca.explainedVarianceRatio.data());
    expect(ratio).toBeGreaterThan(0.99999);
    expect(ratio).toBeLessThanOrEqual(1);
    // The largest eigenvalue of the 2×2 covariance [[a, b], [b, c]], in closed form.
    const [[a, b], [, c]] = covariance2x2(t.map((ti, i) => [ti, 2 * ti + noise[i]]));
    const largest = (a + c) / 2 + Math.sqrt(((a - c) / 2) ** 2 + b * b);
    expect((await pca.explainedVariance.data())[0]).toBeCloseTo(largest, 4);
  });

  it('reconstructs the data exactly with every component', async () => {
    const x = spreadData(30, 6);
    const pca = await new PCA({ nComponents: 6 }).fit(x);
    const back = await rows(pca.inverseTransform(pca.transform(x)));
    const original = await rows(x);
    for (let i = 0; i < 30; i++) for (let j = 0; j < 6; j++) expect(Math.abs(back[i][j] - original[i][j])).toBeLessThan(1e-4);
  });

  it('has orthonormal components, the data mean, and variances equal to those of the projections', async () => {
    const x = spreadData(50, 8);
    const k = 5;
    const pca = await new PCA({ nComponents: k }).fit(x);
    expect(pca.components.shape).toEqual([k, 8]);
    expect(pca.explainedVariance.shape).toEqual([k]);
    expect(pca.nSamples).toBe(50);
    expect(pca.nFeatures).toBe(8);

    const components = await rows(pca.components);
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        let dot = 0;
        for (let j = 0; j < 8; j++) dot += components[a][j] * components[b][j];
        expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-5);
      }
    }

    const data = await rows(x);
    const mean = Array.from(await pca.mean.data());
    for (let j = 0; j < 8; j++) expect(mean[j]).toBeCloseTo(data.reduce((s, row) => s + row[j], 0) / 50, 4);

    // Project with plain loops, then compare the projections' variances.
    const projected = data.map((row) => components.map((c) => c.reduce((s, cj, j) => s + cj * (row[j] - mean[j]), 0)));
    const expected = columnVariances(projected);
    const explained = Array.from(await pca.explainedVariance.data());
    for (let a = 0; a < k; a++) expect(explained[a]).toBeCloseTo(expected[a], 3);
    for (let a = 1; a < k; a++) expect(explained[a]).toBeLessThanOrEqual(explained[a - 1]);

    const total = columnVariances(data).reduce((a, b) => a + b);
    const ratios = Array.from(await pca.explainedVarianceRatio.data());
    for (let a = 0; a < k; a++) expect(ratios[a]).toBeCloseTo(expected[a] / total, 5);

    const z = await rows(pca.transform(x));
    for (let i = 0; i < 50; i++) for (let a = 0; a < k; a++) expect(z[i][a]).toBeCloseTo(projected[i][a], 3);
  });

  it('keeps what it learnt when fitted inside a scope', async () => {
    const x = spreadData(20, 4);
    const pca = new PCA({ nComponents: 2 });
    await scopeAsync(async () => {
      await pca.fit(x);
    });
    expect(pca.components.isReleased).toBe(false);
    expect(pca.transform(x).shape).toEqual([20, 2]);
    pca.dispose();
    expect(pca.isFitted).toBe(false);
  });

  it('rejects a bad nComponents with a ValueError naming it', async () => {
    for (const nComponents of [0, -1, 2.5, Number.NaN]) {
      const error = await thrown(() => new PCA({ nComponents }));
      expect(isFathomError(error, 'ValueError')).toBe(true);
      expect(String(error)).toMatch(/nComponents/);
    }
    const tooMany = await thrown(() => new PCA({ nComponents: 5 }).fit(spreadData(10, 4)));
    expect(isFathomError(tooMany, 'ValueError')).toBe(true);
    expect(String(tooMany)).toMatch(/nComponents = 5 .* min\(samples, features\) = 4/);
  });

  it('rejects input that is not 2-D with a ShapeError, and use before fit', async () => {
    const pca = new PCA({ nComponents: 1 });
    for (const x of [tensor([1, 2, 3]), tensor([[[1, 2], [3, 4]]])]) {
      const error = await thrown(() => pca.fit(x));
      expect(isFathomError(error, 'ShapeError')).toBe(true);
      expect(String(error)).toMatch(/PCA\.fit: expects a 2-D/);
    }
    expect(isFathomError(await thrown(() => pca.components), 'ValueError')).toBe(true);
    await pca.fit(spreadData(10, 3));
    expect(isFathomError(await thrown(() => pca.transform(tensor([[1, 2]]))), 'ShapeError')).toBe(true);
    expect(isFathomError(await thrown(() => pca.inverseTransform(tensor([[1, 2]]))), 'ShapeError')).toBe(true);
  });
});
