import { noGrad } from '@fathom/autograd';
import type { Tensor } from '@fathom/core';

/**
 * How many rows of `logits` (N, C) rank their label among the top `k`
 * classes, as a 0-d float32 tensor computed on the logits' device. A row's
 * rank is the number of classes scoring strictly higher than its label, so
 * ties count in the label's favour (as `torch.topk` would keep the label
 * when it ties at the boundary, up to order).
 */
export function topkCorrect(logits: Tensor, labels: Tensor, k: number): Tensor {
  return noGrad(() => {
    const own = logits.gather(1, labels.reshape(-1, 1)); // (N, 1)
    const rank = logits.gt(own).cast('float32').sum(1); // (N)
    return rank.lt(k).cast('float32').sum();
  });
}
