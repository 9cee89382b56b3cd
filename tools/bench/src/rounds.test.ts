import { describe, expect, it } from 'vitest';
import { summarize } from './measure.js';
import type { Outcome } from './report.js';
import { medianRound, roundRatio, type RoundOutcomes } from './rounds.js';

const ran = (...samples: number[]): Outcome => ({ status: 'ok', measurement: summarize(samples), throughput: 1000 / summarize(samples).medianMs, leakedTensors: 0, memory: null });
const missing: Outcome = { status: 'n/a', reason: 'n/a (failed)', error: 'no kernel' };

// Three rounds on a shared machine: the second slowed both frameworks, the third only PyTorch.
const rounds: RoundOutcomes[] = [
  { 'fathom-wasm': ran(140, 150, 160), pytorch: ran(90, 91, 92) },
  { 'fathom-wasm': ran(190, 200, 210), pytorch: ran(120, 125, 130) },
  { 'fathom-wasm': ran(145, 146, 147), pytorch: ran(110, 116, 117) },
];

describe('rounds', () => {
  it('ratios are taken round by round, then their median and range', () => {
    const ratio = roundRatio(rounds, 'fathom-wasm', 'pytorch')!;
    // 91/150, 125/200, 116/146
    expect(ratio.rounds).toBe(3);
    expect(ratio.median).toBeCloseTo(125 / 200, 12);
    expect(ratio.low).toBeCloseTo(91 / 150, 12);
    expect(ratio.high).toBeCloseTo(116 / 146, 12);
  });

  it('an even count of rounds takes the mean of the middle two ratios; rounds where one side failed are left out', () => {
    const ratio = roundRatio([rounds[0], rounds[2], { 'fathom-wasm': ran(100), pytorch: missing }], 'fathom-wasm', 'pytorch')!;
    expect(ratio.rounds).toBe(2);
    expect(ratio.median).toBeCloseTo((91 / 150 + 116 / 146) / 2, 12);
    expect(roundRatio([{ 'fathom-wasm': ran(100), pytorch: missing }], 'fathom-wasm', 'pytorch')).toBeNull();
  });

  it('each framework keeps the round whose median is the median of its rounds (the lower middle one for an even count)', () => {
    const combined = medianRound(rounds);
    expect(combined['fathom-wasm']).toBe(rounds[0]['fathom-wasm']); // medians 150, 200, 146: 150 is the first round's
    expect((combined['fathom-wasm'] as Extract<Outcome, { status: 'ok' }>).measurement.medianMs).toBe(150);
    expect((combined.pytorch as Extract<Outcome, { status: 'ok' }>).measurement.medianMs).toBe(116);
    expect(medianRound(rounds.slice(0, 2))['fathom-wasm']).toBe(rounds[0]['fathom-wasm']);
    expect(medianRound([{ pytorch: missing }, { pytorch: missing }]).pytorch).toBe(missing);
  });
});
