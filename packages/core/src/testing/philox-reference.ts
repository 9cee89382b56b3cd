// An independent Philox-4x32-10 for the conformance kit, written from the
// paper (Salmon et al., SC 2011) and Random123's philox.h with BigInt
// arithmetic, so it shares no code — and no 32-bit multiplication tricks —
// with `random/philox.ts`. Slow, and only for checking.

const MASK = 0xffffffffn;
const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const W0 = 0x9e3779b9n;
const W1 = 0xbb67ae85n;
const TWO_POW_32 = 4294967296;

/** Philox-4x32 with `rounds` rounds of a 4-word counter under a 2-word key; returns the 4 output words. */
export function philoxReference(counter: readonly number[], key: readonly number[], rounds = 10): [number, number, number, number] {
  if (counter.length !== 4 || key.length !== 2) throw new Error('philoxReference: needs 4 counter words and 2 key words');
  let [x0, x1, x2, x3] = counter.map((w) => BigInt(w >>> 0));
  let [k0, k1] = key.map((w) => BigInt(w >>> 0));
  for (let round = 0; round < rounds; round++) {
    if (round > 0) {
      k0 = (k0 + W0) & MASK;
      k1 = (k1 + W1) & MASK;
    }
    const p0 = M0 * x0;
    const p1 = M1 * x2;
    [x0, x1, x2, x3] = [(p1 >> 32n) ^ x1 ^ k0, p1 & MASK, (p0 >> 32n) ^ x3 ^ k1, p0 & MASK];
  }
  return [Number(x0), Number(x1), Number(x2), Number(x3)];
}

/** The Philox key of a seed: its low and high 32 bits. */
export function seedKey(seed: number): [number, number] {
  return [seed % TWO_POW_32, Math.floor(seed / TWO_POW_32)];
}

// The recipe documented in random/philox.ts: element `counter` of a draw uses
// the counter words (counter mod 2³², ⌊counter / 2³²⌋, 0, 0).
function wordsAt(seed: number, counter: number): [number, number, number, number] {
  return philoxReference([counter % TWO_POW_32, Math.floor(counter / TWO_POW_32), 0, 0], seedKey(seed));
}

/** Uniform draw in [0, 1) of element `counter` under `seed`: the top 24 bits of word 0, scaled by 2⁻²⁴. */
export function uniformReference(seed: number, counter: number): number {
  return Math.floor(wordsAt(seed, counter)[0] / 256) / 16777216;
}

/** Standard normal draw: Box–Muller on words 0 and 1, with u1 = (top 24 bits + 1)·2⁻²⁴ in (0, 1]. */
export function normalReference(seed: number, counter: number): number {
  const [w0, w1] = wordsAt(seed, counter);
  const u1 = (Math.floor(w0 / 256) + 1) / 16777216;
  const u2 = Math.floor(w1 / 256) / 16777216;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** `count` uniform draws from counter `first` on. */
export function uniformDraws(seed: number, first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => uniformReference(seed, first + i));
}

/** `count` normal draws from counter `first` on. */
export function normalDraws(seed: number, first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => normalReference(seed, first + i));
}

/** A permutation of 0…n−1 by Fisher–Yates from the end, step i using the uniform draw of counter `first + i`. */
export function permutationReference(seed: number, first: number, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniformReference(seed, first + i) * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
