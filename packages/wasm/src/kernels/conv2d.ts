import type { BackendBuffer, Conv2dParams, Kernels, View } from '@fathom/core/backend';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

/** conv2d (with or without a bias) and its two gradients (csrc/conv2d.c); a kernel without a bias passes x in its place. */
export function conv2dKernels(runner: KernelRunner): Pick<Kernels, 'conv2d' | 'conv2dWithBias' | 'conv2dInputGrad' | 'conv2dWeightGrad'> {
  return {
    conv2d(x: View, weight: View, out: BackendBuffer, geometry: Conv2dParams): void {
      requireFloat32('conv2d', x.buffer.dtype, weight.buffer.dtype, out.dtype);
      runner.call('fathom_conv2d', 'conv2d', { geometry, x, weight, out, bias: x, hasBias: 0 });
    },
    conv2dWithBias(x: View, weight: View, bias: View, out: BackendBuffer, geometry: Conv2dParams): void {
      requireFloat32('conv2dWithBias', x.buffer.dtype, weight.buffer.dtype, bias.buffer.dtype, out.dtype);
      runner.call('fathom_conv2d', 'conv2dWithBias', { geometry, x, weight, out, bias, hasBias: 1 });
    },
    conv2dInputGrad(gradOut: View, weight: View, out: BackendBuffer, geometry: Conv2dParams): void {
      requireFloat32('conv2dInputGrad', gradOut.buffer.dtype, weight.buffer.dtype, out.dtype);
      runner.call('fathom_conv2d_input_grad', 'conv2dInputGrad', { geometry, x: gradOut, weight, out, bias: gradOut, hasBias: 0 });
    },
    conv2dWeightGrad(x: View, gradOut: View, out: BackendBuffer, geometry: Conv2dParams): void {
      requireFloat32('conv2dWeightGrad', x.buffer.dtype, gradOut.buffer.dtype, out.dtype);
      runner.call('fathom_conv2d_weight_grad', 'conv2dWeightGrad', { geometry, x, weight: gradOut, out, bias: x, hasBias: 0 });
    },
  };
}
