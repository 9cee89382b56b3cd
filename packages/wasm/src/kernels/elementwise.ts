import { coversBuffer, type BackendBuffer, type BinaryOp, type Kernels, type UnaryOp, type UnaryParams, type View } from '@fathom/core/backend';
import type { KernelRunner } from '../kernel-runner.js';

/** fill, copy, unary, binary and where (csrc/elementwise.c). */
export function elementwiseKernels(runner: KernelRunner): Pick<Kernels, 'fill' | 'copy' | 'unary' | 'binary' | 'where'> {
  return {
    fill(out: BackendBuffer, value: number): void {
      runner.call('fathom_fill', 'fill', { out, dtype: out.dtype, length: out.length, value });
    },
    copy(src: View, dst: View): void {
      // Zeros in every dtype are zero bytes: copying a buffer still owed its zeros whole into another just owes it them too.
      if (runner.zeroPending(src.buffer) && coversBuffer(dst)) {
        runner.zeroWhole(dst.buffer, 'copy');
        return;
      }
      runner.call('fathom_copy', 'copy', { src, srcType: src.buffer.dtype, dst, dstType: dst.buffer.dtype });
    },
    unary(op: UnaryOp, x: View, out: BackendBuffer, params: UnaryParams): void {
      runner.call('fathom_unary', op, {
        op, x, xType: x.buffer.dtype, out, outType: out.dtype, alpha: params.alpha, min: params.min, max: params.max,
      });
    },
    binary(op: BinaryOp, a: View, b: View, out: BackendBuffer, alpha = 1): void {
      runner.call('fathom_binary', op, { op, a, b, computeType: a.buffer.dtype, out, outType: out.dtype, alpha });
    },
    where(cond: View, a: View, b: View, out: BackendBuffer): void {
      runner.call('fathom_where', 'where', { cond, a, b, dtype: out.dtype, out });
    },
  };
}
