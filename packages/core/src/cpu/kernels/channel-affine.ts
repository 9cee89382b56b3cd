import type { BackendBuffer, ChannelAffineParams } from '../../backend.js';
import type { CpuBuffer } from '../cpu-buffer.js';

/** Kernels.channelAffine: each product and sum rounded to the dtype as the composite's `mul` and `add` round them (x·1 is x). */
export function channelAffineKernel(
  a: BackendBuffer, alpha: BackendBuffer | null, b: BackendBuffer | null, beta: BackendBuffer | null, gamma: BackendBuffer | null,
  out: BackendBuffer, { outer, channels, inner }: ChannelAffineParams,
): void {
  const x = (a as CpuBuffer).data, scale = alpha === null ? null : (alpha as CpuBuffer).data, to = (out as CpuBuffer).data;
  const y = b === null ? null : (b as CpuBuffer).data, yScale = beta === null ? null : (beta as CpuBuffer).data;
  const shift = gamma === null ? null : (gamma as CpuBuffer).data;
  const round = out.dtype === 'float32' ? Math.fround : (v: number): number => v;
  for (let n = 0, i = 0; n < outer; n++) {
    for (let c = 0; c < channels; c++) {
      const s = scale === null ? 1 : scale[c], t = yScale === null ? 0 : yScale[c], u = shift === null ? 0 : shift[c];
      for (let end = i + inner; i < end; i++) {
        let v = round(x[i] * s);
        if (y !== null) v = round(v + round(y[i] * t));
        to[i] = shift === null ? v : round(v + u);
      }
    }
  }
}
