import { Generator, ValueError, defaultGenerator, philox, randomAt } from '@fathom/core';

const TWO_POW_32 = 4294967296;
// Scratch space for Philox's four output words; JavaScript is single-threaded per realm.
const words = new Uint32Array(4);

/** 53 bits (the most a Generator seed holds) from two 32-bit words. */
function seedFromWords(high: number, low: number): number {
  return (high >>> 11) * TWO_POW_32 + (low >>> 0);
}

/**
 * A seed for a new random stream, drawn from `generator` (the one `manualSeed`
 * seeds by default), so that code which takes no explicit seed is still
 * reproducible after `manualSeed(…)`.
 *
 * ```ts
 * manualSeed(0);
 * const seed = drawSeed(); // the same number on every run
 * ```
 */
export function drawSeed(generator: Generator = defaultGenerator): number {
  const [k0, k1] = generator.key;
  const counter = generator.reserve(1);
  philox(counter % TWO_POW_32, Math.floor(counter / TWO_POW_32), k0, k1, words);
  return seedFromWords(words[0], words[1]);
}

/**
 * The random stream of one sample: a function of the dataset's seed, the epoch,
 * the sample's index and how many times that index was fetched before in the
 * epoch — never of which worker ran it or when. So augmentations are the same
 * with 0 or 8 workers, with or without prefetch, and after resuming from a
 * checkpoint.
 *
 * ```ts
 * const crop = randomCrop(32, { padding: 4 })(image, sampleGenerator(seed, epoch, index, 0));
 * ```
 */
export function sampleGenerator(seed: number, epoch: number, index: number, fetch: number): Generator {
  philox(epoch % TWO_POW_32, fetch % TWO_POW_32, seed % TWO_POW_32, Math.floor(seed / TWO_POW_32), words);
  const k0 = words[0];
  const k1 = words[1];
  philox(index % TWO_POW_32, Math.floor(index / TWO_POW_32), k0, k1, words);
  return new Generator(seedFromWords(words[0], words[1]));
}

/** One uniform draw from [0, 1) (24 bits, as core's `rand`), advancing `generator` by one counter. */
export function uniform(generator: Generator, low = 0, high = 1): number {
  const [k0, k1] = generator.key;
  return low + randomAt('uniform', k0, k1, generator.reserve(1), words) * (high - low);
}

/** One integer drawn uniformly from `low … high − 1`. */
export function randomInt(generator: Generator, low: number, high: number): number {
  return low + Math.min(high - low - 1, Math.floor(uniform(generator) * (high - low)));
}

/** Checks a seed the way `Generator.manualSeed` does, naming the caller. */
export function checkSeed(op: string, seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`${op}: seed must be a non-negative safe integer, got ${seed}`);
  return seed;
}

/**
 * The per-sample random streams of a dataset with random transforms: sample
 * `index` fetched for the `k`-th time in epoch `e` gets
 * {@link sampleGenerator}`(seed, e, index, k)`. A {@link DataLoader} fetches
 * each index once per epoch, so an epoch's augmentations depend only on the
 * seed and the epoch. @internal
 */
export class SampleStreams {
  readonly seed: number;
  private epoch = 0;
  private readonly fetches: Uint16Array;

  constructor(seed: number, length: number) {
    this.seed = seed;
    this.fetches = new Uint16Array(length);
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new ValueError(`setEpoch: epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
    this.fetches.fill(0);
  }

  /** The generator for this fetch of `index`. */
  next(index: number): Generator {
    const fetch = this.fetches[index];
    if (fetch < 65535) this.fetches[index] = fetch + 1;
    return sampleGenerator(this.seed, this.epoch, index, fetch);
  }
}
