import { scopeAsync } from '@fathom/core';
import { gradientNorms } from '@fathom/layers';
import { loadCheckpoint } from '../checkpoint/checkpoint.js';
import type { RunOptions, SchedulerLike, TrainableOptimizer } from '../loop/fit.js';
import { RunCheckpoints } from '../loop/run-checkpoints.js';
import { applyUpdate, backpropagate, backwardAndStep, stepStatistics } from '../loop/update-step.js';
import { CapturedPass, type CaptureStatus } from '../loop/captured-pass.js';
import { CarriedState } from './carried-state.js';
import { evaluateLanguageModel, sequenceLoss, type LanguageModelEvaluation } from './evaluate-language-model.js';
import type { LanguageModel, SequenceBatches } from './language-model.js';

/** One optimizer step of {@link fitLanguageModel}. */
export interface LanguageModelStep {
  /** The pass over the training text (from 0). */
  readonly epoch: number;
  /** Steps taken in the whole run, this one included. */
  readonly step: number;
  /** Steps the run takes in all. */
  readonly steps: number;
  /** Windows of this pass done. */
  readonly batch: number;
  /** Windows per pass. */
  readonly batches: number;
  /** The window's mean loss in nats per token. */
  readonly loss: number;
  /** The same in bits per token. */
  readonly bpc: number;
  /** The global gradient norm before clipping. */
  readonly gradNorm: number;
  /** The first parameter group's learning rate in this step. */
  readonly lr: number;
  /** Tokens in the window (N · T). */
  readonly tokens: number;
  /** Training tokens per second since the run (or its resume) began, evaluations left out. */
  readonly tokensPerSecond: number;
}

/** One validation of {@link fitLanguageModel}. */
export interface LanguageModelEvaluationRecord extends LanguageModelEvaluation {
  /** The pass the step belongs to (from 0). */
  readonly epoch: number;
  /** Steps taken when it was measured. */
  readonly step: number;
  /** Whether its loss is the lowest so far (and `best` was saved). */
  readonly isBest: boolean;
  /** The text the model wrote at this point, when a sampler was given. */
  readonly sample?: string;
}

/** Hooks {@link fitLanguageModel} calls; progress bars, logs and plots hang here. */
export interface LanguageModelCallbacks {
  /** Before the first step, with where the run starts (a resumed run starts past 0). */
  onStart?(info: { readonly step: number; readonly steps: number; readonly batches: number }): void;
  /** After every optimizer step. */
  onStep?(record: LanguageModelStep): void;
  /** Every `gradientNormEvery` steps: each layer's gradient norm (before clipping). */
  onGradientNorms?(step: number, norms: ReadonlyMap<string, number>): void;
  /** After each validation and its checkpoints. */
  onEvaluation?(record: LanguageModelEvaluationRecord): void | Promise<void>;
  /** With `captureSteps`, once: whether the steps replay, or why they stay eager. */
  onCapture?(status: CaptureStatus): void;
}

/** What {@link fitLanguageModel} trains and how. */
export interface FitLanguageModelOptions extends RunOptions {
  /** The recurrent language model. */
  readonly model: LanguageModel;
  /** Its optimizer. */
  readonly optimizer: TrainableOptimizer;
  /** An LR schedule, stepped after every optimizer step (optional). */
  readonly scheduler?: SchedulerLike;
  /** The training windows, in order (a `TbpttBatcher`). */
  readonly train: SequenceBatches;
  /** Validation windows (evaluated every `evalEvery` steps, at the end of each pass and at the end). */
  readonly validation?: SequenceBatches;
  /** Optimizer steps in the whole run (a resumed run counts the ones already taken). */
  readonly steps: number;
  /** Evaluate every this many steps as well (default: only at the end of each pass and of the run). */
  readonly evalEvery?: number;
  /**
   * Writes a text with the model at each validation, for the report. It must
   * draw from its own generator, not the default one, or the run's dropout
   * would depend on when it sampled.
   */
  readonly sample?: (step: number) => Promise<string>;
  /** Progress, logging and plotting hooks. */
  readonly callbacks?: LanguageModelCallbacks;
}

/** How a {@link fitLanguageModel} call ended. */
export interface FitLanguageModelResult {
  /** Whether all steps ran, or the signal stopped the run (and `last` was saved). */
  readonly status: 'completed' | 'interrupted';
  /** Steps taken in the whole run. */
  readonly step: number;
  /** Every validation, across resumes. */
  readonly evaluations: readonly LanguageModelEvaluationRecord[];
  /** The lowest validation loss and its step, if there was validation. */
  readonly best?: { readonly loss: number; readonly bpc: number; readonly step: number };
  /** Paths of the checkpoints written, if any. */
  readonly checkpoints?: { readonly last: string; readonly best?: string };
}

interface SavedMetrics {
  readonly evaluations: LanguageModelEvaluationRecord[];
  readonly best?: { loss: number; bpc: number; step: number };
}

