import type { BackendBuffer, Kernels, View } from '@fathom/core';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

/** Batched matmul with broadcast batch dims (csrc/matmul.c over the packed SGEMM in csrc/gemm.c). */
export function matmulKernels(runner: KernelRunner): Pick<Kernels, 'matmul'> {
  return {
    matmul(a: View, b: View, out: BackendBuffer): void {
      requireFloat32('matmul', a.buffer.dtype, b.buffer.dtype, out.dtype);
      runner.begin().view(a, 'matmul').view(b, 'matmul').output(out, 'matmul').run('fathom_matmul', 'matmul');
    },
  };
}
