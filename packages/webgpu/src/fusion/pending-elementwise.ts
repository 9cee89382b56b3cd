import { contiguousStrides, sizeOf } from '@fathom/core';
import {
  coversBuffer, type BackendBuffer, type BinaryOp, type DeviceSpanSink, type UnaryOp, type UnaryParams, type View,
} from '@fathom/core/backend';
import { checkBinary, checkWhere, elementBits, iteration, unaryExpression } from '../kernels/elementwise.js';
import { gridFor, LINEAR_WORKGROUP, type KernelLaunch } from '../kernels/launch.js';
import { storageType } from '../wgsl/storage-type.js';
import { MAX_RANK } from '../wgsl/strided.js';
import { measure, planFused, withBuffer, type FusedNode } from './fused-expression.js';

/** What {@link PendingElementwise} needs from the backend. */
export interface FusionHost {
  /** Records a dispatch as is: the hazards it could raise were dealt with here. Its GPU time is `owner`'s, where not null. */
  dispatch(launch: KernelLaunch, owner: DeviceSpanSink | null): void;
  /** The kernel call a profile charges GPU work recorded now to (null while none times the GPU). */
  chargedCall(): DeviceSpanSink | null;
  /** Called once no pending expression reads `buffer` any more (a released one may now be reused). */
  unread(buffer: BackendBuffer): void;
  /** A new buffer holding what `buffer` holds now (copied in the batch, not computed). */
  snapshot(buffer: BackendBuffer): BackendBuffer;
  /** Backend.release. */
  release(buffer: BackendBuffer): void;
  readonly maxWorkgroupsPerDimension: number;
}

// A buffer whose value is an expression not yet computed.
interface Pending {
  readonly out: BackendBuffer;
  readonly root: FusedNode;
  readonly shape: readonly number[];
  /** The buffers its expression reads (planned only when it is computed). */
  readonly reads: readonly BackendBuffer[];
  /** The profiled call that recorded its op, charged with its kernel's GPU time whenever that runs; null when not profiling. */
  readonly owner: DeviceSpanSink | null;
}

/**
 * Lazy elementwise fusion. Kernels.unary, binary, where and fill (and copy
 * of a pending result) record their result as an expression on the output
 * buffer instead of dispatching; a later elementwise op that reads the
 * buffer whole, in the same shape, inlines the expression, and the buffer is
 * computed (materialized) only when something else needs its bits. A result
 * released before that is never computed: `p.sub(p.grad.mul(lr))` runs as
 * one kernel.
 *
 * Invariants that keep it correct: a pending buffer is never a leaf of a
 * pending expression (reading it inlines or materializes it), and a leaf
 * keeps its contents until every expression reading it is materialized or
 * dropped: the backend calls {@link beforeWrite} before anything writes a
 * buffer and defers reusing a released leaf until {@link FusionHost.unread}.
 */
export class PendingElementwise {
  private readonly pending = new Map<BackendBuffer, Pending>();
  // The pending expressions reading each leaf buffer.
  private readonly readers = new Map<BackendBuffer, Set<Pending>>();
  /** Elementwise ops (fills and fused copies included) recorded. */
  recorded = 0;
  /** Dispatches of fused kernels. */
  dispatches = 0;

  constructor(
    private readonly host: FusionHost,
    /** Buffers one fused kernel may read (the device's storage buffers per stage, less the output and the parameter block). */
    private readonly maxReads: number,
    /** Ops one fused kernel may compute, bounding its source and its compile time. */
    private readonly maxOps = 32,
  ) {}

  /** Elementwise ops that got no dispatch of their own: inlined into another's kernel, or released before anything read them. */
  get fusedAway(): number {
    return this.recorded - this.dispatches - this.pending.size;
  }

  /** Kernels.fill, deferred: a filled buffer read by elementwise ops (a scalar operand, zeros) becomes a constant in their kernel. */
  fill(out: BackendBuffer, value: number): void {
    storageType(out.dtype, 'fill');
    this.record('fill', out, [out.length], [], () => ({ kind: 'fill', dtype: out.dtype, bits: elementBits(out.dtype, value) }));
  }

