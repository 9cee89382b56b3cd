import { foldMatmulBatches, type BackendBuffer, type Kernels, type View } from '@fathom/core/backend';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

/** Batched matmul with broadcast batch dims (csrc/matmul.c over the packed SGEMM in csrc/gemm.c), folded by core's foldMatmulBatches. */
export function matmulKernels(runner: KernelRunner): Pick<Kernels, 'matmul'> {
  return {
    matmul(a: View, b: View, out: BackendBuffer): void {
      requireFloat32('matmul', a.buffer.dtype, b.buffer.dtype, out.dtype);
      runner.call('fathom_matmul', 'matmul', { ...foldMatmulBatches(a, b), a, b, out });
    },
  };
}
