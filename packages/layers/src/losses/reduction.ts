import { ValueError, type Tensor } from '@fathom/core';

/** How a loss combines per-element losses: their mean (default), their sum, or none (per-element). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Applies `reduction` to per-element losses. */
export function reduce(losses: Tensor, reduction: Reduction = 'mean'): Tensor {
  switch (reduction) {
    case 'mean': return losses.mean();
    case 'sum': return losses.sum();
    case 'none': return losses;
    default: throw new ValueError(`loss: reduction must be 'mean', 'sum' or 'none', got '${reduction as string}'`);
  }
}
