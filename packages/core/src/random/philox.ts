// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011): a counter-based generator. Element i of a draw depends only on the
// key and its counter, so any backend (CPU loop, WGSL, WASM) that follows this
// recipe produces the same numbers, in any order, on any number of threads.
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_POW_32 = 4294967296;
const TWO_POW_MINUS_24 = 1 / 16777216;
const TWO_PI = 2 * Math.PI;
// randomAt's four lanes; JavaScript is single-threaded per realm.
const laneValues = new Float64Array(4);

/**
 * High 32 bits of the 64-bit product of two u32 `a` and `b`, exact: both are
 * split into 16-bit halves, so each partial product is below 2³² and
 * `Math.imul(…) >>> 0` is exact, and the schoolbook carries
 * `a·b = ah·bh·2³² + (ah·bl + al·bh)·2¹⁶ + al·bl` stay in 32-bit integer
 * arithmetic (no float division), which V8 keeps in registers.
 */
export function mulhi(a: number, b: number): number {
  const ah = a >>> 16, al = a & 0xffff;
  const bh = b >>> 16, bl = b & 0xffff;
  const lowLow = Math.imul(al, bl) >>> 0;
  const lowHigh = Math.imul(al, bh) >>> 0;
  const highLow = Math.imul(ah, bl) >>> 0;
  const carry = ((lowLow >>> 16) + (lowHigh & 0xffff) + (highLow & 0xffff)) >>> 16;
  return (Math.imul(ah, bh) + (lowHigh >>> 16) + (highLow >>> 16) + carry) >>> 0;
}

/** Writes Philox-4x32-10 of counter `(c0, c1, 0, 0)` under key `(k0, k1)` into `out[0..3]`. */
export function philox(c0: number, c1: number, k0: number, k1: number, out: Uint32Array): void {
  let x0 = c0 >>> 0, x1 = c1 >>> 0, x2 = 0, x3 = 0;
  let key0 = k0 >>> 0, key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, x0), lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi(M1, x2), lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
}

/**
 * The four draws of Philox block `block` (elements `4·block … 4·block + 3`)
 * into `values[0..3]`, using `words` as scratch: see {@link randomAt} for the
 * recipe. A fill loop calls this once per four elements.
 */
export function randomBlock(distribution: 'uniform' | 'normal', k0: number, k1: number, block: number, words: Uint32Array, values: Float64Array): void {
  philox(block % TWO_POW_32, Math.floor(block / TWO_POW_32), k0, k1, words);
  if (distribution === 'uniform') {
    values[0] = (words[0] >>> 8) * TWO_POW_MINUS_24;
    values[1] = (words[1] >>> 8) * TWO_POW_MINUS_24;
    values[2] = (words[2] >>> 8) * TWO_POW_MINUS_24;
    values[3] = (words[3] >>> 8) * TWO_POW_MINUS_24;
    return;
  }
  // Box–Muller gives two independent normals per pair of words: cos and sin of one angle.
  const r01 = Math.sqrt(-2 * Math.log(((words[0] >>> 8) + 1) * TWO_POW_MINUS_24));
  const theta01 = TWO_PI * ((words[1] >>> 8) * TWO_POW_MINUS_24);
  const r23 = Math.sqrt(-2 * Math.log(((words[2] >>> 8) + 1) * TWO_POW_MINUS_24));
  const theta23 = TWO_PI * ((words[3] >>> 8) * TWO_POW_MINUS_24);
  values[0] = r01 * Math.cos(theta01);
  values[1] = r01 * Math.sin(theta01);
  values[2] = r23 * Math.cos(theta23);
  values[3] = r23 * Math.sin(theta23);
}

/**
 * The shared recipe every backend follows for element `counter` of a draw.
 * Each Philox block serves four consecutive counters:
 *
 * - element `c` uses block `b = ⌊c / 4⌋`, i.e. Philox of the counter words
 *   `(b mod 2³², ⌊b / 2³²⌋, 0, 0)` under the key, and lane `c mod 4`;
 * - uniform: the top 24 bits of word[lane] times 2⁻²⁴, so floats in [0, 1)
 *   are exact in float32;
 * - normal: Box–Muller on words (0, 1) for lanes 0 and 1 and on words (2, 3)
 *   for lanes 2 and 3, with `u1 = ((first word >>> 8) + 1)·2⁻²⁴` in (0, 1] so
 *   log never sees 0, `u2 = (second word >>> 8)·2⁻²⁴`, `r = √(−2 ln u1)` and
 *   `θ = 2π·u2`: the even lane is `r·cos θ`, the odd lane `r·sin θ`.
 *
 * So element `c` still depends only on `(key, c)`: a draw at any offset, split
 * over any number of threads, in any order, gives the same numbers.
 *
 * ```ts
 * const words = new Uint32Array(4);
 * const u = randomAt('uniform', 42, 0, 7, words); // element 7 under seed 42: block 1, lane 3
 * ```
 */
export function randomAt(distribution: 'uniform' | 'normal', k0: number, k1: number, counter: number, words: Uint32Array): number {
  const block = Math.floor(counter / 4);
  randomBlock(distribution, k0, k1, block, words, laneValues);
  return laneValues[counter - 4 * block];
}
