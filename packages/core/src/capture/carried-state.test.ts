import { describe, expect, it } from 'vitest';
import type { BackendBuffer } from '../backend.js';
import { orderCopies } from './carried-state.js';

// Buffers as names; running the ordered copies on a map of values must give
// every target its source's value from before any copy, as if all ran at once.
const buffer = (name: string): BackendBuffer => ({ dtype: 'float32', length: 1, name } as unknown as BackendBuffer);

function check(pairs: [BackendBuffer, BackendBuffer][]): number {
  let spares = 0;
  const ordered = orderCopies(pairs, { spare: () => buffer(`spare${spares++}`) });
  const values = new Map<BackendBuffer, string>();
  for (const [from, to] of pairs) {
    values.set(from, `value of ${(from as unknown as { name: string }).name}`);
    if (!values.has(to)) values.set(to, 'stale');
  }
  const expected = new Map(pairs.map(([from, to]) => [to, values.get(from)]));
  for (const [from, to] of ordered) values.set(to, values.get(from)!);
  for (const [to, value] of expected) expect(values.get(to)).toBe(value);
  return spares;
}

describe('orderCopies', () => {
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(buffer);

  it('keeps independent copies as they are', () => {
    expect(check([[a, b], [c, d]])).toBe(0);
  });

  it('reads a buffer before a chain overwrites it', () => {
    // b is written by the first pair and read by the second: the second must go first.
    expect(check([[a, b], [b, c], [c, d]])).toBe(0);
  });

  it('breaks a cycle of two (two momentum buffers trading places) through one spare', () => {
    expect(check([[a, b], [b, a]])).toBe(1);
  });

  it('breaks a cycle of three, beside a chain, through one spare', () => {
    expect(check([[a, b], [b, c], [c, a], [d, buffer('e')]])).toBe(1);
  });
});
