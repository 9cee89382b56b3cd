import type { BackendBuffer, View } from '../../backend.js';
import { contiguousStrides, type Shape } from '../../shape.js';
import type { CpuBuffer } from '../cpu-buffer.js';

// Visits every position of `shape` in row-major order with its coordinates.
function forEachIndex(shape: Shape, visit: (coords: number[], flat: number) => void): void {
  const total = shape.reduce((p, d) => p * d, 1);
  const coords = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    visit(coords, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coords[d] < shape[d]) break;
      coords[d] = 0;
    }
  }
}

function offsetOf(coords: readonly number[], strides: readonly number[], base: number, dim: number, replacement: number): number {
  let at = base;
  for (let d = 0; d < coords.length; d++) at += (d === dim ? replacement : coords[d]) * strides[d];
  return at;
}

/** Kernels.gather. */
export function gatherKernel(x: View, dim: number, index: View, out: BackendBuffer): void {
  const from = (x.buffer as CpuBuffer).data;
  const indices = (index.buffer as CpuBuffer).data;
  const to = (out as CpuBuffer).data;
  forEachIndex(index.shape, (coords, flat) => {
    const i = indices[offsetOf(coords, index.strides, index.offset, -1, 0)];
    to[flat] = from[offsetOf(coords, x.strides, x.offset, dim, i)];
  });
}

/** Kernels.scatterAdd. */
export function scatterAddKernel(out: BackendBuffer, outShape: Shape, dim: number, index: View, src: View): void {
  const to = (out as CpuBuffer).data;
  const indices = (index.buffer as CpuBuffer).data;
  const from = (src.buffer as CpuBuffer).data;
  const strides = contiguousStrides(outShape);
  forEachIndex(index.shape, (coords) => {
    const i = indices[offsetOf(coords, index.strides, index.offset, -1, 0)];
    to[offsetOf(coords, strides, 0, dim, i)] += from[offsetOf(coords, src.strides, src.offset, -1, 0)];
  });
}
