import cliProgress from 'cli-progress';
import { ValueError } from '@fathom/core';
import { formatDuration, formatLoss, formatMeasures, formatPercent, formatProgressLine, formatRate } from './progress-format.js';

/** Where progress goes: a writable stream, a terminal when `isTTY` is true. */
export type ProgressStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };

/** How a {@link ProgressReporter} reports. */
export interface ProgressOptions {
  /** Epochs in the run. */
  readonly epochs: number;
  /** Steps in an epoch. */
  readonly stepsPerEpoch: number;
  /** What a sample is, for the rate: `'images'` (default) gives `images/s`; `'chars'` gives `chars/s`. */
  readonly unit?: string;
  /** Show `epoch i/n` (default true); false for a run counted in steps, shown as one epoch of all of them. */
  readonly showEpoch?: boolean;
  /** Where to write (default `process.stdout`). */
  readonly stream?: ProgressStream;
  /** Draw a live bar (default: when the stream is a terminal); otherwise print plain lines. */
  readonly tty?: boolean;
  /** Plain lines: print one every this many steps (default a tenth of an epoch). */
  readonly everySteps?: number;
  /** Plain lines: and at least one every this many seconds (default 30). */
  readonly everySeconds?: number;
  /** Seconds on a monotonic clock (default `performance.now() / 1000`). */
  readonly clock?: () => number;
}

/** What the loop reports after a step. */
export interface ProgressUpdate {
  /** Steps done in this epoch (1 after the first). */
  readonly step: number;
  /** The loss to show (the running mean of the epoch, say). */
  readonly loss?: number;
  /** The accuracy to show, a fraction in [0, 1]. */
  readonly accuracy?: number;
  /** Samples processed since the previous update (the batch size), for the rate. */
  readonly samples?: number;
}

/** What the line closing an epoch shows, besides its time and rate. */
export interface EpochSummary {
  /** The epoch's training loss. */
  readonly loss?: number;
  /** The epoch's training accuracy, a fraction. */
  readonly accuracy?: number;
  /** The validation loss. */
  readonly valLoss?: number;
  /** The validation accuracy, a fraction. */
  readonly valAccuracy?: number;
}

interface EpochState {
  readonly epoch: number;
  readonly startedAt: number;
  readonly startStep: number;
  step: number;
  samples: number;
  loss?: number;
  accuracy?: number;
  lastPrintedStep: number;
  lastPrintedAt: number;
  bars?: cliProgress.MultiBar;
  bar?: cliProgress.SingleBar;
}

const BAR_SIZE = 24;

/**
 * Training progress for a terminal or a log. On a terminal, a live bar per
 * epoch (cli-progress):
 * `epoch 1/3 ██████████░░░░░░░░░░░░░░ 120/469  loss 0.412  acc 88.1%  1,830 images/s  ETA 0:42`;
 * off one (CI, a pipe, a file), the same as plain lines every `everySteps`
 * steps or `everySeconds` seconds and at the end of each epoch:
 * `epoch 1/3  step 120/469  loss 0.412  acc 88.1%  1,830 images/s  ETA 0:42`.
 * ETA is the time left in the epoch; the rate counts the samples since the
 * epoch (or the resume) started.
 *
 * ```ts
 * const progress = new ProgressReporter({ epochs: 3, stepsPerEpoch: loader.length });
 * progress.startEpoch(1);
 * progress.update({ step: 1, loss: 2.3, accuracy: 0.1, samples: 128 });
 * progress.endEpoch({ valLoss: 0.32, valAccuracy: 0.9 });
 * progress.stop();
 * ```
 */
export class ProgressReporter {
  /** Epochs in the run. */
  readonly epochs: number;
  /** Steps in an epoch. */
  readonly stepsPerEpoch: number;
  /** Whether it draws a live bar (true) or prints plain lines (false). */
  readonly tty: boolean;

  readonly #unit: string;
  readonly #showEpoch: boolean;
  readonly #stream: ProgressStream;
  readonly #everySteps: number;
  readonly #everySeconds: number;
  readonly #clock: () => number;
  #state: EpochState | undefined;

