import { ValueError } from '@fathom/core';

/**
 * TensorBoard's smoothing: an exponential moving average that is debiased,
 * so the first points are not dragged towards zero. `weight` 0 returns the
 * values unchanged; 0.9 averages over roughly the last ten. Non-finite values
 * are passed through and skipped by the average.
 *
 * ```ts
 * smoothExponential([1, 0, 0], 0.5); // [1, 0.333…, 0.142…]
 * ```
 */
export function smoothExponential(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new ValueError(`smoothExponential: weight must be in [0, 1), got ${weight}`);
  let average = 0;
  let debias = 1;
  return values.map((value) => {
    if (!Number.isFinite(value)) return value;
    average = average * weight + (1 - weight) * value;
    debias *= weight;
    return average / (1 - debias);
  });
}
