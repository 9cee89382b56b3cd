import { ValueError } from '@fathom/core';

// Checks shared by the optimizers and schedulers. Each throws a ValueError that
// names who complained, the hyper-parameter and the value it got, e.g.
// `SGD: invalid lr -0.1 (must be ≥ 0)`.

function invalid(owner: string, name: string, value: unknown, requirement: string): ValueError {
  const shown = Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
  return new ValueError(`${owner}: invalid ${name} ${shown} (${requirement})`);
}

/** A number (not NaN) for which `ok` holds. */
export function requireNumber(owner: string, name: string, value: unknown, ok: (value: number) => boolean, requirement: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok(value)) throw invalid(owner, name, value, requirement);
  return value;
}

/** A number ≥ 0: learning rates, eps, weight decay, momentum. */
export function requireNonNegative(owner: string, name: string, value: unknown): number {
  return requireNumber(owner, name, value, (v) => v >= 0, 'must be ≥ 0');
}

/** An integer ≥ `least`: step sizes, patience, step counts. */
export function requireInteger(owner: string, name: string, value: unknown, least: number): number {
  return requireNumber(owner, name, value, (v) => Number.isInteger(v) && v >= least, `must be an integer ≥ ${least}`);
}

/** `true` or `false`. */
export function requireBoolean(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(owner, name, value, 'must be true or false');
  return value;
}

/** One of the listed strings. */
export function requireChoice<T extends string>(owner: string, name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw invalid(owner, name, value, `must be one of ${choices.map((c) => `'${c}'`).join(', ')}`);
  }
  return value as T;
}

/** Adam's `betas`: two numbers, each in [0, 1). */
export function requireBetas(owner: string, value: unknown): readonly [number, number] {
  if (!Array.isArray(value) || value.length !== 2) throw invalid(owner, 'betas', value, 'must be two numbers in [0, 1)');
  const inUnitInterval = (v: number): boolean => v >= 0 && v < 1;
  requireNumber(owner, 'betas[0]', value[0], inUnitInterval, 'must be in [0, 1)');
  requireNumber(owner, 'betas[1]', value[1], inUnitInterval, 'must be in [0, 1)');
  return [value[0], value[1]];
}

/** One value per parameter group: a single number is repeated; a list must have one entry per group. */
export function perGroup(owner: string, name: string, value: number | readonly number[], groups: number): number[] {
  if (typeof value === 'number') return new Array<number>(groups).fill(value);
  if (value.length !== groups) throw new ValueError(`${owner}: expected ${groups} values for ${name} (one per parameter group), got ${value.length}`);
  return [...value];
}
