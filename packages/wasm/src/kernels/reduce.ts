import type { ArgReduceOp, BackendBuffer, Kernels, ReduceOp, View } from '@fathom/core';
import type { KernelRunner } from '../kernel-runner.js';
import { ARG_REDUCE_CODES, REDUCE_CODES } from '../op-codes.js';

/** reduce and argReduce (csrc/reduce.c). */
export function reduceKernels(runner: KernelRunner): Pick<Kernels, 'reduce' | 'argReduce'> {
  return {
    reduce(op: ReduceOp, x: View, dims: readonly number[], out: BackendBuffer): void {
      runner.begin().int(REDUCE_CODES[op]).view(x, op).dtype(x.buffer.dtype, op).int(dims.length);
      for (const d of dims) runner.int(d);
      runner.output(out, op).dtype(out.dtype, op).run('fathom_reduce', op);
    },
    argReduce(op: ArgReduceOp, x: View, dim: number, out: BackendBuffer): void {
      runner.begin().int(ARG_REDUCE_CODES[op]).view(x, op).dtype(x.buffer.dtype, op).int(dim).output(out, op).run('fathom_arg_reduce', op);
    },
  };
}
