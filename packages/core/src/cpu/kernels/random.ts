import type { BackendBuffer, RandomSpec } from '../../backend.js';
import { randomAt } from '../../random/philox.js';
import type { CpuBuffer } from '../cpu-buffer.js';

/** Kernels.randomFill, following the shared Philox recipe element by element. */
export function randomFillKernel(out: BackendBuffer, spec: RandomSpec): void {
  const to = (out as CpuBuffer).data;
  const words = new Uint32Array(4);
  const [k0, k1] = spec.seed;
  const { a, b } = spec;
  if (spec.distribution === 'uniform') {
    const width = b - a;
    for (let i = 0; i < to.length; i++) to[i] = a + width * randomAt('uniform', k0, k1, spec.offset + i, words);
  } else {
    for (let i = 0; i < to.length; i++) to[i] = a + b * randomAt('normal', k0, k1, spec.offset + i, words);
  }
}
