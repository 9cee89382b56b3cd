import { join } from 'node:path';
import type { FitLanguageModelResult, LanguageModelCallbacks, LanguageModelEvaluationRecord, LanguageModelStep } from '../language-model/fit-language-model.js';
import { captureMessage, type CaptureStatus } from '../loop/captured-pass.js';
import { MetricsLog } from '../logging/metrics-log.js';
import { gradientNormsFromMetrics, plotGradientNorms } from '../plots/gradient-norms-plot.js';
import { plotLearningRate } from '../plots/learning-rate-plot.js';
import { plotLoss } from '../plots/loss-plot.js';
import { writePlot } from '../plots/write-plot.js';
import { ProgressReporter, type ProgressStream } from '../progress/progress-reporter.js';
import type { ReportPlot, TextSample } from '../report/run-report.js';
import { writeReport } from '../report/write-report.js';
import { gradientNormEntry } from './training-recorder.js';

/** What a {@link LanguageModelRecorder} records and where. */
export interface LanguageModelRecorderOptions {
  /** The run folder: metrics, `plots/`, `report.html`. */
  readonly dir: string;
  /** The report's title. */
  readonly title: string;
  /** The run's configuration, for the report. */
  readonly config: Readonly<Record<string, unknown>>;
  /** What a token is, for the rate (default `'chars'`). */
  readonly unit?: string;
  /** Where progress goes (default stdout; a live bar on a terminal, plain lines elsewhere). */
  readonly stream?: ProgressStream;
  /** Log a training record every this many steps (default 10). */
  readonly logEvery?: number;
  /** The step a resumed run continues from: the log keeps what came before it. */
  readonly resumeStep?: number;
}

/**
 * The progress bar, metrics log, plots and report of a language model's
 * run, as {@link LanguageModelCallbacks} for `fitLanguageModel`: one bar
 * over all the run's steps with chars/s and ETA; `metrics.jsonl` and
 * `metrics.csv` with training loss and bits per character every `logEvery`
 * steps and validation loss, bpc and perplexity at each evaluation;
 * `plots/` (loss, bits per character, learning rate, per-layer gradient
 * norms), rewritten at each evaluation; and `report.html` with the samples
 * drawn at each evaluation.
 *
 * ```ts
 * const recorder = await LanguageModelRecorder.open({ dir, title: 'char-LSTM on Moby Dick', config });
 * const result = await fitLanguageModel({ ...options, callbacks: recorder });
 * await recorder.finish(result);
 * ```
 */
export class LanguageModelRecorder implements LanguageModelCallbacks {
  /** The run's metrics, as logged. */
  readonly log: MetricsLog;
  readonly #options: LanguageModelRecorderOptions;
  readonly #logEvery: number;
  #progress: ProgressReporter | undefined;
  #steps = 0;
  #epoch = 1;

  private constructor(log: MetricsLog, options: LanguageModelRecorderOptions) {
    this.log = log;
    this.#options = options;
    this.#logEvery = options.logEvery ?? 10;
  }

  /** Opens the run folder's log (continuing it when `resumeStep` is given). */
  static async open(options: LanguageModelRecorderOptions): Promise<LanguageModelRecorder> {
    const resume = options.resumeStep !== undefined;
    const log = await MetricsLog.open(options.dir, resume ? { resume, resumeStep: options.resumeStep } : {});
    return new LanguageModelRecorder(log, options);
  }

  /** {@inheritDoc LanguageModelCallbacks.onStart} */
  onStart(info: { readonly step: number; readonly steps: number; readonly batches: number }): void {
    this.#steps = info.steps;
    this.#progress = new ProgressReporter({ epochs: 1, stepsPerEpoch: info.steps, unit: this.#options.unit ?? 'chars', stream: this.#options.stream, showEpoch: false });
    if (info.step < info.steps) this.#progress.startEpoch(1, info.step);
  }

