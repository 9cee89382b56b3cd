import { describe, expect, it } from 'vitest';
import { batchNormTrain, manualSeed, randn } from '@fathom/core';
import { registeredWasmBackend } from './registered-backend.js';

// The kit's cases have short rows; planes of half a million floats around
// 1000 check that batch_norm.c's sums keep the statistics' last digits: one
// float32 running sum per lane over a whole row put this mean 20 ulps off
// (1.2e-3), summing blocks of 256 in float32 and the blocks in double keeps
// it within one.

registeredWasmBackend();

describe('batchNormTrain on wasm over long rows far from zero', () => {
  it('gives the float64 mean to within one float32 ulp and the variance to 1e-6', async () => {
    manualSeed(3);
    const host = randn([2, 2, 1024, 512]).mul(3).add(1000);
    const values = await host.data();
    const { mean, variance } = batchNormTrain(host.to('wasm'), null, null, 1e-5);
    const [means, variances] = [await mean.data(), await variance.data()];
    const plane = 1024 * 512;
    for (let c = 0; c < 2; c++) {
      const at = [0, 1].flatMap((n) => [(n * 2 + c) * plane, (n * 2 + c + 1) * plane]);
      let sum = 0;
      for (let k = 0; k < at.length; k += 2) for (let i = at[k]; i < at[k + 1]; i++) sum += values[i];
      const exact = sum / (2 * plane);
      let squares = 0;
      for (let k = 0; k < at.length; k += 2) for (let i = at[k]; i < at[k + 1]; i++) squares += (values[i] - exact) ** 2;
      const ulp = 2 ** (Math.floor(Math.log2(exact)) - 23);
      expect(Math.abs(means[c] - exact), `channel ${c}'s mean`).toBeLessThanOrEqual(ulp);
      expect(Math.abs(variances[c] / (squares / (2 * plane)) - 1), `channel ${c}'s variance`).toBeLessThan(1e-6);
    }
  });
});
