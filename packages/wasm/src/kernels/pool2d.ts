import type { AdaptivePool2dParams, BackendBuffer, Kernels, Pool2dParams, View } from '@fathom/core';
import { requireFloat32, type KernelRunner } from '../kernel-runner.js';

function geometry(runner: KernelRunner, p: Pool2dParams): KernelRunner {
  return runner
    .int(p.planes).int(p.inHeight).int(p.inWidth).int(p.outHeight).int(p.outWidth)
    .int(p.kernelHeight).int(p.kernelWidth).int(p.strideHeight).int(p.strideWidth)
    .int(p.padHeight).int(p.padWidth).int(p.dilationHeight).int(p.dilationWidth).int(p.countIncludePad ? 1 : 0);
}

function adaptive(runner: KernelRunner, p: AdaptivePool2dParams): KernelRunner {
  return runner.int(p.planes).int(p.inHeight).int(p.inWidth).int(p.outHeight).int(p.outWidth);
}

/** Max, average and adaptive average pooling with their gradients (csrc/pool2d.c). */
export function pool2dKernels(
  runner: KernelRunner,
): Pick<Kernels, 'maxPool2d' | 'maxPool2dGrad' | 'avgPool2d' | 'avgPool2dGrad' | 'adaptiveAvgPool2d' | 'adaptiveAvgPool2dGrad'> {
  return {
    maxPool2d(x: View, out: BackendBuffer, indices: BackendBuffer, p: Pool2dParams): void {
      requireFloat32('maxPool2d', x.buffer.dtype, out.dtype);
      geometry(runner.begin(), p).start(x, 'maxPool2d').output(out, 'maxPool2d').output(indices, 'maxPool2d').run('fathom_max_pool2d', 'maxPool2d');
    },
    maxPool2dGrad(gradOut: View, indices: View, out: BackendBuffer, p: Pool2dParams): void {
      requireFloat32('maxPool2dGrad', gradOut.buffer.dtype, out.dtype);
      geometry(runner.begin(), p)
        .start(gradOut, 'maxPool2dGrad')
        .start(indices, 'maxPool2dGrad')
        .output(out, 'maxPool2dGrad')
        .run('fathom_max_pool2d_grad', 'maxPool2dGrad');
    },
    avgPool2d(x: View, out: BackendBuffer, p: Pool2dParams): void {
      requireFloat32('avgPool2d', x.buffer.dtype, out.dtype);
      geometry(runner.begin(), p).start(x, 'avgPool2d').output(out, 'avgPool2d').run('fathom_avg_pool2d', 'avgPool2d');
    },
    avgPool2dGrad(gradOut: View, out: BackendBuffer, p: Pool2dParams): void {
      requireFloat32('avgPool2dGrad', gradOut.buffer.dtype, out.dtype);
      geometry(runner.begin(), p).start(gradOut, 'avgPool2dGrad').output(out, 'avgPool2dGrad').run('fathom_avg_pool2d_grad', 'avgPool2dGrad');
    },
    adaptiveAvgPool2d(x: View, out: BackendBuffer, p: AdaptivePool2dParams): void {
      requireFloat32('adaptiveAvgPool2d', x.buffer.dtype, out.dtype);
      adaptive(runner.begin(), p).start(x, 'adaptiveAvgPool2d').output(out, 'adaptiveAvgPool2d').run('fathom_adaptive_avg_pool2d', 'adaptiveAvgPool2d');
    },
    adaptiveAvgPool2dGrad(gradOut: View, out: BackendBuffer, p: AdaptivePool2dParams): void {
      requireFloat32('adaptiveAvgPool2dGrad', gradOut.buffer.dtype, out.dtype);
      adaptive(runner.begin(), p)
        .start(gradOut, 'adaptiveAvgPool2dGrad')
        .output(out, 'adaptiveAvgPool2dGrad')
        .run('fathom_adaptive_avg_pool2d_grad', 'adaptiveAvgPool2dGrad');
    },
  };
}
