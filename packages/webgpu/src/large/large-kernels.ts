import { contiguousStrides, isContiguous, sizeOf, ValueError, type DType } from '@fathom/core';
import type { BackendBuffer, BinaryOp, RandomSpec, SgdStepParams, UnaryOp, UnaryParams, View } from '@fathom/core/backend';
import { binaryKernel, copyKernel, fillKernel, unaryKernel, whereKernel } from '../kernels/elementwise.js';
import { randomFillKernel } from '../kernels/random.js';
import { sgdStepKernel } from '../kernels/sgd-step.js';
import { planBlocks, type Block, type PlanOperand } from './block-plan.js';
import type { LargeBufferRunner } from './large-runner.js';

/**
 * An operand of a split kernel: a view of a buffer, walked by the iteration
 * through `strides` (one per iteration dim), with its own dims being the
 * iteration dims `dims` in order.
 */
export interface SplitOperand {
  readonly view: View;
  readonly strides: readonly number[];
  readonly dims: readonly number[];
  readonly span?: number;
  /** See {@link PlanOperand.packable}. */
  readonly packable?: boolean;
}

/** The operand of a view walked dim for dim by the iteration. */
export function walked(view: View): SplitOperand {
  return { view, strides: view.strides, dims: view.shape.map((_, d) => d) };
}

/** A whole buffer as a row-major view of `shape`. */
export function wholeView(buffer: BackendBuffer, shape: readonly number[]): View {
  return { buffer, shape, strides: contiguousStrides(shape), offset: 0 };
}

/**
 * Kernels over buffers larger than one storage binding. Each splits its
 * iteration into blocks whose large operands fit one window each
 * ({@link planBlocks}) and runs the ordinary kernel per block; results a
 * kernel cannot write in place go through a small scratch buffer and a
 * strided copy, and partial results (a split reduced dim, a split inner
 * dim of a matrix product) are combined elementwise. Everything here runs
 * only for large buffers: the common case never comes through.
 */
export class LargeKernels {
  constructor(readonly run: LargeBufferRunner) {}

  /** Whether any of `buffers` is too large for one binding. */
  involves(...buffers: BackendBuffer[]): boolean {
    return buffers.some((buffer) => this.run.layoutOf(buffer) !== null);
  }

  /** The blocks of an iteration over `shape`, or an error naming `op` when one iteration point alone does not fit. */
  plan(op: string, shape: readonly number[], operands: readonly SplitOperand[]): Block[] {
    const blocks = this.tryPlan(shape, operands);
    if (!blocks) {
      throw new ValueError(
        `webgpu: ${op} of shape [${shape.join(',')}] needs, for a single output element, more of one tensor than one storage binding holds ` +
          `(${this.run.limits.windowElements} elements)`,
      );
    }
    return blocks;
  }

  /** The blocks of an iteration over `shape`, or null when one iteration point alone does not fit. */
  tryPlan(shape: readonly number[], operands: readonly SplitOperand[]): Block[] | null {
    const planned: PlanOperand[] = operands.map(({ view, strides, span, packable }) => ({ strides, offset: view.offset, span, packable, layout: this.run.layoutOf(view.buffer) }));
    return planBlocks(shape, planned, this.run.limits);
  }

  /** `operand` restricted to `block`, bound through the block's window `k` if it has one (null: the region of the whole buffer, for {@link write}). */
  restrict(operand: SplitOperand, block: Block, k: number | null): View {
    const { view, strides, dims } = operand;
    let offset = view.offset;
    strides.forEach((stride, d) => (offset += block.origin[d] * stride));
    const shape = dims.map((d) => block.shape[d]);
    const ownStrides = dims.map((d) => strides[d]);
    const window = k === null ? null : block.windows[k];
    if (!window) return { buffer: view.buffer, shape, strides: ownStrides, offset };
    return { buffer: this.run.window(view.buffer, window.start, window.length), shape, strides: ownStrides, offset: offset - window.start };
  }

  /**
   * Has `produce` write a contiguous result into `target`, a region of some
   * buffer: in place when the region is a whole small buffer or a contiguous,
   * aligned range of a large one, else through a scratch buffer and a copy.
   */
  write(target: View, produce: (out: BackendBuffer) => void): void {
    this.update(target, produce, false);
  }

  /** As {@link write}, for a kernel that also reads what `target` holds (a scatter-add). */
  modify(target: View, change: (out: BackendBuffer) => void): void {
    this.update(target, change, true);
  }

  private update(target: View, produce: (out: BackendBuffer) => void, keep: boolean): void {
    const size = sizeOf(target.shape);
    if (size === 0) return;
    const layout = this.run.layoutOf(target.buffer);
    const contiguous = isContiguous(target.shape, target.strides);
    if (!layout && contiguous && target.offset === 0 && size === target.buffer.length) return produce(target.buffer);
    if (layout && contiguous && target.offset % this.run.limits.alignElements === 0 && size <= this.run.limits.windowElements) {
      const segment = layout.segments.find((s) => target.offset >= s.start && target.offset < s.start + s.length);
      if (segment && target.offset + size <= segment.start + segment.length) return produce(this.run.window(target.buffer, target.offset, size));
    }
    const scratch = this.run.allocate(target.buffer.dtype, size);
    if (keep) this.copy(target, wholeView(scratch, target.shape));
    produce(scratch);
    this.copy(wholeView(scratch, target.shape), target);
    this.run.release(scratch);
  }

