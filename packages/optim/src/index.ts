export {
  Optimizer, type OptimizerOptions, type ParameterState, type ParamGroup, type ParamGroupFields, type ParamGroupInput, type OptimizerParams,
  type SavedParamGroup, type OptimizerStateDict, type OptimizerStateDictJson, type ZeroGradOptions, type ParameterUpdate,
} from './optimizer.js';
export { type SerializedTensor } from './state-dict.js';
export { SGD, type SGDOptions, type SGDState } from './sgd.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { AdamW } from './adamw.js';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop.js';
export { Adagrad, type AdagradOptions, type AdagradState } from './adagrad.js';
export { clipGradNorm, clipGradNormAsync, clipGradValue, type ClipGradNormOptions } from './clip-grad.js';
export { LRScheduler, type LRSchedulerOptions, type SchedulerStateDict } from './schedulers/lr-scheduler.js';
export { StepLR, type StepLROptions } from './schedulers/step-lr.js';
export { MultiStepLR, type MultiStepLROptions } from './schedulers/multi-step-lr.js';
export { ExponentialLR, type ExponentialLROptions } from './schedulers/exponential-lr.js';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './schedulers/cosine-annealing-lr.js';
export { LinearLR, type LinearLROptions } from './schedulers/linear-lr.js';
export { OneCycleLR, type OneCycleLROptions, type OneCycleLRConfig, type OneCyclePhase, type AnnealStrategy } from './schedulers/one-cycle-lr.js';
export { SequentialLR, type SequentialLRConfig } from './schedulers/sequential-lr.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './schedulers/reduce-lr-on-plateau.js';
