import type { BackendBuffer, Kernels, Shape, View } from '@fathom/core';
import type { KernelRunner } from '../kernel-runner.js';

/** gather and scatterAdd (csrc/indexing.c). */
export function indexingKernels(runner: KernelRunner): Pick<Kernels, 'gather' | 'scatterAdd'> {
  return {
    gather(x: View, dim: number, index: View, out: BackendBuffer): void {
      runner.begin().view(x, 'gather').dtype(x.buffer.dtype, 'gather').int(dim).view(index, 'gather').output(out, 'gather').run('fathom_gather', 'gather');
    },
    scatterAdd(out: BackendBuffer, outShape: Shape, dim: number, index: View, src: View): void {
      runner.begin().address(out, 'scatterAdd').dtype(out.dtype, 'scatterAdd').int(outShape.length);
      for (const size of outShape) runner.int(size);
      runner.int(dim).view(index, 'scatterAdd').view(src, 'scatterAdd').run('fathom_scatter_add', 'scatterAdd');
    },
  };
}
