import { shared } from '../shared-state.js';
import { ValueError } from '../errors.js';

/** A generator's whole state: save it in a checkpoint and restore it to continue the same stream. */
export interface GeneratorState {
  readonly seed: number;
  readonly offset: number;
}

/**
 * A seeded stream of Philox counters. Each draw reserves a range of counters
 * (one per element; `random/philox.ts` maps four consecutive counters to one
 * Philox block) and advances the offset past it, so the numbers depend only on
 * the seed and the order of draws — never on the device.
 */
export class Generator {
  private seedValue = 0;
  private offsetValue = 0;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Restarts the stream from `seed` (a non-negative safe integer). */
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new ValueError(`manualSeed: seed must be a non-negative safe integer, got ${seed}`);
    }
    this.seedValue = seed;
    this.offsetValue = 0;
    return this;
  }

  /** The 64-bit Philox key as two 32-bit halves. */
  get key(): readonly [number, number] {
    return [this.seedValue % 4294967296, Math.floor(this.seedValue / 4294967296)];
  }

  /** Reserves `count` counters and returns the first. */
  reserve(count: number): number {
    const first = this.offsetValue;
    this.offsetValue += count;
    return first;
  }

  /** The state to save. */
  getState(): GeneratorState {
    return { seed: this.seedValue, offset: this.offsetValue };
  }

  /** Restores a state from {@link getState}. */
  setState(state: GeneratorState): this {
    this.manualSeed(state.seed);
    if (!Number.isSafeInteger(state.offset) || state.offset < 0) {
      throw new ValueError(`Generator.setState: offset must be a non-negative safe integer, got ${state.offset}`);
    }
    this.offsetValue = state.offset;
    return this;
  }
}

/** The generator random ops use unless given one. */
export const defaultGenerator = shared('defaultGenerator', () => new Generator(0));

/** Seeds the default generator, as `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
