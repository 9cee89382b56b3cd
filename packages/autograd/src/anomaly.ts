import { DataError, formatShape, type Tensor } from '@fathom/core';

let depth = 0;

function hasNonFinite(t: Tensor): boolean {
  if (!t.backend.capabilities.syncRead) return false;
  const values = t.dataSync();
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return true;
  return false;
}

/** @internal Called by the engine after each recorded forward op and each backward step while anomaly mode is on. */
export function reportAnomaly(phase: 'forward' | 'backward', op: string, inputs: readonly Tensor[], outputs: readonly Tensor[]): void {
  if (depth === 0) return;
  const bad = outputs.find(hasNonFinite);
  if (!bad) return;
  const shapes = inputs.map((t) => formatShape(t.shape)).join(', ');
  throw new DataError(
    `detectAnomaly: the ${phase} of '${op}' produced NaN or Inf (output ${formatShape(bad.shape)}; ${phase === 'forward' ? 'inputs' : 'incoming gradient'} ${shapes})`,
  );
}

/**
 * Runs `fn` checking every recorded op's output and every gradient for NaN
 * or Inf, and throws a `DataError` naming the first op that produced one
 * (`torch.autograd.detect_anomaly`). Slow: it reads every result back, so it
 * checks only on devices that read synchronously (cpu, wasm).
 *
 * ```ts
 * detectAnomaly(() => loss.backward()); // DataError: the backward of 'log' produced NaN or Inf …
 * ```
 */
export function detectAnomaly<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}
