import { DeviceError, isTensorLike, promoteTypes, scope, stack, ValueError, zeros, type Tensor } from '@fathom/core';
import { noGrad } from '@fathom/autograd';
import { requireNumber } from './hyperparameters.js';

/** Options of {@link clipGradNorm} and {@link clipGradNormAsync}. */
export interface ClipGradNormOptions {
  /**
   * Throw a ValueError, leaving the gradients as they are, when the total norm
   * is NaN or infinite (default false: such gradients are scaled anyway, to NaN
   * or zero, as PyTorch does). {@link clipGradNorm} needs a device that reads
   * synchronously for this; {@link clipGradNormAsync} works on any.
   */
  errorIfNonfinite?: boolean;
}

function gradientsOf(parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const list = isTensorLike(parameters) ? [parameters] : [...parameters];
  return list.map((p) => p.grad).filter((grad): grad is Tensor => grad !== null);
}

function checkArguments(op: string, maxNorm: number, normType: number): void {
  requireNumber(op, 'maxNorm', maxNorm, (v) => v >= 0, 'must be ≥ 0');
  requireNumber(op, 'normType', normType, (v) => v > 0, 'must be > 0, or Infinity');
}

// ‖g‖ₚ of one tensor as a 0-d tensor.
function norm(tensor: Tensor, normType: number): Tensor {
  if (tensor.numel === 0) return tensor.newZeros([]);
  if (normType === Infinity) return tensor.abs().max();
  if (normType === 1) return tensor.abs().sum();
  if (normType === 2) return tensor.square().sum().sqrt();
  return tensor.abs().pow(normType).sum().pow(1 / normType);
}

// As PyTorch: the norm of each gradient, then the norm of those norms (their maximum for ∞).
function totalNorm(grads: readonly Tensor[], normType: number): Tensor {
  const dtype = grads.map((g) => g.dtype).reduce(promoteTypes);
  const norms = grads.map((g) => norm(g, normType).to(dtype));
  if (norms.length === 1) return norms[0];
  return normType === Infinity ? stack(norms).max() : norm(stack(norms), normType);
}

// g ← g · min(1, maxNorm / (total + 1e-6)), for every gradient, with no read-back.
function scaleGradients(grads: readonly Tensor[], total: Tensor, maxNorm: number): void {
  // `maxNorm / tensor` in PyTorch is `tensor.reciprocal() * maxNorm`.
  const coefficient = total.add(1e-6).reciprocal().mul(maxNorm).clamp(undefined, 1);
  for (const grad of grads) grad.copy_(grad.mul(coefficient.to(grad.dtype)));
}

function nonFiniteError(op: string, normType: number, value: number): ValueError {
  return new ValueError(`${op}: the total norm of order ${normType} of the gradients is ${value}, so they cannot be clipped; pass errorIfNonfinite: false to scale them anyway`);
}

/**
 * Scales the gradients of `parameters` in place so that their total norm (the
 * p-norm of all gradients together, p = `normType`, `Infinity` for the largest
 * magnitude) is at most `maxNorm`; returns the total norm from before clipping
 * as a 0-d tensor, as PyTorch's `clip_grad_norm_`. Nothing is read back, so on
 * a GPU nothing waits; `await norm.item()` when you want the number, or use
 * {@link clipGradNormAsync}. Parameters without a gradient are skipped; with
 * none, the norm is 0.
 *
 * ```ts
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0); // 0-d tensor
 * optimizer.step();
 * ```
 */
export function clipGradNorm(parameters: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): Tensor {
  checkArguments('clipGradNorm', maxNorm, normType);
  const grads = gradientsOf(parameters);
  if (grads.length === 0) return zeros([]);
  return noGrad(() => scope(() => {
    const total = totalNorm(grads, normType);
    if (options.errorIfNonfinite) {
      if (!total.backend.readSync) {
        throw new DeviceError(`clipGradNorm: errorIfNonfinite must read the norm, which device '${total.device}' cannot do synchronously; use await clipGradNormAsync(...)`);
      }
      const value = total.dataSync()[0];
      if (!Number.isFinite(value)) throw nonFiniteError('clipGradNorm', normType, value);
    }
    scaleGradients(grads, total, maxNorm);
    return total;
  }));
}

/**
 * {@link clipGradNorm} that reads the total norm and returns it as a number:
 * one wait for the device per call, and `errorIfNonfinite` works on every device.
 *
 * ```ts
 * const norm = await clipGradNormAsync(model.parameters(), 1.0, 2, { errorIfNonfinite: true });
 * ```
 */
export async function clipGradNormAsync(parameters: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): Promise<number> {
  checkArguments('clipGradNormAsync', maxNorm, normType);
  const grads = gradientsOf(parameters);
  if (grads.length === 0) return 0;
  const total = noGrad(() => scope(() => totalNorm(grads, normType)));
  try {
    const value = await total.item();
    if (options.errorIfNonfinite && !Number.isFinite(value)) throw nonFiniteError('clipGradNormAsync', normType, value);
    noGrad(() => scope(() => scaleGradients(grads, total, maxNorm)));
    return value;
  } finally {
    total.dispose();
  }
}

/**
 * Clamps every gradient of `parameters` into [−clipValue, clipValue] in place
 * (PyTorch's `clip_grad_value_`). Parameters without a gradient are skipped.
 *
 * ```ts
 * loss.backward();
 * clipGradValue(model.parameters(), 0.5);
 * optimizer.step();
 * ```
 */
export function clipGradValue(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  requireNumber('clipGradValue', 'clipValue', clipValue, (v) => v >= 0, 'must be ≥ 0');
  const grads = gradientsOf(parameters);
  noGrad(() => scope(() => {
    for (const grad of grads) grad.copy_(grad.clamp(-clipValue, clipValue));
  }));
}