  /** `view` contiguous from its offset in a buffer bound whole: itself, or a packed copy (to release). */
  packed(view: View): { view: View; release: () => void } {
    if (!this.run.layoutOf(view.buffer) && isContiguous(view.shape, view.strides)) return { view, release: () => undefined };
    const buffer = this.run.allocate(view.buffer.dtype, sizeOf(view.shape));
    this.copy(view, wholeView(buffer, view.shape));
    return { view: wholeView(buffer, view.shape), release: () => this.run.release(buffer) };
  }

  /** `target = op(target, partial)` elementwise, `partial` a contiguous buffer of `target`'s shape. */
  accumulate(op: BinaryOp, target: View, partial: BackendBuffer): void {
    const sum = this.run.allocate(target.buffer.dtype, partial.length);
    this.binary(op, target, wholeView(partial, target.shape), sum);
    this.copy(wholeView(sum, target.shape), target);
    this.run.release(sum);
  }

  /** Kernels.copy for any buffers. */
  copy(src: View, dst: View): void {
    if (!this.involves(src.buffer, dst.buffer)) return copyKernel(this.run, src, dst);
    const operands = [walked(src), walked(dst)];
    for (const block of this.plan('copy', src.shape, operands)) {
      copyKernel(this.run, this.restrict(operands[0], block, 0), this.restrict(operands[1], block, 1));
    }
  }

  // An elementwise kernel of `inputs` (all of `shape`) into the contiguous `out`, block by block.
  private elementwise(op: string, inputs: readonly View[], out: BackendBuffer, kernel: (inputs: View[], out: BackendBuffer) => void): void {
    const shape = inputs[0].shape;
    const operands = [...inputs.map(walked), walked(wholeView(out, shape))];
    for (const block of this.plan(op, shape, operands)) {
      const views = inputs.map((_, k) => this.restrict(operands[k], block, k));
      this.write(this.restrict(operands[inputs.length], block, null), (target) => kernel(views, target));
    }
  }

  /** Kernels.unary for any buffers. */
  unary(op: UnaryOp, x: View, out: BackendBuffer, params: UnaryParams): void {
    if (!this.involves(x.buffer, out)) return unaryKernel(this.run, op, x, out, params);
    this.elementwise(op, [x], out, ([view], target) => unaryKernel(this.run, op, view, target, params));
  }

  /** Kernels.binary for any buffers. */
  binary(op: BinaryOp, a: View, b: View, out: BackendBuffer, alpha = 1): void {
    if (!this.involves(a.buffer, b.buffer, out)) return binaryKernel(this.run, op, a, b, out, alpha);
    this.elementwise(op, [a, b], out, ([va, vb], target) => binaryKernel(this.run, op, va, vb, target, alpha));
  }

  /** Kernels.where for any buffers. */
  where(cond: View, a: View, b: View, out: BackendBuffer): void {
    if (!this.involves(cond.buffer, a.buffer, b.buffer, out)) return whereKernel(this.run, cond, a, b, out);
    this.elementwise('where', [cond, a, b], out, ([vc, va, vb], target) => whereKernel(this.run, vc, va, vb, target));
  }

  // Consecutive windows covering a large buffer, each inside one segment.
  private *windows(buffer: BackendBuffer): Generator<{ start: number; window: BackendBuffer }> {
    const layout = this.run.layoutOf(buffer);
    if (!layout) return yield { start: 0, window: buffer };
    const { windowElements } = this.run.limits;
    for (const segment of layout.segments) {
      for (let start = segment.start; start < segment.start + segment.length; start += windowElements) {
        const length = Math.min(windowElements, segment.start + segment.length - start);
        yield { start, window: this.run.window(buffer, start, length) };
      }
    }
  }

  /** Kernels.fill for any buffer. */
  fill(out: BackendBuffer, value: number): void {
    for (const { window } of this.windows(out)) fillKernel(this.run, window, value);
  }

  /** Kernels.randomFill for any buffer: element i draws counter `offset + i` wherever it lives. */
  randomFill(out: BackendBuffer, spec: RandomSpec): void {
    for (const { start, window } of this.windows(out)) randomFillKernel(this.run, window, { ...spec, offset: spec.offset + start });
  }

  /** Kernels.sgdStep for large buffers: window by window, the same windows of all three (one length, so one segmentation). */
  sgdStep(param: BackendBuffer, grad: BackendBuffer, momentum: BackendBuffer | null, params: SgdStepParams): void {
    for (const { start, window } of this.windows(param)) {
      const at = (buffer: BackendBuffer): BackendBuffer => this.run.window(buffer, start, window.length);
      sgdStepKernel(this.run, window, at(grad), momentum === null ? null : at(momentum), params);
    }
  }

  /** A one-element buffer holding `value`, broadcast to `shape`. */
  scalar(dtype: DType, value: number, shape: readonly number[]): { view: View; buffer: BackendBuffer } {
    const buffer = this.run.allocate(dtype, 1);
    fillKernel(this.run, buffer, value);
    return { buffer, view: { buffer, shape, strides: shape.map(() => 0), offset: 0 } };
  }
}
