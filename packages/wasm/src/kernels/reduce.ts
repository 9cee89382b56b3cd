import type { ArgReduceOp, BackendBuffer, Kernels, ReduceOp, View } from '@fathom/core/backend';
import type { KernelRunner } from '../kernel-runner.js';

/** reduce and argReduce (csrc/reduce.c). */
export function reduceKernels(runner: KernelRunner): Pick<Kernels, 'reduce' | 'argReduce'> {
  return {
    reduce(op: ReduceOp, x: View, dims: readonly number[], out: BackendBuffer): void {
      runner.call('fathom_reduce', op, { op, x, xType: x.buffer.dtype, dims, out, outType: out.dtype });
    },
    argReduce(op: ArgReduceOp, x: View, dim: number, out: BackendBuffer): void {
      runner.call('fathom_arg_reduce', op, { op, x, xType: x.buffer.dtype, dim, out });
    },
  };
}
