import { noGrad } from '@fathom/autograd';
import { scopeAsync, ValueError, type Device, type Tensor } from '@fathom/core';
import { gradientNorms } from '@fathom/layers';
import { loadCheckpoint, type JsonStateful, type OptimizerLike } from '../checkpoint/checkpoint.js';
import { batchOn, type Classifier, type LabeledBatch } from './batch.js';
import type { DataParallel } from './data-parallel.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { topkCorrect } from './top-k.js';
import { RunCheckpoints } from './run-checkpoints.js';
import { applyUpdate, backpropagate, backwardAndStep, stepStatistics } from './update-step.js';
import { CapturedPass, type CaptureStatus } from './captured-pass.js';

/** The training data as the loop needs it: a resumable `DataLoader` of labelled batches. */
export interface TrainLoader extends AsyncIterable<LabeledBatch>, JsonStateful {
  /** Batches per epoch. */
  readonly length: number;
  /** The epoch being iterated, or the next one. */
  readonly epoch: number;
  /** Batches of the current epoch handed out so far. */
  readonly position: number;
}

/** An LR scheduler: stepped by the loop, saved in checkpoints. */
export interface SchedulerLike extends JsonStateful {
  /** Advances the schedule by one epoch or step. */
  step(): void;
}

/** An optimizer as the loop drives it: any of `@fathom/optim`'s. */
export interface TrainableOptimizer extends OptimizerLike {
  /** Clears the parameters' gradients before a backward pass. */
  zeroGrad(): void;
  /** Applies one update from the gradients. */
  step(): void;
  /** The parameter groups; the first group's `lr` is reported each step. */
  readonly paramGroups: readonly { readonly lr: number }[];
}

/** One optimizer step, as {@link FitCallbacks.onStep} reports it. */
export interface StepRecord {
  /** The epoch (from 0). */
  readonly epoch: number;
  /** Steps taken in the whole run, this one included. */
  readonly step: number;
  /** Batches of this epoch done. */
  readonly batch: number;
  /** Batches per epoch. */
  readonly batches: number;
  /** The batch's mean loss. */
  readonly loss: number;
  /** The batch's top-1 accuracy (0–1). */
  readonly acc1: number;
  /** The global gradient norm before clipping. */
  readonly gradNorm: number;
  /** The first parameter group's learning rate in this step. */
  readonly lr: number;
  /** Samples in the batch. */
  readonly samples: number;
  /** Samples per second since the epoch (or the resumed run) began. */
  readonly samplesPerSecond: number;
}

/** One finished epoch, as {@link FitCallbacks.onEpoch} reports it and checkpoints keep. */
export interface EpochRecord {
  /** The epoch (from 0). */
  readonly epoch: number;
  /** Steps taken in the whole run at its end. */
  readonly step: number;
  /** Mean training loss over the epoch's batches. */
  readonly trainLoss: number;
  /** Training top-1 accuracy over the epoch (0–1), measured in training mode. */
  readonly trainAcc1: number;
  /** Validation results, when there is a validation loader. */
  readonly val?: { readonly loss: number; readonly accuracy: Readonly<Record<string, number>> };
  /** The learning rate the epoch ended with. */
  readonly lr: number;
  /** Wall-clock seconds the epoch took (training and validation). */
  readonly seconds: number;
  /** Whether this epoch's validation top-1 accuracy is the best so far (and was saved as `best`). */
  readonly isBest: boolean;
}

/** Hooks the loop calls; progress bars, logs and plots hang here. */
export interface FitCallbacks {
  /** Before the first step, with where the run starts (a resumed run starts past 0). */
  onStart?(info: { readonly epoch: number; readonly step: number; readonly epochs: number; readonly batches: number }): void;
  /** After every optimizer step. */
  onStep?(record: StepRecord): void;
  /** Every `gradientNormEvery` steps: each layer's gradient norm (before clipping). */
  onGradientNorms?(step: number, norms: ReadonlyMap<string, number>): void;
  /** After each epoch's validation and checkpoints. */
  onEpoch?(record: EpochRecord, evaluation: Evaluation | undefined): void | Promise<void>;
  /** With `captureSteps`, once: whether the steps replay, or why they stay eager. */
  onCapture?(status: CaptureStatus): void;
}

