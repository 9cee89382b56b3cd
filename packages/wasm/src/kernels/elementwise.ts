import { coversBuffer, type BackendBuffer, type BinaryOp, type ChannelAffineParams, type Kernels, type SgdStepParams, type UnaryOp, type UnaryParams, type View } from '@fathom/core/backend';
import type { KernelRunner } from '../kernel-runner.js';

/** fill, copy, unary, binary and where (csrc/elementwise.c), the fused SGD update (csrc/sgd.c) and channelAffine (csrc/channel_affine.c). */
export function elementwiseKernels(runner: KernelRunner): Pick<Kernels, 'fill' | 'copy' | 'unary' | 'binary' | 'where' | 'sgdStep' | 'channelAffine'> {
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
    sgdStep(param: BackendBuffer, grad: BackendBuffer, momentum: BackendBuffer | null, p: SgdStepParams): void {
      runner.call('fathom_sgd_step', 'sgdStep', {
        param, grad, momentumBuffer: momentum ?? grad, length: param.length,
        lr: p.lr, momentum: momentum === null ? 0 : p.momentum, dampening: p.dampening, weightDecay: p.weightDecay,
        nesterov: Number(p.nesterov), maximize: Number(p.maximize), firstStep: Number(p.firstStep),
      });
    },
    channelAffine(a, alpha, b, beta, gamma, out, p: ChannelAffineParams): void {
      runner.call('fathom_channel_affine', 'channelAffine', {
        a, alpha: alpha ?? a, b: b ?? a, beta: beta ?? a, gamma: gamma ?? a, out, outer: p.outer, channels: p.channels, inner: p.inner,
        hasAlpha: Number(alpha !== null), hasB: Number(b !== null), hasGamma: Number(gamma !== null),
      });
    },
  };
}
