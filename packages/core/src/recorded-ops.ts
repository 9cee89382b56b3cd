import type { BinaryOp, ReduceOp, UnaryOp, UnaryParams } from './backend.js';
import type { Conv2dOptions, Pair } from './ops/conv2d.js';
import type { Pool2dOptions } from './ops/pool2d.js';
import type { Tensor } from './tensor.js';

/** The attributes of an op that records none (its inputs' shapes and dtypes say everything). */
export type NoAttrs = Readonly<Record<string, never>>;

/** What the elementwise unary ops record: the scalars some of them take (see {@link UnaryParams}). */
export interface UnaryAttrs {
  readonly params: UnaryParams;
}

/** What the reductions record: the reduced dims (normalised, ascending) and whether they were kept. */
export interface ReduceAttrs {
  readonly dims: readonly number[];
  readonly keepdim: boolean;
}

/** What `slice` records: the normalised dim, the clamped start and the step. */
export interface SliceAttrs {
  readonly dim: number;
  readonly start: number;
  readonly step: number;
}

/** What the ops that address one index of one dim record (`select`, `selectScatter`). */
export interface SelectAttrs {
  readonly dim: number;
  readonly index: number;
}

/** What `sliceScatter` records: its arguments as given (start and end may be negative or absent). */
export interface SliceScatterAttrs {
  readonly dim: number;
  readonly start?: number;
  readonly end?: number;
  readonly step: number;
}

/** What the index ops record (`gather`, `scatterAdd`): the normalised dim. */
export interface DimAttrs {
  readonly dim: number;
}

/** What the pooling ops record: their arguments as given. */
export interface Pool2dAttrs {
  readonly kernelSize: Pair;
  readonly options: Pool2dOptions;
}

type UnaryOps = { readonly [K in UnaryOp]: UnaryAttrs };
// Comparisons and logical ops are recorded too (their outputs are named by the op), though they write bool.
type BinaryOps = { readonly [K in Exclude<BinaryOp, 'add' | 'sub'>]: NoAttrs };

/** What `add` and `sub` record: the scale of their second operand (1 when not given). */
export interface ScaledAttrs {
  readonly alpha: number;
}
type ReduceOps = { readonly [K in ReduceOp]: ReduceAttrs };

/**
 * Every op core records through {@link recordOp}, with the attributes it
 * records: the one list a gradient engine is checked against. `@fathom/autograd`
 * types its formula table as one entry per key, so a primitive recorded here
 * without a formula there — or a formula that reads an attribute its op does
 * not record — fails `tsc`, not `backward()`.
 *
 * Each elementwise unary and binary op and each reduction of the Backend
 * interface is a key by itself (a new member of `UnaryOp` is recorded under
 * its name). A new recorded primitive adds its line here.
 */
export interface RecordedOps extends UnaryOps, BinaryOps, ReduceOps {
  readonly add: ScaledAttrs;
  readonly sub: ScaledAttrs;
  // Matrices only: core promotes 1-D operands with recorded views first (see ops/matmul.ts).
  readonly matmul: NoAttrs;
  /**
   * Inputs x and weight, and the bias as a third where the backend adds it in
   * the kernel (`Kernels.conv2dWithBias`); elsewhere conv2d records two inputs
   * and adds the bias as a separate recorded `add`. `options` never holds it.
   */
  readonly conv2d: { readonly options: Omit<Conv2dOptions, 'bias'> };
  /** `indices` are the argmax positions the forward wrote (int32, the output's shape). */
  readonly maxPool2d: Pool2dAttrs & { readonly indices: Tensor };
  readonly avgPool2d: Pool2dAttrs;
  readonly adaptiveAvgPool2d: { readonly outputSize: Pair };
  readonly where: NoAttrs;
  readonly cast: NoAttrs;
  readonly clone: NoAttrs;
  /** Every view that only changes the shape: view, reshape, flatten, squeeze, unsqueeze, 1-D `t()`. */
  readonly reshape: NoAttrs;
  /** `dims[i]` is the input dim that becomes output dim i. */
  readonly permute: { readonly dims: readonly number[] };
  readonly expand: NoAttrs;
  readonly slice: SliceAttrs;
  readonly select: SelectAttrs;
  /** `sizes[i]` is input i's extent along `dim` (0 for a skipped empty 1-D input). */
  readonly cat: { readonly dim: number; readonly sizes: readonly number[] };
  /** Whatever computed it (a fused kernel or the composite): one node, `dim` normalised. */
  readonly logSoftmax: DimAttrs;
  readonly gather: DimAttrs;
  readonly scatterAdd: DimAttrs;
  /** `torch.nn.functional.pad` order: (left, right) pairs from the last dim backwards. */
  readonly pad: { readonly padding: readonly number[] };
  readonly sliceScatter: SliceScatterAttrs;
  readonly selectScatter: SelectAttrs;
}

/** The name of an op core records. */
export type RecordedOp = keyof RecordedOps;