/** What both training loops ({@link fit} and `fitLanguageModel`) take besides model, data and length. */
export interface RunOptions {
  /** Where the model runs; batches are moved there. */
  readonly device: Device;
  /** Clip the global gradient norm to this (default: no clipping). */
  readonly clipGradNorm?: number;
  /** Report per-layer gradient norms every this many steps (default 0: never). */
  readonly gradientNormEvery?: number;
  /** Folder for `last.safetensors` and `best.safetensors` (default: no checkpoints). */
  readonly checkpointDir?: string;
  /** A checkpoint to continue from. */
  readonly resumeFrom?: string;
  /** Saved in every checkpoint (the run's config, a vocabulary). */
  readonly metadata?: unknown;
  /** Aborting finishes the current step, saves `last` and returns `status: 'interrupted'` (wire SIGINT to it). */
  readonly signal?: AbortSignal;
  /**
   * Run each step's forward and backward pass through `captureStep` (from
   * `@fathom/core`): once two steps did the same work, later steps replay
   * its kernels, with the same results bit for bit and none of the
   * JavaScript of ops and autograd. The update stays eager. Steps that draw
   * random numbers (dropout) stay eager; the callbacks' `onCapture` says
   * which. Not with `dataParallel` (default false).
   */
  readonly captureSteps?: boolean;
}

/** What {@link fit} trains and how. */
export interface FitOptions extends RunOptions {
  /** The classifier. */
  readonly model: Classifier;
  /** Its optimizer. */
  readonly optimizer: TrainableOptimizer;
  /** An LR schedule (optional). */
  readonly scheduler?: SchedulerLike;
  /** Step the schedule after every epoch (default) or every optimizer step (OneCycleLR, warm-up). */
  readonly schedulerInterval?: 'epoch' | 'step';
  /** The training batches. */
  readonly trainLoader: TrainLoader;
  /** Validation batches, in a fixed order (evaluated after each epoch). */
  readonly valLoader?: AsyncIterable<LabeledBatch>;
  /** Epochs to train in all (a resumed run counts the ones already done). */
  readonly epochs: number;
  /** A batch's mean loss from logits and labels. */
  readonly loss: (logits: Tensor, labels: Tensor) => Tensor;
  /** Top-k accuracies measured on validation (default [1, 5]). */
  readonly topk?: readonly number[];
  /** Confusion-matrix size for the final evaluation (≤ 20 classes is readable; default none). */
  readonly confusionClasses?: number;
  /** Keep this many most-confident mistakes from the final evaluation (default 0). */
  readonly keepMisclassified?: number;
  /** Progress, logging and plotting hooks. */
  readonly callbacks?: FitCallbacks;
  /**
   * Train as one rank of a data-parallel job (`fathom-train --distributed`):
   * `trainLoader` and `valLoader` give this rank's shards, gradients are
   * averaged after each backward, epoch metrics are summed over the ranks,
   * an interrupt on any rank stops every rank after the same step, and only
   * rank 0 writes checkpoints (`checkpointDir` is ignored on the others).
   */
  readonly dataParallel?: DataParallel;
}

/** How a {@link fit} call ended. */
export interface FitResult {
  /** Whether all epochs ran, or the signal stopped the run (and `last` was saved). */
  readonly status: 'completed' | 'interrupted';
  /** The epoch the run stopped in (or `epochs` when complete). */
  readonly epoch: number;
  /** Steps taken in the whole run. */
  readonly step: number;
  /** Every finished epoch, across resumes. */
  readonly history: readonly EpochRecord[];
  /** The best validation top-1 accuracy and its epoch, if there was validation. */
  readonly best?: { readonly acc1: number; readonly epoch: number };
  /** The last validation, with the confusion matrix and mistakes when asked for. */
  readonly evaluation?: Evaluation;
  /** Paths of the checkpoints written, if any. */
  readonly checkpoints?: { readonly last: string; readonly best?: string };
}

interface SavedMetrics {
  readonly history: EpochRecord[];
  readonly best?: { acc1: number; epoch: number };
  /** The sums of an epoch interrupted midway (over all ranks), so the resumed epoch's summary covers all its batches. */
  readonly partialEpoch?: { readonly epoch: number; readonly lossSum: number; readonly correct: number; readonly seen: number };
}

