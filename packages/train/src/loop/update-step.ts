import { noGrad } from '@fathom/autograd';
import { stack, type Tensor } from '@fathom/core';
import { clipGradNorm } from '@fathom/optim';
import { DivergenceError } from './divergence-error.js';
import type { TrainableOptimizer } from './fit.js';

/** What {@link backwardAndStep} measured. */
export interface UpdateStats {
  /** The loss. */
  readonly loss: number;
  /** The global gradient norm before clipping. */
  readonly gradNorm: number;
  /** The values of the `extras` scalars, in order. */
  readonly extras: number[];
}

/** Clears the gradients and backpropagates `loss`. */
export function backpropagate(loss: Tensor, optimizer: TrainableOptimizer): void {
  optimizer.zeroGrad();
  loss.backward();
}

/** [loss, squared global gradient norm, ...extras] in one tensor, read in one transfer. */
export function stepStatistics(loss: Tensor, parameters: readonly Tensor[], extras: readonly Tensor[] = []): Tensor {
  const grads = parameters.flatMap((p) => (p.grad ? [p.grad] : []));
  return noGrad(() => stack([
    loss.detach(),
    grads.map((g) => g.square().sum()).reduce((a, b) => a.add(b)),
    ...extras,
  ]));
}

/**
 * Reads the statistics of a backward pass ({@link stepStatistics}), throws
 * {@link DivergenceError} before touching the weights when the loss or a
 * gradient is not finite, clips the norm when asked, and steps the optimizer.
 */
export async function applyUpdate(
  statistics: Tensor,
  parameters: readonly Tensor[],
  optimizer: TrainableOptimizer,
  options: { readonly clipGradNorm?: number; readonly epoch: number; readonly step: number },
): Promise<UpdateStats> {
  const [lossValue, squaredNorm, ...extras] = await statistics.data();
  const gradNorm = Math.sqrt(squaredNorm);
  if (!Number.isFinite(lossValue) || !Number.isFinite(gradNorm)) throw new DivergenceError(options.epoch, options.step, lossValue, gradNorm);
  if (options.clipGradNorm !== undefined) clipGradNorm([...parameters], options.clipGradNorm);
  optimizer.step();
  return { loss: lossValue, gradNorm, extras };
}

/**
 * The update both loops make: zero the gradients, backpropagate `loss`, read
 * the loss, the global gradient norm and any `extras` (scalars such as a
 * batch's correct count) in one transfer, throw {@link DivergenceError}
 * before touching the weights when the loss or a gradient is not finite,
 * clip the norm when asked, and step the optimizer.
 */
export async function backwardAndStep(
  loss: Tensor,
  parameters: readonly Tensor[],
  optimizer: TrainableOptimizer,
  options: {
    readonly clipGradNorm?: number; readonly epoch: number; readonly step: number; readonly extras?: readonly Tensor[];
    /** Runs after backward, before the gradients are read (data parallelism averages them here, so every rank sees the same norm). */
    readonly afterBackward?: () => Promise<void>;
  },
): Promise<UpdateStats> {
  backpropagate(loss, optimizer);
  await options.afterBackward?.();
  return applyUpdate(stepStatistics(loss, parameters, options.extras), parameters, optimizer, options);
}
