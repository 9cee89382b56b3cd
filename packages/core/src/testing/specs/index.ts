import type { OpSpec } from '../op-spec.js';
import { batchNormSpecs } from './batch-norm.spec.js';
import { binarySpecs } from './binary.spec.js';
import { channelAffineSpecs } from './channel-affine.spec.js';
import { conv2dSpecs } from './conv2d.spec.js';
import { creationSpecs } from './creation.spec.js';
import { indexingSpecs } from './indexing.spec.js';
import { joinSpecs } from './join.spec.js';
import { matmulSpecs } from './matmul.spec.js';
import { padSpecs } from './pad.spec.js';
import { pool2dSpecs } from './pool2d.spec.js';
import { randomSpecs } from './random.spec.js';
import { reduceSpecs } from './reduce.spec.js';
import { scatterViewSpecs } from './scatter-view.spec.js';
import { sgdStepSpecs } from './sgd-step.spec.js';
import { softmaxSpecs } from './softmax.spec.js';
import { unarySpecs } from './unary.spec.js';
import { viewSpecs } from './view.spec.js';


/**
 * Every op the conformance kit checks. Each `X.spec.ts` file exports
 * `XSpecs: OpSpec[]` (X in camelCase); add a new file's list here.
 */
export const allSpecs: readonly OpSpec[] = [
  ...creationSpecs,
  ...unarySpecs,
  ...binarySpecs,
  ...reduceSpecs,
  ...softmaxSpecs,
  ...matmulSpecs,
  ...viewSpecs,
  ...scatterViewSpecs,
  ...indexingSpecs,
  ...joinSpecs,
  ...padSpecs,
  ...conv2dSpecs,
  ...pool2dSpecs,
  ...randomSpecs,
  ...sgdStepSpecs,
  ...channelAffineSpecs,
  ...batchNormSpecs,
];
