import type { ArgReduceOp, BackendBuffer, ReduceOp, View } from '../../backend.js';
import type { CpuBuffer } from '../cpu-buffer.js';
import { splitReducedDims } from '../../kernel-geometry.js';
import { forEachRow } from '../strided.js';

const IDENTITY: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity, all: 1, any: 0 };

function accumulate(op: ReduceOp, acc: number, v: number): number {
  switch (op) {
    case 'sum': return acc + v;
    case 'prod': return acc * v;
    case 'max': return v > acc || v !== v ? v : acc;
    case 'min': return v < acc || v !== v ? v : acc;
    case 'all': return acc && v !== 0 ? 1 : 0;
    default: return acc || v !== 0 ? 1 : 0;
  }
}

/** Kernels.reduce: one pass per output element over the reduced block, accumulated in doubles. */
export function reduceKernel(op: ReduceOp, x: View, dims: readonly number[], out: BackendBuffer): void {
  const from = (x.buffer as CpuBuffer).data;
  const to = (out as CpuBuffer).data;
  const { keptShape, keptStrides, reducedShape, reducedStrides } = splitReducedDims(x, dims);
  const outputs = keptShape.reduce((p, d) => p * d, 1);
  let index = 0;
  const reduceFrom = (base: number): number => {
    let acc = IDENTITY[op];
    forEachRow(reducedShape, [reducedStrides], [base], (o, n, s) => {
      let i = o[0];
      const si = s[0];
      if (op === 'sum') for (let c = 0; c < n; c++, i += si) acc += from[i];
      else for (let c = 0; c < n; c++, i += si) acc = accumulate(op, acc, from[i]);
    });
    return acc;
  };
  if (outputs === 0) return;
  if (keptShape.length === 0) {
    to[0] = reduceFrom(x.offset);
    return;
  }
  forEachRow(keptShape, [keptStrides], [x.offset], (o, n, s) => {
    for (let c = 0, base = o[0]; c < n; c++, base += s[0]) to[index++] = reduceFrom(base);
  });
}

/** Kernels.argReduce: first index of the extreme along `dim`; a NaN counts as the extreme. */
export function argReduceKernel(op: ArgReduceOp, x: View, dim: number, out: BackendBuffer): void {
  const from = (x.buffer as CpuBuffer).data;
  const to = (out as CpuBuffer).data;
  const { keptShape, keptStrides } = splitReducedDims(x, [dim]);
  const size = x.shape[dim];
  const stride = x.strides[dim];
  const better = op === 'argmax' ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
  let index = 0;
  const pick = (base: number): number => {
    let best = from[base];
    let at = 0;
    for (let k = 1; k < size && best === best; k++) {
      const v = from[base + k * stride];
      if (v !== v || better(v, best)) {
        best = v;
        at = k;
      }
    }
    return at;
  };
  if (keptShape.length === 0) {
    to[0] = pick(x.offset);
    return;
  }
  forEachRow(keptShape, [keptStrides], [x.offset], (o, n, s) => {
    for (let c = 0, base = o[0]; c < n; c++, base += s[0]) to[index++] = pick(base);
  });
}
