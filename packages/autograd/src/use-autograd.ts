import { gradientEngine, installGradientEngine, type GradientEngine } from '@fathom/core/backend';
import { engine } from './engine.js';

/**
 * Installs the gradient engine into @fathom/core so that tensors with
 * `requiresGrad` record the ops applied to them and `backward()` works. Call
 * once at start-up (calling again is harmless); nothing is installed on import.
 *
 * ```ts
 * useAutograd();
 * const x = tensor([1, 2, 3]).setRequiresGrad();
 * x.square().sum().backward(); // x.grad = [2, 4, 6]
 * ```
 */
export function useAutograd(): GradientEngine {
  // An engine already installed (this one, another copy's, or a wrapper around it) is left in place.
  if (gradientEngine() === null) installGradientEngine(engine);
  return engine;
}
