import type { View } from '../backend.js';
import { IndexError, ShapeError, ValueError } from '../errors.js';
import { broadcastShapes, contiguousStrides, formatShape, normalizeDim, normalizeDims, sizeOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { recordOp, withoutRecording } from '../gradient-hook.js';
import { contiguous } from './copy.js';

/** The kernel view of `x` broadcast to `shape` (size-1 and missing leading dims get stride 0); no copy. */
export function broadcastView(x: Tensor, shape: Shape): View {
  const layout = x.layout();
  const lead = shape.length - x.ndim;
  const strides = shape.map((size, i) => {
    if (i < lead) return 0;
    return x.shape[i - lead] === 1 && size !== 1 ? 0 : x.strides[i - lead];
  });
  return { buffer: layout.buffer, shape, strides, offset: layout.offset };
}

// Resolves one -1 in a requested shape against `numel` elements.
function inferShape(op: string, x: Tensor, requested: readonly number[]): number[] {
  const shape = [...requested];
  const unknown = shape.indexOf(-1);
  if (shape.lastIndexOf(-1) !== unknown) throw new ShapeError(`${op}: only one dimension can be -1, got ${formatShape(requested)}`);
  for (const d of shape) {
    if (d !== -1 && (!Number.isInteger(d) || d < 0)) throw new ValueError(`${op}: invalid size ${d} in shape ${formatShape(requested)}`);
  }
  if (unknown >= 0) {
    const known = shape.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (known === 0 || x.numel % known !== 0) {
      throw new ShapeError(`${op}: shape ${formatShape(requested)} is invalid for input of size ${x.numel} (shape ${formatShape(x.shape)})`);
    }
    shape[unknown] = x.numel / known;
  }
  if (sizeOf(shape) !== x.numel) {
    throw new ShapeError(`${op}: shape ${formatShape(requested)} is invalid for input of size ${x.numel} (shape ${formatShape(x.shape)})`);
  }
  return shape;
}

// Strides that present `x`'s elements in `shape` without copying, or null when
// its layout does not allow it (PyTorch's computeStride, THTensor_compute_stride).
function viewStrides(x: Tensor, shape: readonly number[]): number[] | null {
  if (x.numel === 0 || x.ndim === 0) return contiguousStrides(shape);
  const strides = new Array<number>(shape.length);
  let viewDim = shape.length - 1;
  let chunkBase = x.strides[x.ndim - 1] ?? 1;
  let tensorElements = 1;
  let viewElements = 1;
  for (let dim = x.ndim - 1; dim >= 0; dim--) {
    tensorElements *= x.shape[dim];
    if (dim === 0 || (x.shape[dim - 1] !== 1 && x.strides[dim - 1] !== tensorElements * chunkBase)) {
      while (viewDim >= 0 && (viewElements < tensorElements || shape[viewDim] === 1)) {
        strides[viewDim] = viewElements * chunkBase;
        viewElements *= shape[viewDim];
        viewDim--;
      }
      if (viewElements !== tensorElements) return null;
      if (dim > 0) {
        chunkBase = x.strides[dim - 1];
        tensorElements = 1;
        viewElements = 1;
      }
    }
  }
  if (viewDim !== -1) return null;
  return strides;
}

/** A view of `x` with a new shape (one size may be -1); throws when the strides do not allow one. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('view', x, shape);
  const strides = viewStrides(x, target);
  if (!strides) {
    throw new ShapeError(`view: size ${formatShape(target)} is not compatible with the strides ${formatShape(x.strides)} of input ${formatShape(x.shape)}; use reshape() (which copies)`);
  }
  return recordOp('reshape', [x], x.asStrided(target, strides, x.offset, 'view'));
}

/**
 * The elements of `x` in a new shape (one size may be -1): a view when
 * possible, else a contiguous copy — as `torch.reshape`.
 *
 * ```ts
 * reshape(arange(6), [2, -1]); // shape [2, 3]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('reshape', x, shape);
  const strides = viewStrides(x, target);
  if (strides) return recordOp('reshape', [x], x.asStrided(target, strides, x.offset, 'reshape'));
  const out = withoutRecording(() => {
    const copy = contiguous(x);
    const result = copy.asStrided(target, contiguousStrides(target), copy.offset, 'reshape');
    copy.dispose();
    return result;
  });
  return recordOp('reshape', [x], out);
}

/** Merges dims `startDim..endDim` (inclusive) into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const start = normalizeDim('flatten', startDim, x.ndim);
  const end = normalizeDim('flatten', endDim, x.ndim);
  if (start > end) throw new ValueError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const merged = x.shape.slice(start, end + 1).reduce((p, d) => p * d, 1);
  return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
}

/** Removes size-1 dims: all of them, or only the named ones (named dims of other sizes are left alone, as in PyTorch). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : normalizeDims('squeeze', dim, x.ndim);
  const keep = x.shape.map((size, i) => !(size === 1 && dims.includes(i)));
  return recordOp('reshape', [x], x.asStrided(x.shape.filter((_, i) => keep[i]), x.strides.filter((_, i) => keep[i]), x.offset, 'squeeze'));
}

/** Inserts a size-1 dim at `dim` (which may be `ndim`, or negative). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d] * x.shape[d] : 1);
  return recordOp('reshape', [x], x.asStrided(shape, strides, x.offset, 'unsqueeze'));
}

/** Reorders the dims of `x` (a view). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new ShapeError(`permute: got ${dims.length} dims ${formatShape(dims)} for a tensor with ${x.ndim} dimensions`);
  }
  const order = dims.map((d) => normalizeDim('permute', d, x.ndim));
  if (new Set(order).size !== order.length) throw new ValueError(`permute: dims ${formatShape(dims)} repeat a dimension`);
  return recordOp('permute', [x], x.asStrided(order.map((d) => x.shape[d]), order.map((d) => x.strides[d]), x.offset, 'permute'), { dims: order });
}

/** Swaps dims `dim0` and `dim1` (a view). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const order = x.shape.map((_, i) => i);
  const a = normalizeDim('transpose', dim0, x.ndim);
  const b = normalizeDim('transpose', dim1, x.ndim);
  if (x.ndim > 0) [order[a], order[b]] = [order[b], order[a]];
  return permute(x, order);
}

/** Transpose of a tensor with at most two dims (PyTorch `t()`). */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new ShapeError(`t: expects a tensor with at most 2 dimensions, got ${formatShape(x.shape)}; use transpose(dim0, dim1)`);
  return x.ndim < 2 ? recordOp('reshape', [x], x.asStrided(x.shape, x.strides, x.offset, 't')) : transpose(x, 0, 1);
}

