import type { BackendBuffer, BatchNormForwardParams, BatchNormParams } from '../../backend.js';
import type { CpuBuffer } from '../cpu-buffer.js';

type Round = (v: number) => number;

const roundFor = (buffer: BackendBuffer): Round => (buffer.dtype === 'float32' ? Math.fround : (v: number): number => v);
const dataOf = (buffer: BackendBuffer | null): Float32Array | Float64Array | null => (buffer === null ? null : ((buffer as CpuBuffer).data as Float32Array | Float64Array));

/** Calls `visit(i)` for the index of each element of channel `c`, row by row. */
function forChannel({ outer, channels, inner }: BatchNormParams, c: number, visit: (i: number) => void): void {
  for (let n = 0; n < outer; n++) {
    for (let i = (n * channels + c) * inner, end = i + inner; i < end; i++) visit(i);
  }
}

/** 1/√(variance + eps), rounded as the composite's add and rsqrt round. */
const inverseStd = (variance: number, eps: number, round: Round): number => round(1 / Math.sqrt(round(variance + round(eps))));

/**
 * Kernels.batchNorm: sums in float64 in the composite's order (as the reduce
 * kernel's), every other operation rounded as its ops round it: its bits.
 */
export function batchNormKernel(
  x: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, variance: BackendBuffer,
  runningMean: BackendBuffer | null, runningVar: BackendBuffer | null, p: BatchNormForwardParams,
): void {
  const round = roundFor(out);
  const xs = dataOf(x)!, w = dataOf(weight), b = dataOf(bias), to = dataOf(out)!, means = dataOf(mean)!, variances = dataOf(variance)!;
  const count = p.outer * p.inner;
  for (let c = 0; c < p.channels; c++) {
    let sum = 0;
    forChannel(p, c, (i) => { sum += xs[i]; });
    const m = round(round(sum) / count);
    let squares = 0;
    forChannel(p, c, (i) => { const d = round(xs[i] - m); squares += round(d * d); });
    means[c] = m;
    variances[c] = round(round(squares) / count);
    const invstd = inverseStd(variances[c], p.eps, round);
    const scale = w === null ? invstd : round(invstd * w[c]);
    const shift = b === null ? null : b[c];
    forChannel(p, c, (i) => {
      const v = round(round(xs[i] - m) * scale);
      to[i] = shift === null ? v : round(v + shift);
    });
  }
  if (runningMean === null || runningVar === null) return;
  // running·(1 − momentum) + momentum·statistic, rounded as `mul` by a scalar and `add` with alpha round it.
  const keep = round(1 - p.momentum), meanWeight = round(p.momentum), varianceWeight = round(p.momentum * (count / Math.max(count - 1, 1)));
  const rm = dataOf(runningMean)!, rv = dataOf(runningVar)!;
  for (let c = 0; c < p.channels; c++) {
    rm[c] = round(round(rm[c] * keep) + round(meanWeight * means[c]));
    rv[c] = round(round(rv[c] * keep) + round(varianceWeight * variances[c]));
  }
}

/** Kernels.batchNormBackward: sums in float64 in the composite's order, the rest rounded as its ops round it: its bits. */
export function batchNormBackwardKernel(
  grad: BackendBuffer, x: BackendBuffer, mean: BackendBuffer, variance: BackendBuffer, weight: BackendBuffer | null,
  gradInput: BackendBuffer | null, gradWeight: BackendBuffer, gradBias: BackendBuffer, p: BatchNormParams,
): void {
  const round = roundFor(gradWeight);
  const dy = dataOf(grad)!, xs = dataOf(x)!, means = dataOf(mean)!, variances = dataOf(variance)!, w = dataOf(weight);
  const dx = dataOf(gradInput), dw = dataOf(gradWeight)!, db = dataOf(gradBias)!;
  const count = round(p.outer * p.inner);
  for (let c = 0; c < p.channels; c++) {
    const m = means[c];
    let sum = 0, dot = 0;
    forChannel(p, c, (i) => { sum += dy[i]; dot += round(dy[i] * round(xs[i] - m)); });
    const invstd = inverseStd(variances[c], p.eps, round);
    db[c] = round(sum);
    dw[c] = round(round(dot) * invstd);
    if (dx === null) continue;
    const scale = w === null ? invstd : round(invstd * w[c]);
    const normalizedWeight = round(invstd * round(dw[c] / count));
    const deviationScale = -round(normalizedWeight * scale), shift = -round(round(db[c] / count) * scale);
    forChannel(p, c, (i) => {
      dx[i] = round(round(round(dy[i] * scale) + round(round(xs[i] - m) * deviationScale)) + shift);
    });
  }
}
