import { ValueError, type Tensor } from '@fathom/core';

/** Called with a leaf tensor once a gradient has been added into its `.grad` during backward. */
export type PostAccumulateGradHook = (tensor: Tensor) => void;

const hooks = new WeakMap<Tensor, PostAccumulateGradHook[]>();

/**
 * Runs `hook(tensor)` each time backward has added a gradient into the leaf
 * tensor's `.grad` (PyTorch's `register_post_accumulate_grad_hook`): the hook
 * sees the accumulated gradient, where `registerHook` sees only the incoming
 * one before it is added. Data-parallel training uses it to start reducing a
 * bucket of gradients while backward is still running. A leaf used twice in
 * the graph gets two calls. Returns a function that removes the hook.
 *
 * ```ts
 * const remove = registerPostAccumulateGradHook(weight, (w) => console.log(w.grad?.shape));
 * ```
 */
export function registerPostAccumulateGradHook(tensor: Tensor, hook: PostAccumulateGradHook): () => void {
  if (!tensor.requiresGrad || !tensor.isLeaf) {
    throw new ValueError('registerPostAccumulateGradHook: the tensor must be a leaf that requires grad (a parameter)');
  }
  let list = hooks.get(tensor);
  if (!list) {
    list = [];
    hooks.set(tensor, list);
  }
  list.push(hook);
  const registered = list;
  return () => {
    const at = registered.indexOf(hook);
    if (at >= 0) registered.splice(at, 1);
  };
}

/** Runs the post-accumulate hooks of `tensor` (the engine calls it after updating a leaf's `.grad`). */
export function runPostAccumulateGradHooks(tensor: Tensor): void {
  const list = hooks.get(tensor);
  if (!list) return;
  for (const hook of [...list]) hook(tensor);
}
