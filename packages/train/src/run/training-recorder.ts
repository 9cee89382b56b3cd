import { join } from 'node:path';
import type { EpochRecord, FitCallbacks, FitResult, StepRecord } from '../loop/fit.js';
import { captureMessage, type CaptureStatus } from '../loop/captured-pass.js';
import type { Evaluation } from '../loop/evaluate.js';
import { MetricsLog } from '../logging/metrics-log.js';
import type { MetricsEntry } from '../logging/metrics-record.js';
import { plotAccuracy } from '../plots/accuracy-plot.js';
import { plotConfusionMatrix, MAX_PLOTTED_CLASSES } from '../plots/confusion-matrix-plot.js';
import { gradientNormsFromMetrics, plotGradientNorms } from '../plots/gradient-norms-plot.js';
import { plotLearningRate } from '../plots/learning-rate-plot.js';
import { plotLoss } from '../plots/loss-plot.js';
import { writePlot } from '../plots/write-plot.js';
import { ProgressReporter, type ProgressStream } from '../progress/progress-reporter.js';
import type { MisclassifiedExample, ReportPlot } from '../report/run-report.js';
import { writeReport } from '../report/write-report.js';

/** What a {@link TrainingRecorder} records and where. */
export interface TrainingRecorderOptions {
  /** The run folder: metrics, `plots/`, `report.html`. */
  readonly dir: string;
  /** The report's title. */
  readonly title: string;
  /** The run's configuration, for the report. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Class names, for the confusion matrix. */
  readonly classes: readonly string[];
  /** What a sample is for the rate (`'images'`, `'chars'`). */
  readonly unit?: string;
  /** Where progress goes (default stdout; a live bar on a terminal, plain lines elsewhere). */
  readonly stream?: ProgressStream;
  /** Log a training record every this many steps (default 10; always the epoch's last). */
  readonly logEvery?: number;
  /** The step a resumed run continues from: the log keeps what came before it. */
  readonly resumeStep?: number;
}

/**
 * The progress bar, metrics log, plots and report of a training run, as
 * {@link FitCallbacks}: hand `recorder` to `fit` as its callbacks, then call
 * {@link TrainingRecorder.finish} with the result. Everything lands in the
 * run folder — `metrics.jsonl` and `metrics.csv`, `plots/*.svg|png` (loss,
 * accuracy, learning rate, per-layer gradient norms, confusion matrix) and a
 * self-contained `report.html` — and a resumed run continues the same log.
 *
 * ```ts
 * const recorder = await TrainingRecorder.open({ dir, title: 'LeNet-5 on digits', config, classes });
 * const result = await fit({ ...options, callbacks: recorder });
 * const report = await recorder.finish(result);
 * ```
 */
export class TrainingRecorder implements FitCallbacks {
  /** The run's metrics, as logged. */
  readonly log: MetricsLog;
  readonly #options: TrainingRecorderOptions;
  readonly #logEvery: number;
  #progress: ProgressReporter | undefined;
  #epochs = 0;
  #epoch = 1;

  private constructor(log: MetricsLog, options: TrainingRecorderOptions) {
    this.log = log;
    this.#options = options;
    this.#logEvery = options.logEvery ?? 10;
  }

  /** Opens the run folder's log (continuing it when `resumeStep` is given). */
  static async open(options: TrainingRecorderOptions): Promise<TrainingRecorder> {
    const resume = options.resumeStep !== undefined;
    const log = await MetricsLog.open(options.dir, resume ? { resume, resumeStep: options.resumeStep } : {});
    return new TrainingRecorder(log, options);
  }

  /** {@inheritDoc FitCallbacks.onStart} */
  onStart(info: { readonly epoch: number; readonly step: number; readonly epochs: number; readonly batches: number }): void {
    this.#epochs = info.epochs;
    this.#progress = new ProgressReporter({ epochs: info.epochs, stepsPerEpoch: info.batches, unit: this.#options.unit, stream: this.#options.stream });
    if (info.epoch < info.epochs) this.#progress.startEpoch(info.epoch + 1, info.step % info.batches);
  }

  /** {@inheritDoc FitCallbacks.onStep} */
  onStep(record: StepRecord): void {
    this.#epoch = record.epoch + 1;
    this.#progress?.update({ step: record.batch, loss: record.loss, accuracy: record.acc1, samples: record.samples });
    if (record.step % this.#logEvery === 0 || record.batch === record.batches) {
      this.log.log({
        split: 'train', epoch: record.epoch + 1, step: record.step,
        loss: record.loss, acc1: record.acc1, lr: record.lr, grad_norm: record.gradNorm, samples_per_s: record.samplesPerSecond,
      });
    }
  }

