import type { BackendBuffer, Kernels, RandomSpec } from '@fathom/core';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

/** randomFill with core's Philox-4x32-10 recipe (csrc/random.c): the same numbers as the CPU backend. */
export function randomKernels(runner: KernelRunner): Pick<Kernels, 'randomFill'> {
  return {
    randomFill(out: BackendBuffer, spec: RandomSpec): void {
      requireFloat32('randomFill', out.dtype);
      runner
        .begin()
        .output(out, 'randomFill')
        .int(out.length)
        .int(spec.distribution === 'normal' ? 1 : 0)
        .int(spec.seed[0])
        .int(spec.seed[1])
        .float(spec.offset)
        .float(spec.a)
        .float(spec.b)
        .run('fathom_random_fill', 'randomFill');
    },
  };
}
