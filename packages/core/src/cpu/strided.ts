import type { Shape } from '../shape.js';
import { collapseDims } from '../kernel-geometry.js';

/**
 * Calls `row(offsets, length, innerStrides)` once per innermost row of `shape`
 * for operands laid out with `stridesList` from `baseOffsets`. `offsets` is
 * reused between calls: read it, do not keep it.
 */
export function forEachRow(
  shape: Shape,
  stridesList: readonly (readonly number[])[],
  baseOffsets: readonly number[],
  row: (offsets: number[], length: number, innerStrides: number[]) => void,
): void {
  const total = shape.reduce((p, d) => p * d, 1);
  if (total === 0) return;
  const collapsed = collapseDims(shape, stridesList);
  const dims = collapsed.shape;
  const strides = collapsed.strides;
  const ndim = dims.length;
  const length = dims[ndim - 1];
  const inner = strides.map((s) => s[ndim - 1]);
  const offsets = [...baseOffsets];
  const counter = new Array<number>(ndim - 1).fill(0);
  const rows = total / length;
  for (let r = 0; r < rows; r++) {
    row(offsets, length, inner);
    // Odometer over the outer dims.
    for (let d = ndim - 2; d >= 0; d--) {
      counter[d]++;
      for (let k = 0; k < offsets.length; k++) offsets[k] += strides[k][d];
      if (counter[d] < dims[d]) break;
      for (let k = 0; k < offsets.length; k++) offsets[k] -= strides[k][d] * dims[d];
      counter[d] = 0;
    }
  }
}