  /** {@inheritDoc FitCallbacks.onGradientNorms} */
  onGradientNorms(step: number, norms: ReadonlyMap<string, number>): void {
    this.log.log(gradientNormEntry(this.#epoch, step, norms));
  }

  /** {@inheritDoc FitCallbacks.onEpoch} */
  async onEpoch(record: EpochRecord): Promise<void> {
    const epoch = record.epoch + 1;
    this.log.log({ split: 'train', epoch, step: record.step, loss: record.trainLoss, acc1: record.trainAcc1, lr: record.lr });
    if (record.val) this.log.log({ split: 'val', epoch, step: record.step, loss: record.val.loss, ...record.val.accuracy });
    this.#progress?.endEpoch({ loss: record.trainLoss, accuracy: record.trainAcc1, valLoss: record.val?.loss, valAccuracy: record.val?.accuracy.acc1 });
    await this.log.flush();
    await this.#writePlots();
    if (epoch < this.#epochs) this.#progress?.startEpoch(epoch + 1);
  }

  /** {@inheritDoc FitCallbacks.onCapture} */
  onCapture(status: CaptureStatus): void {
    this.say(captureMessage(status));
  }

  /** Prints a line above the progress bar. */
  say(message: string): void {
    if (this.#progress) this.#progress.log(message);
    else (this.#options.stream ?? process.stdout).write(`${message}\n`);
  }

  async #writePlots(evaluation?: Evaluation): Promise<ReportPlot[]> {
    const records = this.log.records;
    const plots: (ReportPlot & { readonly file: string })[] = [
      { file: 'loss', title: 'Loss', svg: (await plotLoss(records)).svg },
      { file: 'accuracy', title: 'Accuracy', svg: (await plotAccuracy(records)).svg },
      { file: 'learning-rate', title: 'Learning rate', svg: (await plotLearningRate(records)).svg },
    ];
    const norms = gradientNormsFromMetrics(records);
    if (norms.length > 0) plots.push({ file: 'gradient-norms', title: 'Gradient norm per layer', svg: (await plotGradientNorms(norms)).svg });
    const classes = this.#options.classes;
    if (evaluation?.confusion && classes.length <= MAX_PLOTTED_CLASSES) {
      plots.push({ file: 'confusion-matrix', title: 'Confusion matrix (validation)', svg: (await plotConfusionMatrix({ classes, matrix: evaluation.confusion })).svg });
    }
    for (const plot of plots) await writePlot(join(this.#options.dir, 'plots'), plot.file, plot.svg);
    return plots.map(({ title, svg }) => ({ title, svg }));
  }

  /**
   * Ends the run: stops the progress bar, closes the log, writes the final
   * plots (with the confusion matrix) and `report.html`; resolves to the
   * report's path.
   */
  async finish(result: FitResult, extra: { readonly summary?: Readonly<Record<string, string | number>>; readonly misclassified?: readonly MisclassifiedExample[] } = {}): Promise<string> {
    this.#progress?.stop();
    await this.log.close();
    const plots = await this.#writePlots(result.evaluation);
    const last = result.history.at(-1);
    const summary: Record<string, string | number> = {
      status: result.status, epochs: result.history.length, steps: result.step,
      ...(last?.val ? Object.fromEntries(Object.entries(last.val.accuracy).map(([k, v]) => [`val ${k.replace('acc', 'top-')}`, percent(v)])) : {}),
      ...(last?.val ? { 'val loss': last.val.loss.toFixed(4) } : {}),
      ...(result.best ? { 'best val top-1': `${percent(result.best.acc1)} (epoch ${result.best.epoch + 1})` } : {}),
      ...extra.summary,
    };
    const confusion = result.evaluation?.confusion ? { classes: this.#options.classes, matrix: result.evaluation.confusion } : undefined;
    return writeReport(this.#options.dir, {
      title: this.#options.title, config: this.#options.config, summary, plots,
      ...(confusion ? { confusion } : {}), ...(extra.misclassified ? { misclassified: extra.misclassified } : {}),
    });
  }
}

/** Per-layer gradient norms as a metrics entry: `grad_norm/<layer>` keys beside the training metrics, where the gradient-norm plot reads them. */
export function gradientNormEntry(epoch: number, step: number, norms: ReadonlyMap<string, number>): MetricsEntry {
  const entry: Record<string, number> = {};
  for (const [layer, norm] of norms) entry[`grad_norm/${layer || '(root)'}`] = norm;
  return { split: 'train', epoch, step, ...entry };
}

function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(2)}%`;
}
