import { ValueError } from '@fathom/core';

/** How the next character is drawn. */
export interface SamplingOptions {
  /** Divides the logits: below 1 sharper, above 1 flatter; 0 always takes the most likely (default 1). */
  readonly temperature?: number;
  /** Keep only the k most likely characters (default: all). */
  readonly topK?: number;
  /** Keep the fewest most likely characters whose probabilities reach p (nucleus sampling; default 1: all). */
  readonly topP?: number;
}

/**
 * The distribution the next character is drawn from, in float64: softmax of
 * `logits / temperature`, cut to the `topK` most likely and then to the
 * smallest of those whose share of their mass reaches `topP` (the most
 * likely always stays), renormalized. Ties keep the lower index. Temperature 0 puts all the mass
 * on the most likely character.
 */
export function nextTokenDistribution(logits: ArrayLike<number>, options: SamplingOptions = {}): Float64Array {
  const { temperature = 1, topK = logits.length, topP = 1 } = options;
  if (!(temperature >= 0 && Number.isFinite(temperature))) throw new ValueError(`temperature must be a finite number ≥ 0, got ${temperature}`);
  if (!(Number.isInteger(topK) && topK >= 1)) throw new ValueError(`topK must be a positive integer, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new ValueError(`topP must be in (0, 1], got ${topP}`);
  const n = logits.length;
  // Most likely first; a stable sort keeps the lower index first among ties.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  const probabilities = new Float64Array(n);
  if (temperature === 0) {
    probabilities[order[0]] = 1;
    return probabilities;
  }
  const top = logits[order[0]];
  for (let i = 0; i < n; i++) probabilities[i] = Math.exp((logits[i] - top) / temperature);
  let kept = Math.min(topK, n);
  let keptTotal = 0;
  for (let rank = 0; rank < kept; rank++) keptTotal += probabilities[order[rank]];
  if (topP < 1) {
    // Of what top-k kept, as Hugging Face's samplers apply the two.
    let mass = 0;
    for (let rank = 0; rank < kept; rank++) {
      mass += probabilities[order[rank]];
      if (mass >= topP * keptTotal) {
        kept = rank + 1;
        keptTotal = mass;
        break;
      }
    }
  }
  for (let rank = kept; rank < n; rank++) probabilities[order[rank]] = 0;
  for (let i = 0; i < n; i++) probabilities[i] /= keptTotal;
  return probabilities;
}

/** The index whose cumulative probability first exceeds `u` in [0, 1) (the last nonzero one if rounding leaves u beyond the sum). */
export function drawIndex(probabilities: ArrayLike<number>, u: number): number {
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probabilities.length; i++) {
    if (probabilities[i] <= 0) continue;
    cumulative += probabilities[i];
    last = i;
    if (u < cumulative) return i;
  }
  return last;
}