  constructor(options: ProgressOptions) {
    const { epochs, stepsPerEpoch } = options;
    for (const [name, value] of [['epochs', epochs], ['stepsPerEpoch', stepsPerEpoch]] as const) {
      if (!(Number.isInteger(value) && value > 0)) throw new ValueError(`ProgressReporter: ${name} must be a positive integer, got ${value}`);
    }
    this.epochs = epochs;
    this.stepsPerEpoch = stepsPerEpoch;
    this.#stream = options.stream ?? process.stdout;
    this.tty = options.tty ?? this.#stream.isTTY === true;
    this.#unit = options.unit ?? 'images';
    this.#showEpoch = options.showEpoch ?? true;
    this.#everySteps = options.everySteps ?? Math.max(1, Math.ceil(stepsPerEpoch / 10));
    this.#everySeconds = options.everySeconds ?? 30;
    if (!(this.#everySteps > 0 && this.#everySeconds > 0)) {
      throw new ValueError(`ProgressReporter: everySteps and everySeconds must be positive, got ${this.#everySteps} and ${this.#everySeconds}`);
    }
    this.#clock = options.clock ?? (() => performance.now() / 1000);
  }

  /** Starts epoch `epoch` (from 1); `startStep` is the step a resumed run picks it up at. */
  startEpoch(epoch: number, startStep = 0): void {
    this.#finishBar();
    const now = this.#clock();
    this.#state = { epoch, startedAt: now, startStep, step: startStep, samples: 0, lastPrintedStep: startStep, lastPrintedAt: now };
    if (this.tty) {
      // A MultiBar even for one bar: it prints log lines above the bar and
      // tracks its own line, where SingleBar saves and restores the cursor's
      // screen position, which lines printed meanwhile invalidate.
      const bars = new cliProgress.MultiBar({
        stream: this.#stream,
        format: (options, params, payload: { line?: string }) => `${this.#showEpoch ? `epoch ${epoch}/${this.epochs}` : 'step'} ${cliProgress.Format.BarFormat(params.progress, options)} ${params.value}/${params.total}${payload.line ? `  ${payload.line}` : ''}`,
        barsize: BAR_SIZE,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        fps: 5,
      });
      this.#state.bars = bars;
      this.#state.bar = bars.create(this.stepsPerEpoch, startStep, { line: '' });
    }
  }

  /** Reports the step just done: the bar moves, or a plain line is printed when one is due. */
  update(progress: ProgressUpdate): void {
    const state = this.#state;
    if (state === undefined) throw new ValueError('ProgressReporter.update: call startEpoch first');
    state.step = Math.min(progress.step, this.stepsPerEpoch);
    state.samples += progress.samples ?? 0;
    if (progress.loss !== undefined) state.loss = progress.loss;
    if (progress.accuracy !== undefined) state.accuracy = progress.accuracy;
    const now = this.#clock();
    if (state.bar !== undefined) {
      state.bar.update(state.step, { line: formatMeasures(this.#measures(state, now)).join('  ') });
      return;
    }
    const due = state.step >= this.stepsPerEpoch
      || state.step - state.lastPrintedStep >= this.#everySteps
      || now - state.lastPrintedAt >= this.#everySeconds;
    if (!due) return;
    state.lastPrintedStep = state.step;
    state.lastPrintedAt = now;
    const epoch = this.#showEpoch ? { epoch: state.epoch, epochs: this.epochs } : {};
    this.#stream.write(`${formatProgressLine({ ...epoch, step: state.step, stepsPerEpoch: this.stepsPerEpoch, ...this.#measures(state, now) })}\n`);
  }

  /**
   * Closes the epoch: the bar is drawn complete and left on screen, and a
   * line sums the epoch up: `epoch 1/3  done in 1:02  loss 0.412  acc 88.1%  val loss 0.321  val acc 89.9%  1,830 images/s`.
   */
  endEpoch(summary: EpochSummary = {}): void {
    const state = this.#state;
    if (state === undefined) throw new ValueError('ProgressReporter.endEpoch: call startEpoch first');
    const now = this.#clock();
    const { rate } = this.#measures(state, now);
    const parts = [...(this.#showEpoch ? [`epoch ${state.epoch}/${this.epochs}`] : []), `done in ${formatDuration(now - state.startedAt)}`];
    const loss = summary.loss ?? state.loss;
    const accuracy = summary.accuracy ?? state.accuracy;
    if (loss !== undefined) parts.push(`loss ${formatLoss(loss)}`);
    if (accuracy !== undefined) parts.push(`acc ${formatPercent(accuracy)}`);
    if (summary.valLoss !== undefined) parts.push(`val loss ${formatLoss(summary.valLoss)}`);
    if (summary.valAccuracy !== undefined) parts.push(`val acc ${formatPercent(summary.valAccuracy)}`);
    if (rate !== undefined) parts.push(`${formatRate(rate)} ${this.#unit}/s`);
    this.#finishBar();
    this.#state = undefined;
    this.#stream.write(`${parts.join('  ')}\n`);
  }

  /** Prints a line of its own (a checkpoint saved, a warning) without breaking the bar. */
  log(message: string): void {
    const bars = this.#state?.bars;
    if (bars === undefined) {
      this.#stream.write(`${message}\n`);
      return;
    }
    bars.log(`${message}\n`);
    bars.update();
  }

  /** Stops the live bar, if one is running, and restores the cursor. Call it when training ends or fails. */
  stop(): void {
    this.#finishBar();
    this.#state = undefined;
  }

  #finishBar(): void {
    const state = this.#state;
    if (state?.bars === undefined) return;
    const bars = state.bars;
    state.bars = undefined;
    state.bar = undefined;
    // Draw what update() set last (and any pending log lines), then leave the bar on screen.
    bars.update();
    bars.stop();
  }

  #measures(state: EpochState, now: number): { loss?: number; accuracy?: number; rate?: number; unit: string; eta?: number } {
    const elapsed = now - state.startedAt;
    const stepsDone = state.step - state.startStep;
    return {
      loss: state.loss,
      accuracy: state.accuracy,
      rate: state.samples > 0 && elapsed > 0 ? state.samples / elapsed : undefined,
      unit: this.#unit,
      eta: stepsDone > 0 ? ((this.stepsPerEpoch - state.step) * elapsed) / stepsDone : undefined,
    };
  }
}
