import type { BackendBuffer, Conv2dParams, Kernels, View } from '@fathom/core/backend';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

/** conv2d and its two gradients through im2col and the packed SGEMM (csrc/conv2d.c). */
export function conv2dKernels(runner: KernelRunner): Pick<Kernels, 'conv2d' | 'conv2dInputGrad' | 'conv2dWeightGrad'> {
  return {
    conv2d(x: View, weight: View, out: BackendBuffer, geometry: Conv2dParams): void {
      requireFloat32('conv2d', x.buffer.dtype, weight.buffer.dtype, out.dtype);
      runner.call('fathom_conv2d', 'conv2d', { geometry, x, weight, out });
    },
    conv2dInputGrad(gradOut: View, weight: View, out: BackendBuffer, geometry: Conv2dParams): void {
      requireFloat32('conv2dInputGrad', gradOut.buffer.dtype, weight.buffer.dtype, out.dtype);
      runner.call('fathom_conv2d_input_grad', 'conv2dInputGrad', { geometry, x: gradOut, weight, out });
    },
    conv2dWeightGrad(x: View, gradOut: View, out: BackendBuffer, geometry: Conv2dParams): void {
      requireFloat32('conv2dWeightGrad', x.buffer.dtype, gradOut.buffer.dtype, out.dtype);
      runner.call('fathom_conv2d_weight_grad', 'conv2dWeightGrad', { geometry, x, weight: gradOut, out });
    },
  };
}
