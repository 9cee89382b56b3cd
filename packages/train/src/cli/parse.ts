import { InvalidArgumentError } from 'commander';

/** A flag's value that must be a positive integer. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return parsed;
}

/** A flag's value that must be an integer ≥ 0. */
export function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(parsed)) throw new InvalidArgumentError(`expected an integer ≥ 0, got '${value}'`);
  return parsed;
}

/** A flag's value that must be a finite number ≥ 0. */
export function nonNegativeNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got '${value}'`);
  return parsed;
}

/** A flag's value that must be a finite number > 0. */
export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError(`expected a number > 0, got '${value}'`);
  return parsed;
}

/** A probability in [0, 1). */
export function probability(value: string): number {
  const parsed = nonNegativeNumber(value);
  if (parsed >= 1) throw new InvalidArgumentError(`expected a number in [0, 1), got '${value}'`);
  return parsed;
}
