import { describe, expect, it } from 'vitest';
import { drawIndex, nextTokenDistribution } from './next-token.js';

// Logits ln 1 … ln 4: softmax gives 0.1, 0.2, 0.3, 0.4 exactly.
const LOGITS = [Math.log(1), Math.log(2), Math.log(3), Math.log(4)];

function expectClose(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 12));
}

describe('nextTokenDistribution', () => {
  it('is the softmax of logits / temperature', () => {
    expectClose(nextTokenDistribution(LOGITS), [0.1, 0.2, 0.3, 0.4]);
    expectClose(nextTokenDistribution(LOGITS, { temperature: 0.5 }), [1 / 30, 4 / 30, 9 / 30, 16 / 30]); // p ∝ i²
    expectClose(nextTokenDistribution(LOGITS, { temperature: 0 }), [0, 0, 0, 1]);
  });

  it('keeps the k most likely with top-k, renormalized', () => {
    expectClose(nextTokenDistribution(LOGITS, { topK: 2 }), [0, 0, 3 / 7, 4 / 7]);
    expectClose(nextTokenDistribution(LOGITS, { topK: 1 }), [0, 0, 0, 1]);
    expectClose(nextTokenDistribution(LOGITS, { topK: 10 }), [0.1, 0.2, 0.3, 0.4]);
    expectClose(nextTokenDistribution([2, 5, 5, 1], { topK: 1 }), [0, 1, 0, 0]); // a tie keeps the lower index
  });

  it('keeps the fewest most likely whose mass reaches p with top-p, renormalized', () => {
    expectClose(nextTokenDistribution(LOGITS, { topP: 0.4 }), [0, 0, 0, 1]); // 0.4 reaches 0.4
    expectClose(nextTokenDistribution(LOGITS, { topP: 0.5 }), [0, 0, 3 / 7, 4 / 7]); // 0.4 + 0.3
    expectClose(nextTokenDistribution(LOGITS, { topP: 0.95 }), [0.1, 0.2, 0.3, 0.4]); // all four needed
    expectClose(nextTokenDistribution(LOGITS, { topP: 0.01 }), [0, 0, 0, 1]); // the most likely always stays
    expectClose(nextTokenDistribution(LOGITS, { topK: 3, topP: 0.8 }), [0, 2 / 9, 3 / 9, 4 / 9]); // 4/9 + 3/9 < 0.8 of what top-k kept
    expectClose(nextTokenDistribution(LOGITS, { topK: 2, topP: 0.5 }), [0, 0, 0, 1]); // top-p of what top-k kept: 4/7 ≥ 0.5
  });

  it('rejects bad settings', () => {
    expect(() => nextTokenDistribution(LOGITS, { temperature: -1 })).toThrow(/temperature must be a finite number ≥ 0/);
    expect(() => nextTokenDistribution(LOGITS, { topK: 0 })).toThrow(/topK must be a positive integer/);
    expect(() => nextTokenDistribution(LOGITS, { topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
  });
});

describe('drawIndex', () => {
  it('takes the first index whose cumulative probability exceeds u, skipping zeros', () => {
    const p = [0.1, 0, 0.3, 0.6];
    expect(drawIndex(p, 0)).toBe(0);
    expect(drawIndex(p, 0.0999)).toBe(0);
    expect(drawIndex(p, 0.1)).toBe(2);
    expect(drawIndex(p, 0.39)).toBe(2);
    expect(drawIndex(p, 0.4)).toBe(3);
    expect(drawIndex([0.5, 0.49999, 0], 0.999999)).toBe(1); // rounding short of 1: the last nonzero
  });
});
