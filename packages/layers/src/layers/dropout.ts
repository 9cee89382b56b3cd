import { bernoulli, full, ValueError, type Generator, type Tensor } from '@fathom/core';
import { Module } from '../module.js';

function checkProbability(op: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`${op}: dropout probability must be in [0, 1], got ${p}`);
}

/**
 * Inverted dropout: zeroes each element with probability `p` and scales the
 * rest by 1/(1 − p), so evaluation needs no rescaling. Identity when not training.
 * `maskShape` (default: `x`'s shape) lets whole channels drop together.
 */
export function dropout(x: Tensor, p = 0.5, training = true, options: { generator?: Generator; maskShape?: readonly number[] } = {}): Tensor {
  checkProbability('dropout', p);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keepProbability = full(options.maskShape ?? x.shape, 1 - p, { dtype: x.dtype, device: x.device });
  const mask = bernoulli(keepProbability, { generator: options.generator });
  keepProbability.dispose();
  return x.mul(mask).div(1 - p);
}

/** Dropout layer (`nn.Dropout`): active in training mode, identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkProbability('Dropout', p);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}

/** Drops whole channels of (N, C, H, W) input (`nn.Dropout2d`). */
export class Dropout2d extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkProbability('Dropout2d', p);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, { maskShape: [...x.shape.slice(0, 2), ...x.shape.slice(2).map(() => 1)] });
  }
}
