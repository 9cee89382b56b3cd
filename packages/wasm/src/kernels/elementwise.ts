import { coversBuffer, type BackendBuffer, type BinaryOp, type Kernels, type UnaryOp, type UnaryParams, type View } from '@fathom/core';
import type { KernelRunner } from '../kernel-runner.js';
import { BINARY_CODES, UNARY_CODES } from '../op-codes.js';

/** fill, copy, unary, binary and where (csrc/elementwise.c). */
export function elementwiseKernels(runner: KernelRunner): Pick<Kernels, 'fill' | 'copy' | 'unary' | 'binary' | 'where'> {
  return {
    fill(out: BackendBuffer, value: number): void {
      runner.begin().output(out, 'fill').dtype(out.dtype, 'fill').int(out.length).float(value).run('fathom_fill', 'fill');
    },
    copy(src: View, dst: View): void {
      // Zeros in every dtype are zero bytes: copying a buffer still owed its zeros whole into another just owes it them too.
      if (runner.zeroPending(src.buffer) && coversBuffer(dst)) {
        runner.zeroWhole(dst.buffer, 'copy');
        return;
      }
      runner.begin().view(src, 'copy').dtype(src.buffer.dtype, 'copy').outputView(dst, 'copy').dtype(dst.buffer.dtype, 'copy').run('fathom_copy', 'copy');
    },
    unary(op: UnaryOp, x: View, out: BackendBuffer, params: UnaryParams): void {
      runner
        .begin()
        .int(UNARY_CODES[op])
        .view(x, op)
        .dtype(x.buffer.dtype, op)
        .output(out, op)
        .dtype(out.dtype, op)
        .float(params.alpha)
        .float(params.min)
        .float(params.max)
        .run('fathom_unary', op);
    },
    binary(op: BinaryOp, a: View, b: View, out: BackendBuffer): void {
      runner
        .begin()
        .int(BINARY_CODES[op])
        .view(a, op)
        .view(b, op)
        .dtype(a.buffer.dtype, op)
        .output(out, op)
        .dtype(out.dtype, op)
        .run('fathom_binary', op);
    },
    where(cond: View, a: View, b: View, out: BackendBuffer): void {
      runner.begin().view(cond, 'where').view(a, 'where').view(b, 'where').dtype(out.dtype, 'where').output(out, 'where').run('fathom_where', 'where');
    },
  };
}
