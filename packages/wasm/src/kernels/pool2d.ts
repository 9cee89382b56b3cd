import type { AdaptivePool2dParams, BackendBuffer, Kernels, Pool2dParams, View } from '@fathom/core/backend';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

/** Max, average and adaptive average pooling with their gradients (csrc/pool2d.c). */
export function pool2dKernels(
  runner: KernelRunner,
): Pick<Kernels, 'maxPool2d' | 'maxPool2dGrad' | 'avgPool2d' | 'avgPool2dGrad' | 'adaptiveAvgPool2d' | 'adaptiveAvgPool2dGrad'> {
  return {
    maxPool2d(x: View, out: BackendBuffer, indices: BackendBuffer, geometry: Pool2dParams): void {
      requireFloat32('maxPool2d', x.buffer.dtype, out.dtype);
      runner.call('fathom_max_pool2d', 'maxPool2d', { geometry, x, out, indices });
    },
    maxPool2dGrad(gradOut: View, indices: View, out: BackendBuffer, geometry: Pool2dParams): void {
      requireFloat32('maxPool2dGrad', gradOut.buffer.dtype, out.dtype);
      runner.call('fathom_max_pool2d_grad', 'maxPool2dGrad', { geometry, gradOut, indices, out });
    },
    avgPool2d(x: View, out: BackendBuffer, geometry: Pool2dParams): void {
      requireFloat32('avgPool2d', x.buffer.dtype, out.dtype);
      runner.call('fathom_avg_pool2d', 'avgPool2d', { geometry, x, out });
    },
    avgPool2dGrad(gradOut: View, out: BackendBuffer, geometry: Pool2dParams): void {
      requireFloat32('avgPool2dGrad', gradOut.buffer.dtype, out.dtype);
      runner.call('fathom_avg_pool2d_grad', 'avgPool2dGrad', { geometry, gradOut, out });
    },
    adaptiveAvgPool2d(x: View, out: BackendBuffer, geometry: AdaptivePool2dParams): void {
      requireFloat32('adaptiveAvgPool2d', x.buffer.dtype, out.dtype);
      runner.call('fathom_adaptive_avg_pool2d', 'adaptiveAvgPool2d', { geometry, x, out });
    },
    adaptiveAvgPool2dGrad(gradOut: View, out: BackendBuffer, geometry: AdaptivePool2dParams): void {
      requireFloat32('adaptiveAvgPool2dGrad', gradOut.buffer.dtype, out.dtype);
      runner.call('fathom_adaptive_avg_pool2d_grad', 'adaptiveAvgPool2dGrad', { geometry, gradOut, out });
    },
  };
}
