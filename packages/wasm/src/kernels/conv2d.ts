import type { BackendBuffer, Conv2dParams, Kernels, View } from '@fathom/core';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

function geometry(runner: KernelRunner, p: Conv2dParams): KernelRunner {
  return runner
    .int(p.batch).int(p.inChannels).int(p.inHeight).int(p.inWidth)
    .int(p.outChannels).int(p.outHeight).int(p.outWidth)
    .int(p.kernelHeight).int(p.kernelWidth).int(p.strideHeight).int(p.strideWidth)
    .int(p.padHeight).int(p.padWidth).int(p.dilationHeight).int(p.dilationWidth).int(p.groups);
}

/** conv2d and its two gradients through im2col and the packed SGEMM (csrc/conv2d.c). */
export function conv2dKernels(runner: KernelRunner): Pick<Kernels, 'conv2d' | 'conv2dInputGrad' | 'conv2dWeightGrad'> {
  const call = (kernel: 'fathom_conv2d' | 'fathom_conv2d_input_grad' | 'fathom_conv2d_weight_grad', op: string, first: View, second: View, out: BackendBuffer, p: Conv2dParams): void => {
    requireFloat32(op, first.buffer.dtype, second.buffer.dtype, out.dtype);
    geometry(runner.begin(), p);
    runner.start(first, op).start(second, op).output(out, op).run(kernel, op);
  };
  return {
    conv2d: (x, weight, out, p) => call('fathom_conv2d', 'conv2d', x, weight, out, p),
    conv2dInputGrad: (gradOut, weight, out, p) => call('fathom_conv2d_input_grad', 'conv2dInputGrad', gradOut, weight, out, p),
    conv2dWeightGrad: (x, gradOut, out, p) => call('fathom_conv2d_weight_grad', 'conv2dWeightGrad', x, gradOut, out, p),
  };
}
