import { describe, expect, it } from 'vitest';
import { philoxReference, seedKey, uniformReference, normalReference } from '../testing/philox-reference.js';
import { seededRandom } from '../testing/reference.js';
import { mulhi, philox, randomAt, randomBlock } from './philox.js';

// Known-answer vectors of philox4x32-10 from Random123's kat_vectors
// (counter words, key words → output words).
const KNOWN_ANSWERS: readonly { counter: number[]; key: number[]; out: number[] }[] = [
  { counter: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

describe('philox', () => {
  it('matches the Random123 known answer for counter 0, key 0', () => {
    const out = new Uint32Array(4);
    philox(0, 0, 0, 0, out);
    expect([...out]).toEqual(KNOWN_ANSWERS[0].out);
  });

  // The library's philox fixes counter words 2 and 3 at 0, so the other
  // vectors only check the BigInt reference, which is then compared with the
  // library over many counters and keys below.
  it('reference implementation reproduces every known answer', () => {
    for (const { counter, key, out } of KNOWN_ANSWERS) expect(philoxReference(counter, key)).toEqual(out);
  });

  it('agrees with the BigInt reference on random counters and keys (words 2 and 3 of the counter zero)', () => {
    const random = seededRandom(20240601);
    const word = (): number => Math.floor(random() * 4294967296) >>> 0;
    const out = new Uint32Array(4);
    const edges = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    const cases: number[][] = [];
    for (const a of edges) for (const b of edges) cases.push([a, b, b, a]);
    for (let i = 0; i < 500; i++) cases.push([word(), word(), word(), word()]);
    for (const [c0, c1, k0, k1] of cases) {
      philox(c0, c1, k0, k1, out);
      expect([...out], `counter (${c0}, ${c1}), key (${k0}, ${k1})`).toEqual(philoxReference([c0, c1, 0, 0], [k0, k1]));
    }
  });

  it('mulhi is the exact high word of the 64-bit product (checked in BigInt)', () => {
    const random = seededRandom(20240602);
    const word = (): number => Math.floor(random() * 4294967296) >>> 0;
    const edges = [0, 1, 2, 0xffff, 0x10000, 0x10001, 0x7fffffff, 0x80000000, 0x80000001, 0xfffeffff, 0xffff0000, 0xfffffffe, 0xffffffff, 0xd2511f53, 0xcd9e8d57];
    const pairs: [number, number][] = [];
    for (const a of edges) for (const b of edges) pairs.push([a, b]);
    for (let i = 0; i < 20000; i++) pairs.push([word(), word()]);
    for (const [a, b] of pairs) {
      const expected = Number((BigInt(a) * BigInt(b)) >> 32n);
      expect(mulhi(a, b), `mulhi(${a}, ${b})`).toBe(expected);
    }
  });

  it('randomAt follows the documented recipe for uniform and normal draws, in every lane', () => {
    const words = new Uint32Array(4);
    for (const seed of [0, 1, 42, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      const [k0, k1] = seedKey(seed);
      const counters = [0, 1, 2, 3, 4, 5, 6, 7, 1000, 1001, 1002, 1003, 2 ** 32 - 1, 2 ** 32, 2 ** 34 - 1, 2 ** 34, 2 ** 34 + 1, 2 ** 40 + 3, 2 ** 53 - 1];
      for (const counter of counters) {
        expect(randomAt('uniform', k0, k1, counter, words)).toBe(uniformReference(seed, counter));
        expect(randomAt('normal', k0, k1, counter, words)).toBeCloseTo(normalReference(seed, counter), 12);
      }
    }
  });

  it('one block serves four consecutive counters: the lanes of randomBlock are randomAt of 4b … 4b + 3', () => {
    const words = new Uint32Array(4);
    const values = new Float64Array(4);
    for (const block of [0, 1, 2 ** 30, 2 ** 32 - 1, 2 ** 32, 2 ** 50 + 9]) {
      for (const distribution of ['uniform', 'normal'] as const) {
        randomBlock(distribution, 7, 3, block, words, values);
        const lanes = [0, 1, 2, 3].map((lane) => randomAt(distribution, 7, 3, 4 * block + lane, words));
        expect([...values]).toEqual(lanes);
      }
    }
  });

  it('normal lanes pair up as r·cos θ and r·sin θ of one angle', () => {
    const words = new Uint32Array(4);
    for (const block of [0, 5, 123456]) {
      for (const pair of [0, 2]) {
        const even = randomAt('normal', 11, 0, 4 * block + pair, words);
        const odd = randomAt('normal', 11, 0, 4 * block + pair + 1, words);
        philox(block, 0, 11, 0, words);
        const u1 = ((words[pair] >>> 8) + 1) / 16777216;
        expect(even * even + odd * odd).toBeCloseTo(-2 * Math.log(u1), 10);
      }
    }
  });
});