/**
 * Trains a recurrent language model with truncated backpropagation through
 * time, as PyTorch's `word_language_model` example and char-rnn do: the
 * training text is cut into N parallel streams (a `TbpttBatcher`), each
 * step trains on the next window of T tokens of every stream, starting from
 * the hidden state the previous window ended with — detached, so gradients
 * reach back at most T steps — and each pass over the text starts from zeros.
 * Each step checks that the loss and gradients are finite (a
 * `DivergenceError` otherwise), optionally clips the global gradient norm,
 * and steps the optimizer and schedule. Validation (loss in nats, bits per
 * character, perplexity) runs every `evalEvery` steps, at the end of each
 * pass and at the end, followed by atomic `last` and `best` (lowest loss)
 * checkpoints that hold the carried state too, so `resumeFrom` continues
 * exactly as if the run had never stopped.
 *
 * ```ts
 * const train = new TbpttBatcher(corpus.train, { batchSize: 32, seqLength: 64 });
 * const validation = new TbpttBatcher(corpus.validation, { batchSize: 32, seqLength: 64 });
 * const result = await fitLanguageModel({ model, optimizer, train, validation, steps: 2000, evalEvery: 250, device: 'wasm', clipGradNorm: 5 });
 * console.log(result.best?.bpc);
 * ```
 */
export async function fitLanguageModel(options: FitLanguageModelOptions): Promise<FitLanguageModelResult> {
  const { model, optimizer, scheduler, train, device } = options;
  const callbacks = options.callbacks ?? {};
  const batches = train.length;
  const carried = new CarriedState(device);
  const objects = { model, optimizer, scheduler, carried };
  const checkpoints = options.checkpointDir ? new RunCheckpoints(options.checkpointDir, objects) : undefined;
  let step = 0;
  let metrics: SavedMetrics = { evaluations: [] };
  if (options.resumeFrom) {
    const saved = await loadCheckpoint(options.resumeFrom, objects);
    step = saved.step;
    metrics = (saved.metrics as SavedMetrics | undefined) ?? metrics;
  }
  const save = async (isBest = false): Promise<void> => {
    await checkpoints?.save({ epoch: Math.floor(step / batches), step, metrics, metadata: options.metadata }, isBest);
  };
  const result = (status: FitLanguageModelResult['status']): FitLanguageModelResult => ({
    status, step, evaluations: metrics.evaluations, best: metrics.best,
    checkpoints: checkpoints?.written(metrics.best !== undefined),
  });
  callbacks.onStart?.({ step, steps: options.steps, batches });
  let trainSeconds = 0;
  let tokensSeen = 0;
  const parameters = model.parameters();
  // A window that starts from a carried state, as most do (the first of each pass starts from zeros, eagerly).
  const captured = options.captureSteps
    ? new CapturedPass(model, ([input, target, h, c]) => {
      const out = model.forward(input, { h, ...(c ? { c } : {}) });
      const loss = sequenceLoss(out.logits, target);
      backpropagate(loss, optimizer);
      return { statistics: stepStatistics(loss, parameters), outputs: out.c ? [out.h, out.c] : [out.h] };
    }, (status) => callbacks.onCapture?.(status))
    : null;
  try {
    model.train();
    while (step < options.steps) {
      const batch = step % batches;
      const epoch = Math.floor(step / batches);
      if (batch === 0) carried.reset(); // each pass over the text starts from zeros
      const lr = optimizer.paramGroups[0].lr;
      const started = performance.now();
      const stats = await scopeAsync(async () => {
        const { input, target } = train.get(batch);
        const state = carried.current;
        if (captured && state) {
          const inputs = [input.to(device), target.to(device), state.h, ...(state.c ? [state.c] : [])];
          const { statistics, outputs: [h, c] } = captured.run(inputs);
          const update = await applyUpdate(statistics, parameters, optimizer, { clipGradNorm: options.clipGradNorm, epoch, step: step + 1 });
          carried.carry({ h, ...(c ? { c } : {}) });
          return { ...update, tokens: target.numel };
        }
        const out = model.forward(input.to(device), state);
        const loss = sequenceLoss(out.logits, target.to(device));
        const update = await backwardAndStep(loss, parameters, optimizer, { clipGradNorm: options.clipGradNorm, epoch, step: step + 1 });
        carried.carry(out); // after backward, which still reads the previous state
        return { ...update, tokens: target.numel };
      });
      step++;
      scheduler?.step();
      trainSeconds += (performance.now() - started) / 1000;
      tokensSeen += stats.tokens;
      callbacks.onStep?.({
        epoch, step, steps: options.steps, batch: batch + 1, batches, loss: stats.loss, bpc: stats.loss / Math.LN2, gradNorm: stats.gradNorm,
        lr, tokens: stats.tokens, tokensPerSecond: trainSeconds > 0 ? tokensSeen / trainSeconds : 0,
      });
      if (options.gradientNormEvery && step % options.gradientNormEvery === 0 && callbacks.onGradientNorms) {
        callbacks.onGradientNorms(step, await gradientNorms(model));
      }
      const due = step === options.steps || step % batches === 0 || (options.evalEvery !== undefined && step % options.evalEvery === 0);
      if (due) {
        if (options.validation) await validate(epoch);
        else await save();
      }
      if (options.signal?.aborted && step < options.steps) {
        if (!due) await save();
        return result('interrupted');
      }
    }
    return result('completed');
  } finally {
    carried.reset();
    captured?.dispose();
  }

  async function validate(epoch: number): Promise<void> {
    const evaluation = await evaluateLanguageModel(model, options.validation!, { device });
    const isBest = metrics.best === undefined || evaluation.loss < metrics.best.loss;
    const sample = options.sample ? await options.sample(step) : undefined;
    const record: LanguageModelEvaluationRecord = { ...evaluation, epoch, step, isBest, ...(sample === undefined ? {} : { sample }) };
    metrics = { evaluations: [...metrics.evaluations, record], best: isBest ? { loss: evaluation.loss, bpc: evaluation.bpc, step } : metrics.best };
    await save(isBest);
    await callbacks.onEvaluation?.(record);
  }
}
