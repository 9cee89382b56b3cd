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

// High 32 bits of the 64-bit product a*b, exact in doubles: split a into 16-bit halves.
function mulhi(a: number, b: number): number {
  const low = (a & 0xffff) * b;
  const high = (a >>> 16) * b;
  return (Math.floor(high / 65536) + Math.floor(((high % 65536) * 65536 + low) / TWO_POW_32)) >>> 0;
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
 * The shared recipe every backend follows for element `counter` of a draw:
 * counter → `(counter mod 2³², ⌊counter / 2³²⌋, 0, 0)`; uniform takes the top
 * 24 bits of word 0 (so floats in [0, 1) are exact in float32); normal is
 * Box–Muller on words 0 and 1 with u1 shifted into (0, 1] so log never sees 0.
 */
export function randomAt(distribution: 'uniform' | 'normal', k0: number, k1: number, counter: number, words: Uint32Array): number {
  philox(counter % TWO_POW_32, Math.floor(counter / TWO_POW_32), k0, k1, words);
  if (distribution === 'uniform') return (words[0] >>> 8) * TWO_POW_MINUS_24;
  const u1 = ((words[0] >>> 8) + 1) * TWO_POW_MINUS_24;
  const u2 = (words[1] >>> 8) * TWO_POW_MINUS_24;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
