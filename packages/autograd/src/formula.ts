import type { DType, Shape, Tensor } from '@fathom/core';
import type { RecordedOp, RecordedOps } from '@fathom/core/backend';

/**
 * What a gradient formula sees of the forward op. `Attrs` is what the op
 * records (its entry in core's `RecordedOps`); `unknown` for a formula that
 * reads no attributes.
 */
export interface ForwardContext<Attrs = unknown> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: Attrs;
}

/** What a gradient formula sees at backward time: shapes and dtypes, the tensors it saved, the op's attributes. */
export interface BackwardContext<Attrs = unknown> {
  readonly inputShapes: readonly Shape[];
  readonly inputDTypes: readonly DType[];
  readonly outputShape: Shape;
  readonly attrs: Attrs;
  /** The tensors `save` returned, in order (detached views kept alive until the graph is freed). */
  readonly saved: readonly Tensor[];
  /** Which inputs need a gradient; a formula may skip work for the others. */
  readonly needsGrad: readonly boolean[];
}

/**
 * The gradient of one primitive op: what its forward must save, and how the
 * input gradients follow from the output gradient, written with core ops.
 *
 * The members are function-typed properties rather than methods so that the
 * attributes type is checked strictly: a `GradientFormula<{ dim: number }>`
 * does not fit an op that records `{ dims, keepdim }`. A formula that reads
 * no attributes is a `GradientFormula` (`Attrs = unknown`) and fits any op.
 */
export interface GradientFormula<Attrs = unknown> {
  /** Tensors the backward needs (inputs or the output); the graph keeps them until it is freed. */
  readonly save?: (forward: ForwardContext<Attrs>) => Tensor[];
  /** One gradient per input, shaped like that input (null where none flows). */
  readonly backward: (grad: Tensor, context: BackwardContext<Attrs>) => (Tensor | null)[];
  /**
   * For a one-input view op (select, slice): the same view taken of `base`,
   * a tensor shaped like the input. The gradient is `grad` in that window and
   * zero elsewhere, so the engine adds it into one gradient buffer in place
   * instead of materialising a full-size tensor per view: a sequence read
   * step by step (an RNN's `x.select(0, t)`) costs O(T) in backward, not O(T²).
   */
  readonly viewOf?: (base: Tensor, context: BackwardContext<Attrs>) => Tensor;
}

/**
 * One entry per op core records (`RecordedOps`): its gradient formula, typed
 * by the attributes that op records, or `null` for an op whose output is
 * never floating (comparisons, logical ops, `all`/`any`) and so is never part
 * of a graph. A recorded op left out, or a formula reading an attribute its
 * op does not record, is a compile error.
 */
export type FormulaTable = { readonly [K in RecordedOp]: GradientFormula<RecordedOps[K]> | null };

/** A part of the {@link FormulaTable}: the formulas of one family of ops (one file in `gradients/`). */
export type FormulaFamily<K extends RecordedOp> = { readonly [P in K]: GradientFormula<RecordedOps[P]> | null };

/**
 * A formula whose attributes type is forgotten, as a graph node holds it
 * beside the attributes its op recorded. Every `GradientFormula<A>` is one
 * (`never` is assignable to any `A`); only the engine calls it, with the
 * attributes recorded next to it.
 */
export type RecordedFormula = GradientFormula<never>;
