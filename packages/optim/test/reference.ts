import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/**
 * Values printed by PyTorch 1.13 (Debian's python3-torch) running
 * reference/optim_ref.py, in float64:
 *   /usr/bin/python3 packages/optim/test/reference/optim_ref.py > packages/optim/test/reference/optim_ref.json
 */
export interface TorchReference {
  torch: string;
  steps: number;
  p0: number[][];
  p1: number[];
  /** grads[t] = [gradient of p0 (2×3), gradient of p1 (4)] at step t. */
  grads: [number[][], number[]][];
  /** optimizers[case][t] = [p0 flattened, p1] after step t + 1. */
  optimizers: Record<string, [number[], number[]][]>;
  adam_state_dict: { state: Record<string, Record<string, number | number[]>>; param_groups: Record<string, unknown>[] };
  schedulers: Record<string, unknown>;
  clip: Record<string, { total: number; grads: [number[], number[]] } | number[]>;
}

export const torchReference = JSON.parse(readFileSync(new URL('./reference/optim_ref.json', import.meta.url), 'utf8')) as TorchReference;

/** |actual − expected| ≤ atol + rtol·|expected| elementwise, with a message naming the first element that is not. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, context: string, rtol = 1e-12, atol = 1e-14): void {
  expect(actual.length, `${context}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) expect.fail(`${context}[${i}]: got ${a}, expected ${e} (difference ${Math.abs(a - e)})`);
  }
}