  /**
   * Kernels.copy of a pending result into a whole buffer of its shape,
   * deferred: the expression (converted, if the dtypes differ) becomes
   * `dst`'s, and an update in place (`p.copy_(p.sub(step))`) is one kernel.
   * Returns false, doing nothing, for any other copy.
   */
  copy(src: View, dst: View): boolean {
    const entry = this.pending.get(src.buffer);
    const shape = src.shape;
    if (!entry || src.buffer === dst.buffer || !linesUp(entry, src, shape) || !coversBuffer(dst)) return false;
    const from = src.buffer.dtype;
    const to = dst.buffer.dtype;
    const root: FusedNode = from === to ? entry.root : { kind: 'convert', from, to, x: entry.root };
    const { reads } = measure(root, shape);
    const inPlace = reads.includes(dst.buffer);
    // In place, src is left reading dst's new contents, which only an unconverted copy makes equal to src's.
    if (inPlace && from !== to) return false;
    this.recorded++;
    const owner = this.host.chargedCall();
    if (!inPlace) {
      this.define({ out: dst.buffer, root, shape, reads, owner });
      return true;
    }
    // An update in place: compute into dst now, after what reads dst's old contents (src's own expression aside).
    this.preserve(dst.buffer, entry);
    this.dispatch({ out: dst.buffer, root, shape, reads, owner });
    // src holds what dst now does: it stays pending as a read of dst, computed only if read before dst changes.
    const load: FusedNode = { kind: 'load', buffer: dst.buffer, offset: 0, strides: contiguousStrides(shape) };
    this.define({ out: src.buffer, root: load, shape, reads: [dst.buffer], owner });
    return true;
  }

  /** Kernels.unary, deferred. */
  unary(op: UnaryOp, x: View, out: BackendBuffer, params: UnaryParams): void {
    const inType = x.buffer.dtype;
    unaryExpression(op, inType);
    this.record(op, out, x.shape, [x], ([input]) => ({
      kind: 'unary', op, inType, outType: out.dtype, x: input, alpha: params.alpha, min: params.min, max: params.max,
    }));
  }

  /** Kernels.binary, deferred. */
  binary(op: BinaryOp, a: View, b: View, out: BackendBuffer, alpha = 1): void {
    checkBinary(op, a, b, alpha);
    this.record(op, out, a.shape, [a, b], ([left, right]) => ({ kind: 'binary', op, inType: a.buffer.dtype, outType: out.dtype, a: left, b: right, alpha }));
  }

  /** Kernels.where, deferred. */
  where(cond: View, a: View, b: View, out: BackendBuffer): void {
    checkWhere(cond, out.dtype);
    this.record('where', out, a.shape, [cond, a, b], ([c, left, right]) => ({ kind: 'where', dtype: out.dtype, cond: c, a: left, b: right }));
  }

  /** Computes `buffer` if it is pending. */
  materialize(buffer: BackendBuffer): void {
    const entry = this.pending.get(buffer);
    if (entry) this.run(entry);
  }

  /** Computes every pending buffer (before a submit or a sync). */
  materializeAll(): void {
    for (const entry of [...this.pending.values()]) this.run(entry);
  }

  /**
   * Call before anything writes `buffer` (`whole` when it overwrites every
   * element): expressions reading its current contents are computed first,
   * and a pending value of its own is computed (a partial write keeps the
   * rest) or, when it is about to be overwritten, dropped.
   */
  beforeWrite(buffer: BackendBuffer, whole: boolean): void {
    this.preserve(buffer);
    const own = this.pending.get(buffer);
    if (own) {
      if (whole) this.forget(own);
      else this.run(own);
    }
  }

  /** The buffer was released: its pending value is dropped uncomputed. Returns whether pending expressions still read it. */
  release(buffer: BackendBuffer): boolean {
    const own = this.pending.get(buffer);
    if (own) this.forget(own);
    return this.readers.has(buffer);
  }

  /** Drops every pending expression (the device is going away). */
  clear(): void {
    for (const entry of [...this.pending.values()]) this.forget(entry);
  }

  private record(op: string, out: BackendBuffer, shape: readonly number[], views: readonly View[], make: (operands: FusedNode[]) => FusedNode): void {
    if (sizeOf(shape) === 0) return;
    iteration(op, shape, views); // the unfused kernel's rank check, with its error
    this.recorded++;
    let root = make(views.map((view) => this.operand(view, shape, true)));
    let reads = this.fits(root, shape);
    if (!reads) {
      // Too big with the pending operands inlined: compute them, and read their buffers.
      root = make(views.map((view) => this.operand(view, shape, false)));
      reads = measure(root, shape).reads;
    }
    const entry: Pending = { out, root, shape, reads, owner: this.host.chargedCall() };
    if (reads.includes(out)) {
      // In place (out is also an input): compute now, as the unfused kernel would, after what reads out's old contents.
      this.beforeWrite(out, false);
      this.dispatch(entry);
      return;
    }
    this.define(entry);
  }

