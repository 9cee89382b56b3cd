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

// The recipe documented in random/philox.ts: element `counter` of a draw is
// lane `counter mod 4` of the block `⌊counter / 4⌋`, whose counter words are
// (block mod 2³², ⌊block / 2³²⌋, 0, 0). Worked out in BigInt, element by element.
function blockOf(seed: number, counter: number): { words: [number, number, number, number]; lane: number } {
  const c = BigInt(counter);
  const block = c / 4n;
  const words = philoxReference([Number(block & MASK), Number(block >> 32n), 0, 0], seedKey(seed));
  return { words, lane: Number(c % 4n) };
}

/** Uniform draw in [0, 1) of element `counter` under `seed`: the top 24 bits of word[lane], scaled by 2⁻²⁴. */
export function uniformReference(seed: number, counter: number): number {
  const { words, lane } = blockOf(seed, counter);
  return Math.floor(words[lane] / 256) / 16777216;
}

/**
 * Standard normal draw: Box–Muller on words (0, 1) for lanes 0 and 1, on words
 * (2, 3) for lanes 2 and 3, with u1 = (top 24 bits of the first + 1)·2⁻²⁴ in
 * (0, 1] and u2 = (top 24 bits of the second)·2⁻²⁴; the even lane takes the
 * cosine, the odd lane the sine.
 */
export function normalReference(seed: number, counter: number): number {
  const { words, lane } = blockOf(seed, counter);
  const first = lane < 2 ? words[0] : words[2];
  const second = lane < 2 ? words[1] : words[3];
  const u1 = (Math.floor(first / 256) + 1) / 16777216;
  const u2 = Math.floor(second / 256) / 16777216;
  const radius = Math.sqrt(-2 * Math.log(u1));
  const angle = 2 * Math.PI * u2;
  return lane % 2 === 0 ? radius * Math.cos(angle) : radius * Math.sin(angle);
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
