import type { DType, Shape, Tensor } from '@fathom/core';

/** What a gradient formula sees of the forward op. */
export interface ForwardContext {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: Readonly<Record<string, unknown>>;
}

/** What a gradient formula sees at backward time: shapes and dtypes, the tensors it saved, the op's attributes. */
export interface BackwardContext {
  readonly inputShapes: readonly Shape[];
  readonly inputDTypes: readonly DType[];
  readonly outputShape: Shape;
  readonly attrs: Readonly<Record<string, unknown>>;
  /** The tensors `save` returned, in order (detached views kept alive until the graph is freed). */
  readonly saved: readonly Tensor[];
  /** Which inputs need a gradient; a formula may skip work for the others. */
  readonly needsGrad: readonly boolean[];
}

/**
 * The gradient of one primitive op: what its forward must save, and how the
 * input gradients follow from the output gradient, written with core ops.
 */
export interface GradientFormula {
  /** Tensors the backward needs (inputs or the output); the graph keeps them until it is freed. */
  save?(forward: ForwardContext): Tensor[];
  /** One gradient per input, shaped like that input (null where none flows). */
  backward(grad: Tensor, context: BackwardContext): (Tensor | null)[];
  /**
   * For a one-input view op (select, slice): the same view taken of `base`,
   * a tensor shaped like the input. The gradient is `grad` in that window and
   * zero elsewhere, so the engine adds it into one gradient buffer in place
   * instead of materialising a full-size tensor per view: a sequence read
   * step by step (an RNN's `x.select(0, t)`) costs O(T) in backward, not O(T²).
   */
  viewOf?(base: Tensor, context: BackwardContext): Tensor;
}
