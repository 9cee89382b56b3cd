import { expect } from 'vitest';
import { isFathomError, type FathomErrorKind } from '@fathom/core';

/** Runs `fn` and checks it throws a Fathom error of `kind` (by brand, as across two copies of core) whose message is or matches `message`. */
export function expectFathomError(fn: () => unknown, kind: FathomErrorKind, message: string | RegExp): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a throw').not.toBeNull();
  expect(isFathomError(caught, kind), `expected a ${kind}, got ${String(caught)}`).toBe(true);
  const text = (caught as Error).message;
  if (typeof message === 'string') expect(text).toBe(message);
  else expect(text).toMatch(message);
}
