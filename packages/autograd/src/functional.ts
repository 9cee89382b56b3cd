import { ValueError, type Tensor } from '@fathom/core';
import { enableGrad } from './grad-mode.js';
import { useAutograd } from './use-autograd.js';

/**
 * The value of scalar function `f` and its gradients with respect to every
 * input, without touching the inputs' own `.grad` (JAX's `value_and_grad`).
 *
 * ```ts
 * const [value, [dx]] = valueAndGrad((x) => x.square().sum())(tensor([1, 2]));
 * ```
 */
export function valueAndGrad<Args extends Tensor[]>(f: (...inputs: Args) => Tensor): (...inputs: Args) => [Tensor, Tensor[]] {
  return (...inputs: Args) => {
    useAutograd();
    const leaves = inputs.map((t) => t.detach().setRequiresGrad(true)) as Args;
    const value = enableGrad(() => f(...leaves));
    if (value.numel !== 1) throw new ValueError(`valueAndGrad: f must return one element, got shape [${value.shape.join(',')}]`);
    value.backward();
    const grads = leaves.map((leaf) => leaf.grad ?? leaf.newZeros(leaf.shape));
    return [value.detach(), grads];
  };
}

/** Gradients of scalar function `f` with respect to each input (`torch.func.grad`). */
export function grad<Args extends Tensor[]>(f: (...inputs: Args) => Tensor): (...inputs: Args) => Tensor[] {
  const both = valueAndGrad(f);
  return (...inputs: Args) => both(...inputs)[1];
}
