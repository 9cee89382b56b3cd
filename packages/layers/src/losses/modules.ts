import type { Tensor } from '@fathom/core';
import { Module } from '../module.js';
import { bceWithLogits, binaryCrossEntropy, crossEntropy, nllLoss, type BinaryLossOptions, type ClassificationLossOptions, type CrossEntropyOptions } from './classification.js';
import { l1Loss, mseLoss } from './regression.js';
import type { Reduction } from './reduction.js';

/** Module form of {@link crossEntropy}. */
export class CrossEntropyLoss extends Module {
  constructor(readonly options: CrossEntropyOptions = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return crossEntropy(input, target, this.options); }
}

/** Module form of {@link nllLoss}. */
export class NLLLoss extends Module {
  constructor(readonly options: ClassificationLossOptions = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return nllLoss(input, target, this.options); }
}

/** Module form of {@link mseLoss}. */
export class MSELoss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return mseLoss(input, target, this.options); }
}

/** Module form of {@link l1Loss}. */
export class L1Loss extends Module {
  constructor(readonly options: { reduction?: Reduction } = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return l1Loss(input, target, this.options); }
}

/** Module form of {@link binaryCrossEntropy}. */
export class BCELoss extends Module {
  constructor(readonly options: BinaryLossOptions = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return binaryCrossEntropy(input, target, this.options); }
}

/** Module form of {@link bceWithLogits}. */
export class BCEWithLogitsLoss extends Module {
  constructor(readonly options: BinaryLossOptions & { posWeight?: Tensor } = {}) { super(); }
  forward(input: Tensor, target: Tensor): Tensor { return bceWithLogits(input, target, this.options); }
}
