import type { BackendBuffer, LogSoftmaxParams } from '../../backend.js';
import type { CpuBuffer } from '../cpu-buffer.js';

/** Kernels.logSoftmax: each run's max and log Σ exp in float64, the result rounded once to the dtype. */
export function logSoftmaxKernel(x: BackendBuffer, out: BackendBuffer, { outer, size, inner }: LogSoftmaxParams): void {
  const from = (x as CpuBuffer).data, to = (out as CpuBuffer).data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const first = o * size * inner + j;
      const last = first + size * inner;
      let max = -Infinity;
      for (let i = first; i < last; i += inner) max = Math.max(max, from[i]);
      // An all −∞ (or a +∞) run would give ∞ − ∞ = NaN from the shift: shifting by 0 keeps the answer ±∞ or NaN, as the composite does.
      const shift = Number.isFinite(max) || Number.isNaN(max) ? max : 0;
      let total = 0;
      for (let i = first; i < last; i += inner) total += Math.exp(from[i] - shift);
      const logTotal = shift + Math.log(total);
      for (let i = first; i < last; i += inner) to[i] = from[i] - logTotal;
    }
  }
}
