import type { Tensor } from '@fathom/core';
import { sharedArray } from './shared-array.js';

/** PyTorch's default `bucket_cap_mb`: 25 MiB of gradients per all-reduce. */
export const DEFAULT_BUCKET_CAP_MB = 25;

/**
 * A run of parameters whose gradients are all-reduced together, in one
 * flat float32 array (in a SharedArrayBuffer, so MPI reduces it in place
 * from its thread). Parameter `i` of the bucket occupies
 * `offsets[i] … offsets[i] + parameters[i].numel`.
 */
export class GradientBucket {
  /** The flat gradients of this step; also what MPI reduces. */
  readonly values: Float32Array;
  /** Where each parameter's gradient starts in {@link values}. */
  readonly offsets: readonly number[];
  /** Which of {@link parameters} have their gradient copied in this step. */
  readonly filled: boolean[];
  /** The all-reduce of this step, once launched. */
  reduction: Promise<unknown> | null = null;

  constructor(
    /** Its position in launch order (0 is reduced first). */
    readonly index: number,
    /** The parameters whose gradients it holds, in the order backward produces them. */
    readonly parameters: readonly Tensor[],
  ) {
    const offsets: number[] = [];
    let length = 0;
    for (const p of parameters) {
      offsets.push(length);
      length += p.numel;
    }
    this.offsets = offsets;
    this.values = sharedArray(Float32Array, length);
    this.filled = parameters.map(() => false);
  }

  /** Whether every parameter's gradient has been copied in. */
  get isFull(): boolean {
    return this.filled.every(Boolean);
  }

  /** Back to the start of a step: nothing copied, nothing launched. */
  reset(): void {
    this.filled.fill(false);
    this.reduction = null;
  }
}

/**
 * Splits `parameters` into buckets of at most `capBytes` of float32
 * gradients, taking them in reverse order as PyTorch's DDP does: backward
 * produces the last layers' gradients first, so the first bucket is full —
 * and its all-reduce can start — while backward is still working on the
 * early layers. A parameter larger than the cap gets a bucket of its own.
 */
export function assignBuckets(parameters: readonly Tensor[], capBytes: number): GradientBucket[] {
  const groups: Tensor[][] = [];
  let current: Tensor[] = [];
  let bytes = 0;
  for (const p of [...parameters].reverse()) {
    const size = p.numel * 4;
    if (current.length > 0 && bytes + size > capBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups.map((members, index) => new GradientBucket(index, members));
}
