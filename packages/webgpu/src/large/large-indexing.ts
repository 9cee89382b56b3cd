import { contiguousStrides, sizeOf } from '@fathom/core';
import type { BackendBuffer, View } from '@fathom/core/backend';
import { gatherKernel, scatterAddKernel } from '../kernels/indexing.js';
import type { Block } from './block-plan.js';
import { walked, wholeView, type LargeKernels, type SplitOperand } from './large-kernels.js';

// Gather and scatter-add reach anywhere along `dim`, as their indices say: a
// block binds the whole of `dim`. Where that is longer than a window, `dim`
// is cut into pieces, each serving the indices that fall in it (a masked
// gather or scatter of indices shifted into the piece).

// The operand that reads `view` (of `shape`) at the iteration's coordinates, anywhere along `dim`.
function alongDim(view: View, dim: number): SplitOperand {
  const stride = view.strides[dim];
  return { view, strides: view.strides.map((s, d) => (d === dim ? 0 : s)), dims: view.shape.map((_, d) => d), span: (view.shape[dim] - 1) * stride + 1 };
}

// The block's region of `view` along every dim but `dim`, which it keeps whole.
function wholeAlong(large: LargeKernels, operand: SplitOperand, block: Block, k: number | null, dim: number): View {
  const restricted = large.restrict(operand, block, k);
  return { ...restricted, shape: restricted.shape.map((size, d) => (d === dim ? operand.view.shape[dim] : size)), strides: operand.view.strides };
}

// `view` cut to `[start, start + length)` along `dim`.
function piece(view: View, dim: number, start: number, length: number): View {
  return { ...view, shape: view.shape.map((size, d) => (d === dim ? length : size)), offset: view.offset + start * view.strides[dim] };
}

/** Per piece of `dim` (halved until the plan fits), with the indices that fall in it shifted into it and the mask of those. */
function forPieces(
  large: LargeKernels,
  target: View,
  dim: number,
  index: View,
  fits: (piece: View) => boolean,
  visit: (piece: View, local: View, mask: View) => void,
): void {
  const { run } = large;
  const shape = index.shape;
  const size = sizeOf(shape);
  const each = (start: number, length: number): void => {
    const part = piece(target, dim, start, length);
    if (length > 1 && !fits(part)) {
      const half = Math.ceil(length / 2);
      each(start, half);
      each(start + half, length - half);
      return;
    }
    const temps: BackendBuffer[] = [];
    const temp = (dtype: 'int32' | 'bool'): BackendBuffer => {
      const buffer = run.allocate(dtype, size);
      temps.push(buffer);
      return buffer;
    };
    const scalar = (value: number): View => {
      const s = large.scalar('int32', value, shape);
      temps.push(s.buffer);
      return s.view;
    };
    const shifted = temp('int32');
    large.binary('sub', index, scalar(start), shifted);
    const low = temp('bool');
    const high = temp('bool');
    const mask = temp('bool');
    large.binary('ge', wholeView(shifted, shape), scalar(0), low);
    large.binary('lt', wholeView(shifted, shape), scalar(length), high);
    large.binary('logicalAnd', wholeView(low, shape), wholeView(high, shape), mask);
    const local = temp('int32');
    large.where(wholeView(mask, shape), wholeView(shifted, shape), scalar(0), local);
    visit(part, wholeView(local, shape), wholeView(mask, shape));
    for (const buffer of temps) run.release(buffer);
  };
  each(0, target.shape[dim]);
}

/** Kernels.gather where a buffer is larger than one binding. */
export function largeGather(large: LargeKernels, x: View, dim: number, index: View, out: BackendBuffer): void {
  const rank = index.shape.length;
  if (rank === 0 || sizeOf(index.shape) === 0) return gatherKernel(large.run, x, dim, index, out);
  const outView = wholeView(out, index.shape);
  const planFor = (source: View): Block[] | null => large.tryPlan(index.shape, [alongDim(source, dim), walked(index), walked(outView)]);
  const gatherInto = (source: View, indices: View, target: BackendBuffer, blocks: Block[]): void => {
    const operands = [alongDim(source, dim), walked(indices), walked(wholeView(target, indices.shape))];
    for (const block of blocks) {
      const xView = wholeAlong(large, operands[0], block, 0, dim);
      const indexView = large.restrict(operands[1], block, 1);
      large.write(large.restrict(operands[2], block, null), (buffer) => gatherKernel(large.run, xView, dim, indexView, buffer));
    }
  };
  const blocks = planFor(x);
  if (blocks) return gatherInto(x, index, out, blocks);
  large.fill(out, 0);
  forPieces(large, x, dim, index, (part) => planFor(part) !== null, (part, local, mask) => {
    const gathered = large.run.allocate(out.dtype, out.length);
    gatherInto(part, local, gathered, large.plan('gather', index.shape, [alongDim(part, dim), walked(local), walked(wholeView(gathered, index.shape))]));
    large.write(outView, (buffer) => large.where(mask, wholeView(gathered, index.shape), outView, buffer));
    large.run.release(gathered);
  });
}

/** Kernels.scatterAdd where a buffer is larger than one binding. */
export function largeScatterAdd(large: LargeKernels, out: BackendBuffer, outShape: readonly number[], dim: number, index: View, src: View): void {
  if (index.shape.length === 0 || sizeOf(index.shape) === 0) return scatterAddKernel(large.run, out, outShape, dim, index, src);
  // Only src's elements that the indices name take part.
  scatterInto(large, { buffer: out, shape: outShape, strides: contiguousStrides(outShape), offset: 0 }, dim, index, { ...src, shape: index.shape });
}

// Scatter-adds into `target`, a view of any buffer.
function scatterInto(large: LargeKernels, target: View, dim: number, index: View, src: View): void {
  const planFor = (part: View): Block[] | null => large.tryPlan(index.shape, [alongDim(part, dim), walked(index), walked(src)]);
  const blocks = planFor(target);
  if (blocks) {
    const operands = [alongDim(target, dim), walked(index), walked(src)];
    for (const block of blocks) {
      const region = wholeAlong(large, operands[0], block, null, dim);
      const indexView = large.restrict(operands[1], block, 1);
      const srcView = large.restrict(operands[2], block, 2);
      large.modify(region, (buffer) => scatterAddKernel(large.run, buffer, region.shape, dim, indexView, srcView));
    }
    return;
  }
  forPieces(large, target, dim, index, (part) => planFor(part) !== null, (part, local, mask) => {
    const masked = large.run.allocate(src.buffer.dtype, sizeOf(src.shape));
    const zero = large.scalar(src.buffer.dtype, 0, src.shape);
    large.where(mask, src, zero.view, masked);
    scatterInto(large, part, dim, local, wholeView(masked, src.shape));
    large.run.release(masked);
    large.run.release(zero.buffer);
  });
}
