import type { ArgReduceOp, BackendBuffer, Kernels, LogSoftmaxParams, ReduceOp, View } from '@fathom/core/backend';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

/** reduce and argReduce (csrc/reduce.c), and the fused logSoftmax (csrc/log_softmax.c). */
export function reduceKernels(runner: KernelRunner): Pick<Kernels, 'reduce' | 'argReduce' | 'logSoftmax'> {
  return {
    reduce(op: ReduceOp, x: View, dims: readonly number[], out: BackendBuffer): void {
      runner.call('fathom_reduce', op, { op, x, xType: x.buffer.dtype, dims, out, outType: out.dtype });
    },
    argReduce(op: ArgReduceOp, x: View, dim: number, out: BackendBuffer): void {
      runner.call('fathom_arg_reduce', op, { op, x, xType: x.buffer.dtype, dim, out });
    },
    logSoftmax(x: BackendBuffer, out: BackendBuffer, p: LogSoftmaxParams): void {
      requireFloat32('logSoftmax', x.dtype, out.dtype);
      runner.call('fathom_log_softmax', 'logSoftmax', { x, out, outer: p.outer, size: p.size, inner: p.inner });
    },
  };
}
