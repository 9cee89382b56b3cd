import type { Device, Tensor } from '@fathom/core';
import type { TensorModule } from '@fathom/layers';

/** The model the loop trains: a module from inputs (N, …) to class scores (logits, (N, C)). */
export type Classifier = TensorModule;


/** A labelled batch as `DataLoader` yields it from `{ x, y }` samples: inputs (N, …) and int32 class labels (N). */
export interface LabeledBatch {
  /** The inputs, batched along dim 0. */
  readonly x: Tensor;
  /** Class indices, int32 (N). */
  readonly y: Tensor;
}

/** Moves a batch to `device` (`to` passes tensors already there through). */
export function batchOn(batch: LabeledBatch, device: Device): LabeledBatch {
  return { x: batch.x.to(device), y: batch.y.to(device) };
}
