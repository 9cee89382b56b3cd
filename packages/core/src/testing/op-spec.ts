import type { DType } from '../dtype.js';
import type { FathomErrorKind } from '../errors.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/**
 * Tolerance tiers of TESTING.md (float32 results against float64 references):
 * T1 elementwise arithmetic, copies, indexing; T2 transcendental functions;
 * T3 reductions, matmul, convolution, softmax, norms.
 */
export type ToleranceTier = 'T1' | 'T2' | 'T3';

/** A value computed by a reference: float64 data in row-major order with its shape and the dtype the op must return. */
export interface ReferenceTensor {
  readonly shape: Shape;
  readonly data: Float64Array;
  readonly dtype: DType;
}

/**
 * How an input tensor is laid out on the backend: its logical values are the
 * same, but kernels see different strides and offsets.
 * - `contiguous`: a fresh row-major tensor;
 * - `transposed`: made with its last two dims swapped then transposed back (needs ≥ 2 dims);
 * - `strided`: every other element of a tensor twice as long in the last dim;
 * - `offset`: a narrow() of a larger tensor, so the view starts past element 0.
 */
export type Layout = 'contiguous' | 'transposed' | 'strided' | 'offset';

/** One input of a sample. */
export interface SampleInput {
  readonly value: ReferenceTensor;
  readonly layout?: Layout;
}

/** One case of an op: inputs, how to run the op on tensors, and the independent float64 reference. */
export interface OpSample {
  /** Shown in the test name, e.g. `'broadcast [3,1] with [4]'`. */
  readonly name: string;
  readonly inputs: readonly SampleInput[];
  /** Runs the op under test on tensors created on the backend from `inputs`. */
  run(inputs: readonly Tensor[]): Tensor | readonly Tensor[];
  /** Computes the expected result from the inputs with plain float64 loops, never with the code under test. */
  reference(inputs: readonly ReferenceTensor[]): ReferenceTensor | readonly ReferenceTensor[];
  /** Overrides the op's tier for this sample (e.g. a long reduction). */
  readonly tier?: ToleranceTier;
}

/** A misuse of an op that must throw a typed error whose message contains `message`. */
export interface OpErrorCase {
  readonly name: string;
  readonly inputs: readonly SampleInput[];
  /** Runs the misuse; it must throw. */
  run(inputs: readonly Tensor[]): unknown;
  readonly kind: FathomErrorKind;
  readonly message: string;
  /**
   * The check reads tensor values (index ranges, label ranges), which core does
   * only where the device reads synchronously: an async device (WebGPU) would
   * need a read-back in the middle of the op. There the case must only run
   * without crashing or leaking.
   */
  readonly needsSyncRead?: boolean;
}

/** Everything the conformance kit knows about one op. */
export interface OpSpec {
  /** The op's public name, e.g. `'matmul'`. */
  readonly name: string;
  readonly tier: ToleranceTier;
  /** Cases built from a seeded source of numbers so every run checks the same values. */
  samples(random: () => number): readonly OpSample[];
  /** Misuses that must throw typed errors. */
  errors?(random: () => number): readonly OpErrorCase[];
}
