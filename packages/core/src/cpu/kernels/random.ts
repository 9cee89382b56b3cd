import type { BackendBuffer, RandomSpec } from '../../backend.js';
import { randomBlock } from '../../random/philox.js';
import type { CpuBuffer } from '../cpu-buffer.js';

/**
 * Kernels.randomFill, following the shared Philox recipe: one block per four
 * consecutive counters. An offset that is not a multiple of 4 starts inside a
 * block and a length that ends inside one stops early, so element i is the
 * same whatever offset and length the draw has.
 */
export function randomFillKernel(out: BackendBuffer, spec: RandomSpec): void {
  const to = (out as CpuBuffer).data;
  const words = new Uint32Array(4);
  const values = new Float64Array(4);
  const [k0, k1] = spec.seed;
  const { distribution, a, b } = spec;
  // uniform: a + (b − a)·u; normal: a + b·z (mean a, std b), rounded once into `to`.
  const scale = distribution === 'uniform' ? b - a : b;
  let block = Math.floor(spec.offset / 4);
  let lane = spec.offset - 4 * block;
  let i = 0;
  while (i < to.length) {
    randomBlock(distribution, k0, k1, block, words, values);
    if (lane === 0 && i + 4 <= to.length) {
      to[i] = a + scale * values[0];
      to[i + 1] = a + scale * values[1];
      to[i + 2] = a + scale * values[2];
      to[i + 3] = a + scale * values[3];
      i += 4;
    } else {
      for (; lane < 4 && i < to.length; lane++, i++) to[i] = a + scale * values[lane];
      lane = 0;
    }
    block++;
  }
}