/**
 * Trains a classifier for some epochs — the loop both apps share, in the
 * manner of PyTorch's `examples/imagenet`: each step moves the batch to the
 * device, runs forward and backward, checks that the loss and gradients are
 * finite (a `DivergenceError` within one step otherwise, with nothing saved),
 * optionally clips, and steps the optimizer; each epoch ends with the
 * schedule's step, a validation pass (loss, top-1/top-k), and atomic `last`
 * and `best` checkpoints. Every step's tensors live in one scope, so memory
 * stays flat. Aborting `signal` stops after the current step and saves
 * `last`, including the loader's position, so `resumeFrom` continues the
 * run exactly as if it had never stopped.
 *
 * ```ts
 * const result = await fit({ model, optimizer, trainLoader, valLoader, epochs: 5, device: 'wasm', loss: crossEntropy, checkpointDir: 'runs/a' });
 * console.log(result.best?.acc1);
 * ```
 */
export async function fit(options: FitOptions): Promise<FitResult> {
  if (options.captureSteps && options.dataParallel) {
    throw new ValueError('fit: captureSteps does not combine with dataParallel (gradients are averaged over the ranks between backward and update, in JavaScript)');
  }
  const captured = options.captureSteps
    ? new CapturedPass(options.model, ([x, y]) => ({ statistics: classificationPass(options, x, y), outputs: [] }), (status) => options.callbacks?.onCapture?.(status))
    : null;
  try {
    return await fitWith(options, captured);
  } finally {
    captured?.dispose();
  }
}

async function fitWith(options: FitOptions, captured: CapturedPass | null): Promise<FitResult> {
  const { model, optimizer, scheduler, trainLoader, device } = options;
  const interval = options.schedulerInterval ?? 'epoch';
  const callbacks = options.callbacks ?? {};
  const objects = { model, optimizer, scheduler, loader: trainLoader };
  const parallel = options.dataParallel;
  const checkpoints = options.checkpointDir && (parallel?.rank ?? 0) === 0 ? new RunCheckpoints(options.checkpointDir, objects) : undefined;
  // Whether to stop after this step: with several ranks, every rank must agree, or one would wait forever for the others' gradients.
  const stopRequested = async (): Promise<boolean> => {
    const here = options.signal?.aborted === true;
    if (!parallel) return here;
    return (await parallel.sum(Float64Array.of(here ? 1 : 0)))[0] > 0;
  };
  let stopping = false;
  let step = 0;
  let metrics: SavedMetrics = { history: [] };
  if (options.resumeFrom) {
    const saved = await loadCheckpoint(options.resumeFrom, objects);
    step = saved.step;
    metrics = (saved.metrics as SavedMetrics | undefined) ?? metrics;
  }
  const progress = () => ({ epoch: trainLoader.epoch, step, metrics, metadata: options.metadata });
  const batches = trainLoader.length;
  callbacks.onStart?.({ epoch: trainLoader.epoch, step, epochs: options.epochs, batches });
  let evaluation: Evaluation | undefined;

  while (trainLoader.epoch < options.epochs) {
    const epoch = trainLoader.epoch;
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    const partial = metrics.partialEpoch;
    if (partial) {
      // Rank 0 alone carries the saved (all-rank) sums on, since the epoch's sums are added over the ranks at its end.
      if (partial.epoch === epoch && (parallel?.rank ?? 0) === 0) ({ lossSum, correct, seen } = partial);
      metrics = { history: metrics.history, best: metrics.best };
    }
    model.train();
    for await (const batch of trainLoader) {
      const lr = optimizer.paramGroups[0].lr;
      const stats = await trainStep(options, batch, epoch, step + 1, captured);
      step++;
      if (scheduler && interval === 'step') scheduler.step();
      lossSum += stats.loss * stats.samples;
      correct += stats.correct;
      seen += stats.samples;
      const seconds = (performance.now() - started) / 1000;
      callbacks.onStep?.({
        epoch, step, batch: trainLoader.position, batches, loss: stats.loss, acc1: stats.correct / stats.samples, gradNorm: stats.gradNorm,
        lr, samples: stats.samples, samplesPerSecond: seconds > 0 ? seen / seconds : 0,
      });
      if (options.gradientNormEvery && step % options.gradientNormEvery === 0 && callbacks.onGradientNorms) {
        callbacks.onGradientNorms(step, await gradientNorms(model));
      }
      stopping = await stopRequested();
      // An interrupt during the epoch's last batch lets the epoch finish: its validation and checkpoints run first.
      if (stopping && trainLoader.position < batches) break;
    }
    if (parallel) {
      const totals = await parallel.sum(Float64Array.of(lossSum, correct, seen));
      [lossSum, correct, seen] = [totals[0], totals[1], totals[2]];
    }
    if (trainLoader.epoch === epoch) {
      metrics = { ...metrics, partialEpoch: { epoch, lossSum, correct, seen } };
      await checkpoints?.save(progress());
      return { status: 'interrupted', epoch, step, history: metrics.history, best: metrics.best, checkpoints: checkpoints?.written(metrics.best !== undefined) };
    }
    if (scheduler && interval === 'epoch') scheduler.step();
    stopping = await stopRequested();
    const finalEpoch = trainLoader.epoch >= options.epochs || stopping;
    if (options.valLoader) {
      evaluation = await evaluate(model, options.valLoader, {
        device, loss: options.loss, topk: options.topk,
        confusionClasses: finalEpoch ? options.confusionClasses : undefined,
        keepMisclassified: finalEpoch ? options.keepMisclassified : undefined,
        dataParallel: parallel,
      });
    }
    const acc1 = evaluation?.accuracy.acc1;
    const isBest = acc1 !== undefined && (metrics.best === undefined || acc1 > metrics.best.acc1);
    const record: EpochRecord = {
      epoch, step, trainLoss: lossSum / Math.max(seen, 1), trainAcc1: correct / Math.max(seen, 1),
      ...(evaluation ? { val: { loss: evaluation.loss, accuracy: evaluation.accuracy } } : {}),
      lr: optimizer.paramGroups[0].lr, seconds: (performance.now() - started) / 1000, isBest,
    };
    metrics = { history: [...metrics.history, record], best: isBest ? { acc1: acc1!, epoch } : metrics.best };
    await checkpoints?.save(progress(), isBest);
    await callbacks.onEpoch?.(record, evaluation);
    stopping = await stopRequested();
    if (stopping && trainLoader.epoch < options.epochs) {
      return { status: 'interrupted', epoch: trainLoader.epoch, step, history: metrics.history, best: metrics.best, evaluation, checkpoints: checkpoints?.written(metrics.best !== undefined) };
    }
  }
  return { status: 'completed', epoch: trainLoader.epoch, step, history: metrics.history, best: metrics.best, evaluation, checkpoints: checkpoints?.written(metrics.best !== undefined) };
}

