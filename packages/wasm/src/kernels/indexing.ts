import type { Shape } from '@fathom/core';
import type { BackendBuffer, Kernels, View } from '@fathom/core/backend';
import type { KernelRunner } from '../kernel-runner.js';

/** gather and scatterAdd (csrc/indexing.c). */
export function indexingKernels(runner: KernelRunner): Pick<Kernels, 'gather' | 'scatterAdd'> {
  return {
    gather(x: View, dim: number, index: View, out: BackendBuffer): void {
      runner.call('fathom_gather', 'gather', { x, dtype: x.buffer.dtype, dim, index, out });
    },
    scatterAdd(out: BackendBuffer, outShape: Shape, dim: number, index: View, src: View): void {
      runner.call('fathom_scatter_add', 'scatterAdd', { out, dtype: out.dtype, outShape, dim, index, src });
    },
  };
}
