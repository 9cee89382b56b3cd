import type { FrameworkName } from './case.js';
import type { Outcome } from './report.js';

/** Every framework's outcome on one case in one round (the frameworks take turns within a round). */
export type RoundOutcomes = Readonly<Partial<Record<FrameworkName, Outcome>>>;

/** A peer's median ÷ ours, round by round: their median and range over the rounds where both ran. */
export interface RoundRatio {
  readonly median: number;
  readonly low: number;
  readonly high: number;
  /** Rounds where both ran. */
  readonly rounds: number;
}

const middle = (sorted: readonly number[]): number => {
  const half = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
};

/**
 * Each framework's outcome from the round whose median time is the median
 * of its rounds' (the lower of the middle two for an even count): figures
 * that one real run produced, memory included. A framework that ran in no
 * round keeps its first round's n/a.
 */
export function medianRound(rounds: readonly RoundOutcomes[]): RoundOutcomes {
  const combined: Partial<Record<FrameworkName, Outcome>> = {};
  const frameworks = new Set(rounds.flatMap((round) => Object.keys(round) as FrameworkName[]));
  for (const framework of frameworks) {
    const ran = rounds.map((round) => round[framework]).filter((outcome): outcome is Extract<Outcome, { status: 'ok' }> => outcome?.status === 'ok');
    if (ran.length === 0) {
      combined[framework] = rounds.map((round) => round[framework]).find((outcome) => outcome !== undefined);
      continue;
    }
    const sorted = [...ran].sort((a, b) => a.measurement.medianMs - b.measurement.medianMs);
    combined[framework] = sorted[(sorted.length - 1) >> 1];
  }
  return combined;
}

/**
 * `peer`'s median time ÷ `ours`, in each round where both ran, so that a
 * slow spell of a shared machine weighs on both sides of a ratio rather than
 * on one framework; null where they never ran in the same round.
 */
export function roundRatio(rounds: readonly RoundOutcomes[], ours: FrameworkName, peer: FrameworkName): RoundRatio | null {
  const ratios: number[] = [];
  for (const round of rounds) {
    const mine = round[ours];
    const theirs = round[peer];
    if (mine?.status === 'ok' && theirs?.status === 'ok') ratios.push(theirs.measurement.medianMs / mine.measurement.medianMs);
  }
  if (ratios.length === 0) return null;
  ratios.sort((a, b) => a - b);
  return { median: middle(ratios), low: ratios[0], high: ratios[ratios.length - 1], rounds: ratios.length };
}