/** Broadcasts `x` to `shape` without copying; -1 keeps a size; new dims go in front. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) {
    throw new ShapeError(`expand: target ${formatShape(shape)} has fewer dimensions than input ${formatShape(x.shape)}`);
  }
  const lead = shape.length - x.ndim;
  const target = shape.map((size, i) => (size === -1 && i >= lead ? x.shape[i - lead] : size));
  target.forEach((size, i) => {
    const own = i >= lead ? x.shape[i - lead] : 1;
    if (size < 0 || (own !== size && own !== 1)) {
      throw new ShapeError(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)} (dimension ${i}: ${own} to ${size})`);
    }
  });
  broadcastShapes('expand', x.shape, target);
  const strides = target.map((size, i) => (i < lead || (x.shape[i - lead] === 1 && size !== 1) ? 0 : x.strides[i - lead]));
  return recordOp('expand', [x], x.asStrided(target, strides, x.offset, 'expand'));
}

/**
 * Elements `start, start + step, …` below `end` along `dim`, as Python slicing:
 * negative indices count from the end and out-of-range bounds are clamped.
 *
 * ```ts
 * x.slice(1, 0, -1); // every column but the last
 * ```
 */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  const d = normalizeDim('slice', dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new ValueError(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d];
  const clampIndex = (i: number): number => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const from = clampIndex(start ?? 0);
  const to = Math.max(clampIndex(end ?? size), from);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = Math.ceil((to - from) / step);
  strides[d] = x.strides[d] * step;
  const out = x.asStrided(shape, strides, x.offset + (shape[d] > 0 ? from * x.strides[d] : 0), 'slice');
  return recordOp('slice', [x], out, { dim: d, start: from, step });
}

/** `length` elements from `start` along `dim` (a view); unlike slice, out-of-range bounds are an error. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim('narrow', dim, x.ndim);
  const size = x.shape[d];
  const from = start < 0 ? start + size : start;
  if (!Number.isInteger(from) || !Number.isInteger(length) || from < 0 || length < 0 || from + length > size) {
    throw new IndexError(`narrow: start ${start} and length ${length} do not fit dimension ${dim} of size ${size} (shape ${formatShape(x.shape)})`);
  }
  return slice(x, d, from, from + length);
}

/** The slice at `index` of `dim`, with that dim removed (a view). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  if (x.ndim === 0) throw new IndexError('select: cannot be applied to a 0-d tensor');
  const d = normalizeDim('select', dim, x.ndim);
  const size = x.shape[d];
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(i) || i < 0 || i >= size) {
    throw new IndexError(`select: index ${index} is out of range for dimension ${dim} of size ${size} (shape ${formatShape(x.shape)})`);
  }
  const out = x.asStrided(x.shape.filter((_, k) => k !== d), x.strides.filter((_, k) => k !== d), x.offset + i * x.strides[d], 'select');
  return recordOp('select', [x], out, { dim: d, index: i });
}

/** Pieces of `splitSize` elements along `dim` (the last may be smaller), or pieces of the given sizes (views). */
export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  const d = normalizeDim('split', dim, x.ndim);
  const size = x.shape[d];
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!Number.isInteger(splitSize) || splitSize <= 0) throw new ValueError(`split: splitSize must be a positive integer, got ${splitSize}`);
    sizes = [];
    for (let at = 0; at < size; at += splitSize) sizes.push(Math.min(splitSize, size - at));
    if (size === 0) sizes = [0];
  } else {
    sizes = [...splitSize];
    const total = sizes.reduce((p, s) => p + s, 0);
    if (total !== size || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ShapeError(`split: sizes ${formatShape(sizes)} must be non-negative and add up to ${size}, the size of dimension ${dim}`);
    }
  }
  let at = 0;
  return sizes.map((length) => {
    const piece = narrow(x, d, at, length);
    at += length;
    return piece;
  });
}

/** `chunks` pieces of ⌈size/chunks⌉ along `dim` (fewer when the size runs out), as `torch.chunk`. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ValueError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normalizeDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}
