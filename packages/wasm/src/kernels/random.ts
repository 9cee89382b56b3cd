import type { BackendBuffer, Kernels, RandomSpec } from '@fathom/core/backend';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

/** randomFill with core's Philox-4x32-10 recipe (csrc/random.c): the same numbers as the CPU backend. */
export function randomKernels(runner: KernelRunner): Pick<Kernels, 'randomFill'> {
  return {
    randomFill(out: BackendBuffer, spec: RandomSpec): void {
      requireFloat32('randomFill', out.dtype);
      runner.call('fathom_random_fill', 'randomFill', {
        out, length: out.length, normal: spec.distribution === 'normal' ? 1 : 0, seed0: spec.seed[0], seed1: spec.seed[1],
        offset: spec.offset, a: spec.a, b: spec.b,
      });
    },
  };
}
