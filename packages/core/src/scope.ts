import { shared } from './shared-state.js';
import type { Tensor } from './tensor.js';

// Stack of open scopes; each collects the tensors created while it is on top.
const open = shared('scopes', (): Set<Tensor>[] => []);

/** Called by every new tensor: the innermost open scope takes charge of it. Returns whether one did. */
export function adoptIntoScope(tensor: Tensor): boolean {
  if (open.length === 0) return false;
  open[open.length - 1].add(tensor);
  return true;
}

/** Whether `tensor` was created inside the innermost open scope and is still in its charge. */
export function heldByInnermostScope(tensor: Tensor): boolean {
  return open.length > 0 && open[open.length - 1].has(tensor);
}

/**
 * Exempts `tensor` from every scope's clean-up (for parameters and state made
 * inside a step). Taking it out of the open scopes is enough: a scope only
 * ever releases what it holds, and only a tensor it held is passed on to the
 * scope around it.
 */
export function keep<T extends Tensor>(tensor: T): T {
  for (const tensors of open) tensors.delete(tensor);
  tensor.watchForCollection();
  return tensor;
}

function collectTensors(value: unknown, found: Set<Tensor>, depth = 0): void {
  // Typed arrays and buffers hold no tensors: listing a read-back's million values took seconds.
  if (depth > 4 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  if (isTensorLike(value)) {
    found.add(value);
    return;
  }
  const items = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
  for (const item of items) collectTensors(item, found, depth + 1);
}

function close<T>(tensors: Set<Tensor>, result: T): T {
  open.pop();
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  const parent = open.length > 0 ? open[open.length - 1] : undefined;
  for (const tensor of tensors) {
    if (!survivors.has(tensor)) tensor.release('at the end of the scope() that created it');
    else if (parent) parent.add(tensor);
    else tensor.watchForCollection();
  }
  return result;
}

/**
 * Runs `fn` and releases every tensor it created except those it returns (in
 * a Tensor, an array, a Map or a plain object) and those passed to {@link keep}.
 * One scope per training step keeps device memory flat without per-tensor
 * `dispose()` calls. For an async body use {@link scopeAsync}.
 *
 * ```ts
 * const y = scope(() => x.mul(2).add(1).relu()); // the intermediates are freed
 * ```
 */
export function scope<T>(fn: () => T): T {
  const tensors = new Set<Tensor>();
  open.push(tensors);
  try {
    return close(tensors, fn());
  } catch (error) {
    close(tensors, undefined);
    throw error;
  }
}

/**
 * {@link scope} for an async body. Scopes form one stack, so do not run two
 * async scopes concurrently: awaited work from one would be charged to the other.
 */
export async function scopeAsync<T>(fn: () => Promise<T>): Promise<T> {
  const tensors = new Set<Tensor>();
  open.push(tensors);
  try {
    return close(tensors, await fn());
  } catch (error) {
    close(tensors, undefined);
    throw error;
  }
}

const TENSOR_BRAND = Symbol.for('@fathom/core/tensor');

/**
 * Marks a tensor class so its instances are recognised across two copies of
 * core. On the prototype, once: defining it on every instance cost ~2% of a
 * small model's training step.
 */
export function brandTensorClass(tensorClass: { prototype: object }): void {
  Object.defineProperty(tensorClass.prototype, TENSOR_BRAND, { value: true });
}

/** Whether `value` is a tensor made by any copy of @fathom/core. */
export function isTensorLike(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TENSOR_BRAND] === true;
}
