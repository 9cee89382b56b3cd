import type { BackendBuffer, SgdStepParams } from '../../backend.js';
import type { CpuBuffer } from '../cpu-buffer.js';

/**
 * Kernels.sgdStep: one pass over the parameter, its gradient and its
 * momentum buffer, each operation rounded to the dtype as the composite's
 * separate kernels round it (scalars first, then each product, then each sum).
 */
export function sgdStepKernel(param: BackendBuffer, grad: BackendBuffer, momentum: BackendBuffer | null, p: SgdStepParams): void {
  const theta = (param as CpuBuffer).data;
  const g = (grad as CpuBuffer).data;
  const b = momentum === null ? null : (momentum as CpuBuffer).data;
  const round = param.dtype === 'float32' ? Math.fround : (x: number): number => x;
  const negLr = round(-p.lr), mu = round(p.momentum), keep = round(1 - p.dampening), decay = round(p.weightDecay);
  for (let i = 0; i < theta.length; i++) {
    let d = p.maximize ? -g[i] : g[i];
    if (decay !== 0) d = round(d + round(decay * theta[i]));
    if (b !== null) {
      const v = p.firstStep ? d : round((p.dampening === 0 ? d : round(d * keep)) + round(mu * b[i]));
      b[i] = v;
      d = p.nesterov ? round(d + round(mu * v)) : v;
    }
    theta[i] = round(theta[i] + round(negLr * d));
  }
}
