import { noGrad } from '@fathom/autograd';
import { scopeAsync, stack, type Device, type Tensor } from '@fathom/core';
import { batchOn, type Classifier, type LabeledBatch } from './batch.js';
import type { DataParallel } from './data-parallel.js';
import { topkCorrect } from './top-k.js';

/** How {@link evaluate} scores a model. */
export interface EvaluateOptions {
  /** Where the model runs. */
  readonly device: Device;
  /** The loss of a batch (mean over it), e.g. `crossEntropy`. */
  readonly loss: (logits: Tensor, labels: Tensor) => Tensor;
  /** Which top-k accuracies to report (default [1, 5]; k ≥ classes counts every sample). */
  readonly topk?: readonly number[];
  /** Count a confusion matrix over this many classes (default: none). */
  readonly confusionClasses?: number;
  /** Keep up to this many misclassified samples, most confident first (default 0). */
  readonly keepMisclassified?: number;
  /**
   * Each rank evaluates its own shard of the data: loss, accuracies, sample
   * count and confusion matrix are summed over the ranks. Mistakes stay this
   * rank's (their `index` is a position in this rank's loader).
   */
  readonly dataParallel?: DataParallel;
}

/** A sample the model got wrong: its position in the evaluated dataset (loader order), its label and the prediction. */
export interface Misclassified {
  /** Index in the loader's order (the dataset index when it does not shuffle). */
  readonly index: number;
  /** The true class. */
  readonly label: number;
  /** The predicted class. */
  readonly predicted: number;
  /** The softmax probability of the predicted class. */
  readonly confidence: number;
}

/** What {@link evaluate} measured. */
export interface Evaluation {
  /** Mean loss per sample. */
  readonly loss: number;
  /** Accuracy (0–1) for each requested k, keyed `acc1`, `acc5`, … */
  readonly accuracy: Readonly<Record<string, number>>;
  /** Samples seen. */
  readonly samples: number;
  /** `confusion[label][predicted]` counts, when asked for. */
  readonly confusion?: number[][];
  /** The most confident mistakes, when asked for. */
  readonly misclassified?: Misclassified[];
}

/**
 * Scores a model on every batch of a loader in evaluation mode (no
 * gradients, BatchNorm's running statistics, no dropout): loss, top-k
 * accuracy, and optionally a confusion matrix and the worst mistakes.
 * Restores training mode afterwards if the model was in it.
 *
 * ```ts
 * const { loss, accuracy } = await evaluate(model, valLoader, { device: 'wasm', loss: crossEntropy });
 * console.log(loss, accuracy.acc1, accuracy.acc5);
 * ```
 */
export async function evaluate(model: Classifier, loader: AsyncIterable<LabeledBatch>, options: EvaluateOptions): Promise<Evaluation> {
  const ks = options.topk ?? [1, 5];
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let samples = 0;
  const correct = ks.map(() => 0);
  const classes = options.confusionClasses ?? 0;
  const confusion = classes > 0 ? Array.from({ length: classes }, () => new Array<number>(classes).fill(0)) : undefined;
  const keepCount = options.keepMisclassified ?? 0;
  let mistakes: Misclassified[] = [];
  try {
    for await (const raw of loader) {
      await scopeAsync(async () => {
        const { x, y } = batchOn(raw, options.device);
        const n = y.shape[0];
        const logits = noGrad(() => model.forward(x)); // (N, C)
        const stats = noGrad(() => stack([options.loss(logits, y).mul(n), ...ks.map((k) => topkCorrect(logits, y, k))])); // (1 + ks)
        const values = await stats.data();
        lossSum += values[0];
        ks.forEach((_, i) => { correct[i] += values[i + 1]; });
        if (confusion || keepCount > 0) {
          const probabilities = noGrad(() => logits.softmax(1));
          const [predicted, confidence, labels] = await Promise.all([
            probabilities.argmax(1).data(), probabilities.max(1).data(), y.data(),
          ]);
          for (let i = 0; i < n; i++) {
            if (confusion && labels[i] < classes && predicted[i] < classes) confusion[labels[i]][predicted[i]]++;
            if (keepCount > 0 && predicted[i] !== labels[i]) {
              mistakes.push({ index: samples + i, label: labels[i], predicted: predicted[i], confidence: confidence[i] });
            }
          }
          if (mistakes.length > 4 * keepCount) mistakes = mostConfident(mistakes, keepCount);
        }
        samples += n;
      });
    }
  } finally {
    model.train(wasTraining);
  }
  if (options.dataParallel) {
    // One sum over the ranks: [loss sum, samples, correct per k, confusion row by row].
    const totals = await options.dataParallel.sum(Float64Array.from([lossSum, samples, ...correct, ...(confusion?.flat() ?? [])]));
    [lossSum, samples] = [totals[0], totals[1]];
    ks.forEach((_, i) => { correct[i] = totals[2 + i]; });
    confusion?.forEach((row, label) => row.forEach((_, predicted) => { row[predicted] = totals[2 + ks.length + label * classes + predicted]; }));
  }
  const accuracy = Object.fromEntries(ks.map((k, i) => [`acc${k}`, samples > 0 ? correct[i] / samples : 0]));
  return {
    loss: samples > 0 ? lossSum / samples : NaN,
    accuracy,
    samples,
    ...(confusion ? { confusion } : {}),
    ...(keepCount > 0 ? { misclassified: mostConfident(mistakes, keepCount) } : {}),
  };
}

function mostConfident(mistakes: Misclassified[], count: number): Misclassified[] {
  return [...mistakes].sort((a, b) => b.confidence - a.confidence || a.index - b.index).slice(0, count);
}