  // Makes `entry` the pending value of its buffer.
  private define(entry: Pending): void {
    // Register the new reads first: computing or dropping what reads out (or out's old value) may free a released leaf the new one reads too.
    for (const leaf of entry.reads) {
      let set = this.readers.get(leaf);
      if (!set) this.readers.set(leaf, (set = new Set()));
      set.add(entry);
    }
    this.preserve(entry.out);
    const old = this.pending.get(entry.out);
    if (old) this.forget(old);
    this.pending.set(entry.out, entry);
  }

  /**
   * Makes the expressions reading `buffer` (but `except`) independent of
   * its current contents, which are about to change. One whose result is
   * larger than `buffer` (a bias added to activations, say, before the bias
   * is updated) reads a copy of it from then on, which costs less than
   * computing the result now, and nothing if the result is released
   * unread, as the pre-activations autograd keeps usually are; the others
   * are computed now.
   */
  private preserve(buffer: BackendBuffer, except?: Pending): void {
    const readers = this.readers.get(buffer);
    if (!readers) return;
    let copy: BackendBuffer | null = null;
    for (const entry of [...readers]) {
      if (entry === except) continue;
      if (buffer.length >= sizeOf(entry.shape)) this.run(entry);
      else {
        copy ??= this.host.snapshot(buffer);
        const to = copy;
        this.define({ ...entry, root: withBuffer(entry.root, buffer, to), reads: entry.reads.map((leaf) => (leaf === buffer ? to : leaf)) });
      }
    }
    // Released now, the copy lives as long as something reads it.
    if (copy) this.host.release(copy);
  }

  // The node reading `view`: the pending expression itself where it lines up element for element, else a load.
  private operand(view: View, shape: readonly number[], inline: boolean): FusedNode {
    const entry = this.pending.get(view.buffer);
    if (entry) {
      // A fill adds no buffer to bind, so it is inlined even where the rest is not.
      if ((inline || entry.root.kind === 'fill') && linesUp(entry, view, shape)) return entry.root;
      this.run(entry);
    }
    return { kind: 'load', buffer: view.buffer, offset: view.offset, strides: view.strides };
  }

  // The buffers `root` reads if one kernel can compute it, else null.
  private fits(root: FusedNode, shape: readonly number[]): BackendBuffer[] | null {
    const { ops, reads, rank } = measure(root, shape);
    return ops <= this.maxOps && reads.length <= this.maxReads && rank <= MAX_RANK ? reads : null;
  }

  private run(entry: Pending): void {
    this.dispatch(entry);
    this.forget(entry);
  }

  private dispatch(entry: Pending): void {
    const plan = planFused(entry.root, entry.shape, entry.out.dtype);
    this.dispatches++;
    this.host.dispatch({
      kernel: 'fused',
      key: { expression: plan.key, rank: plan.rank },
      source: plan.source,
      reads: plan.reads,
      writes: [{ buffer: entry.out, whole: true }],
      params: plan.params,
      workgroups: gridFor(Math.ceil(plan.total / LINEAR_WORKGROUP), this.host.maxWorkgroupsPerDimension),
    }, entry.owner);
  }

  // Drops `entry` from the books, computed or not.
  private forget(entry: Pending): void {
    if (this.pending.get(entry.out) === entry) this.pending.delete(entry.out);
    for (const leaf of entry.reads) {
      const set = this.readers.get(leaf);
      if (!set?.delete(entry)) continue;
      if (set.size === 0) {
        this.readers.delete(leaf);
        this.host.unread(leaf);
      }
    }
  }
}

// Whether `view`, iterated over `shape`, reads `entry`'s buffer at the index each element has in `entry`'s own iteration (a fill is the same everywhere).
function linesUp(entry: Pending, view: View, shape: readonly number[]): boolean {
  if (entry.root.kind === 'fill') return true;
  return shape.length === entry.shape.length && shape.every((d, k) => d === entry.shape[k]) && coversBuffer(view);
}
