import { expect } from 'vitest';

/** A seeded linear congruential source of numbers in [−0.5, 0.5) for kernel tests. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

/** Element-wise |a − e| ≤ atol + rtol·|e|, with NaN and ±Inf required at the same places. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e)) expect(Number.isNaN(a), `element ${i}: ${a} vs NaN`).toBe(true);
    else if (!Number.isFinite(e)) expect(a, `element ${i}`).toBe(e);
    else if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) expect.fail(`element ${i}: ${a} vs ${e}`);
  }
}