interface StepStats {
  readonly loss: number;
  readonly gradNorm: number;
  readonly correct: number;
  readonly samples: number;
}

/** One optimizer step in one scope; throws `DivergenceError` before applying a non-finite update. */
async function trainStep(options: FitOptions, raw: LabeledBatch, epoch: number, step: number, captured: CapturedPass | null): Promise<StepStats> {
  const { model, optimizer } = options;
  if (captured) {
    return scopeAsync(async () => {
      const { x, y } = batchOn(raw, options.device);
      const stats = await applyUpdate(captured.run([x, y]).statistics, model.parameters(), optimizer, { clipGradNorm: options.clipGradNorm, epoch, step });
      return { loss: stats.loss, gradNorm: stats.gradNorm, correct: stats.extras[0], samples: y.shape[0] };
    });
  }
  return scopeAsync(async () => {
    const { x, y } = batchOn(raw, options.device);
    const logits = model.forward(x); // (N, C)
    const loss = options.loss(logits, y);
    const correct = noGrad(() => topkCorrect(logits.detach(), y, 1));
    const parallel = options.dataParallel;
    const stats = await backwardAndStep(loss, model.parameters(), optimizer, {
      clipGradNorm: options.clipGradNorm, epoch, step, extras: [correct], afterBackward: parallel && (() => parallel.synchronizeGradients()),
    });
    return { loss: stats.loss, gradNorm: stats.gradNorm, correct: stats.extras[0], samples: y.shape[0] };
  });
}

/** The forward and backward pass of a captured step: [loss, squared gradient norm, correct], as the eager step reads them. */
function classificationPass(options: FitOptions, x: Tensor, y: Tensor): Tensor {
  const logits = options.model.forward(x); // (N, C)
  const loss = options.loss(logits, y);
  const correct = noGrad(() => topkCorrect(logits.detach(), y, 1));
  backpropagate(loss, options.optimizer);
  return stepStatistics(loss, options.model.parameters(), [correct]);
}