  /** {@inheritDoc LanguageModelCallbacks.onStep} */
  onStep(record: LanguageModelStep): void {
    this.#epoch = record.epoch + 1;
    this.#progress?.update({ step: record.step, loss: record.loss, samples: record.tokens });
    if (record.step % this.#logEvery === 0 || record.step === record.steps) {
      this.log.log({
        split: 'train', epoch: this.#epoch, step: record.step,
        loss: record.loss, bpc: record.bpc, lr: record.lr, grad_norm: record.gradNorm, chars_per_s: record.tokensPerSecond,
      });
    }
  }

  /** {@inheritDoc LanguageModelCallbacks.onGradientNorms} */
  onGradientNorms(step: number, norms: ReadonlyMap<string, number>): void {
    this.log.log(gradientNormEntry(this.#epoch, step, norms));
  }

  /** {@inheritDoc LanguageModelCallbacks.onEvaluation} */
  async onEvaluation(record: LanguageModelEvaluationRecord): Promise<void> {
    this.log.log({ split: 'val', epoch: record.epoch + 1, step: record.step, loss: record.loss, bpc: record.bpc, perplexity: record.perplexity });
    const best = record.isBest ? '  (best)' : '';
    this.say(`step ${record.step}/${this.#steps}  val loss ${record.loss.toFixed(4)}  ${record.bpc.toFixed(3)} bits/char  perplexity ${record.perplexity.toFixed(2)}${best}`);
    if (record.sample !== undefined) this.say(indent(record.sample));
    await this.log.flush();
    await this.#writePlots();
    // A fresh bar: its rate and ETA then count training alone, not the validation just done.
    if (record.step < this.#steps) this.#progress?.startEpoch(1, record.step);
  }

  /** {@inheritDoc LanguageModelCallbacks.onCapture} */
  onCapture(status: CaptureStatus): void {
    this.say(captureMessage(status));
  }

  /** Prints a line above the progress bar. */
  say(message: string): void {
    if (this.#progress) this.#progress.log(message);
    else (this.#options.stream ?? process.stdout).write(`${message}\n`);
  }

  async #writePlots(): Promise<ReportPlot[]> {
    const records = this.log.records;
    const plots: (ReportPlot & { readonly file: string })[] = [
      // Training records come every `logEvery` steps, not every step: lighter smoothing than a classifier's.
      { file: 'loss', title: 'Loss (nats per character)', svg: (await plotLoss(records, { smoothing: 0.6 })).svg },
      { file: 'bpc', title: 'Bits per character', svg: (await plotLoss(records, { metric: 'bpc', smoothing: 0.6, title: 'Bits per character' })).svg },
      { file: 'learning-rate', title: 'Learning rate', svg: (await plotLearningRate(records)).svg },
    ];
    const norms = gradientNormsFromMetrics(records);
    if (norms.length > 0) plots.push({ file: 'gradient-norms', title: 'Gradient norm per layer', svg: (await plotGradientNorms(norms)).svg });
    for (const plot of plots) await writePlot(join(this.#options.dir, 'plots'), plot.file, plot.svg);
    return plots.map(({ title, svg }) => ({ title, svg }));
  }

  /** Ends the run: stops the progress bar, closes the log, writes the plots and `report.html` with every sample; resolves to the report's path. */
  async finish(result: FitLanguageModelResult): Promise<string> {
    this.#progress?.stop();
    await this.log.close();
    const plots = await this.#writePlots();
    const last = result.evaluations.at(-1);
    const summary: Record<string, string | number> = {
      status: result.status, steps: result.step,
      ...(last ? { 'val bits/char': last.bpc.toFixed(3), 'val loss (nats)': last.loss.toFixed(4), 'val perplexity': last.perplexity.toFixed(2) } : {}),
      ...(result.best ? { 'best val bits/char': `${result.best.bpc.toFixed(3)} (step ${result.best.step})` } : {}),
    };
    const samples: TextSample[] = result.evaluations.flatMap((record) => (record.sample === undefined ? [] : [{
      title: `step ${record.step} · val ${record.bpc.toFixed(3)} bits/char`, text: record.sample,
    }]));
    return writeReport(this.#options.dir, { title: this.#options.title, config: this.#options.config, summary, plots, samples });
  }
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  | ${line}`).join('\n');
}
