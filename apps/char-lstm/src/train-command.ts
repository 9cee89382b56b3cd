import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { manualSeed } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { charCorpus, CharVocabulary, TbpttBatcher } from '@fathom/datasets';
import type { CharRNNCell } from '@fathom/models';
import { fitLanguageModel, LanguageModelRecorder } from '@fathom/train';
import {
  chooseDevice, makeOptimization, resumeCommand, runFolder, untilInterrupted, UsageError, type CliOutput, type DeviceChoice, type OptimizationOptions,
} from '@fathom/train/cli';
import { count, loadCorpusText } from './corpus-text.js';
import { defaultPrompt, sampleText } from './generate-text.js';
import { buildModel, readLmCheckpointInfo, type LmMetadata, type ModelConfig } from './lm-checkpoint.js';

/** The flags of `fathom-lm train` (commander's camelCase names). */
export interface TrainOptions extends OptimizationOptions {
  readonly text?: string[];
  readonly valFraction: number;
  readonly model: CharRNNCell;
  readonly layers: number;
  readonly hidden: number;
  readonly embedding: number;
  readonly dropout: number;
  readonly seqLen: number;
  readonly batchSize: number;
  readonly clip: number;
  readonly warmupSteps: number;
  readonly epochs?: number;
  readonly steps?: number;
  readonly evalEvery: number;
  readonly sampleLength: number;
  readonly seed: number;
  readonly device: DeviceChoice;
  readonly out?: string;
  readonly resume?: string;
  readonly gradNormEvery: number;
  /** Replay each window's forward and backward pass once captured. */
  readonly captureSteps: boolean;
}

// Samples in the log and the report: a little conservative, as char-rnn's.
const SAMPLE_TEMPERATURE = 0.8;

function checkResumable(saved: LmMetadata, model: ModelConfig, vocabulary: CharVocabulary, textLength: number, path: string): void {
  const differs = (Object.keys(model) as (keyof ModelConfig)[]).filter((key) => saved.model[key] !== model[key]);
  if (differs.length > 0) {
    const flags = differs.map((key) => `--${key === 'cell' ? 'model' : key} ${saved.model[key]}`).join(' ');
    throw new UsageError(`--resume ${path}: the checkpoint's model differs in ${differs.join(', ')}; pass ${flags}`);
  }
  if (saved.vocabulary.chars !== vocabulary.toJSON().chars || saved.textLength !== textLength) {
    throw new UsageError(`--resume ${path}: the checkpoint was trained on another text (${count(saved.textLength)} characters, ${[...saved.vocabulary.chars].length} distinct); pass the same --text`);
  }
}

/**
 * `fathom-lm train`: reads the corpus, splits it, builds the model,
 * optimizer and schedule from the flags and trains with truncated BPTT
 * (`fitLanguageModel` from `@fathom/train`): progress, logs, plots,
 * checkpoints with the vocabulary, and a report with samples, all in the run
 * folder. SIGINT finishes the step, saves `last` and prints the command
 * that resumes.
 */
export async function train(options: TrainOptions, output: CliOutput, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (options.epochs !== undefined && options.steps !== undefined) throw new UsageError('--epochs and --steps both set the run\'s length; use one');
  const corpusText = await loadCorpusText(options.text);
  const corpus = charCorpus(corpusText.text, { validationFraction: options.valFraction });
  const textLength = corpus.train.length + corpus.validation.length;
  const modelConfig: ModelConfig = { cell: options.model, layers: options.layers, hidden: options.hidden, embedding: options.embedding, dropout: options.dropout };
  const resumed = options.resume ? await readLmCheckpointInfo(options.resume, '--resume') : undefined;
  if (resumed) checkResumable(resumed.metadata, modelConfig, corpus.vocabulary, textLength, options.resume!);
  const batching = { batchSize: options.batchSize, seqLength: options.seqLen };
  const windowChars = options.batchSize * options.seqLen;
  if (Math.floor(corpus.train.length / options.batchSize) < 2) {
    throw new UsageError(`the training text (${count(corpus.train.length)} characters) is too short for --batch-size ${options.batchSize}; use a longer --text or a smaller batch`);
  }
  const trainBatches = new TbpttBatcher(corpus.train, batching);
  if (options.valFraction > 0 && Math.floor(corpus.validation.length / options.batchSize) < 2) {
    throw new UsageError(`--val-fraction ${options.valFraction} leaves ${count(corpus.validation.length)} characters for validation, too few for --batch-size ${options.batchSize}; raise it or pass --val-fraction 0`);
  }
  const valBatches = options.valFraction > 0 ? new TbpttBatcher(corpus.validation, batching) : undefined;
  const steps = options.steps ?? (options.epochs ?? 1) * trainBatches.length;

  useAutograd();
  manualSeed(options.seed);
  const chosen = await chooseDevice(options.device);
  try {
    output.log(`device: ${chosen.reason}`);
    output.log(`text: ${corpusText.description}, ${corpus.vocabulary.size} distinct; ${count(corpus.train.length)} for training, ${count(corpus.validation.length)} for validation`);
    const model = buildModel(modelConfig, corpus.vocabulary).to(chosen.device);
    const parameters = model.parameters();
    output.log(`model: ${options.layers}×${options.hidden} ${options.model.toUpperCase()}, embedding ${options.embedding}, ${count(parameters.reduce((n, p) => n + p.numel, 0))} parameters`);
    output.log(`training: ${count(steps)} steps of ${options.batchSize}×${options.seqLen} characters (${(steps / trainBatches.length).toFixed(2)} passes over the text)`);
    const { optimizer, scheduler } = makeOptimization(parameters, options, { total: steps, warmup: options.warmupSteps, stepSize: Math.max(1, Math.round(steps / 3)) });
    const dir = resolve(runFolder(options.out, `lm-${options.model}`));
    const config = { ...options, text: options.text ?? ['(Moby Dick, embedded)'], steps, device: chosen.device, vocabulary: corpus.vocabulary.size, windowChars };
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    output.log(`run folder: ${dir}`);
    const metadata: LmMetadata = { kind: 'fathom-lm', model: modelConfig, vocabulary: corpus.vocabulary.toJSON(), seqLen: options.seqLen, textLength, config };
    const recorder = await LanguageModelRecorder.open({
      dir, title: `char-${options.model.toUpperCase()} on ${options.text ? options.text.join(', ') : 'Moby Dick'}`, config, stream: output.stream, resumeStep: resumed?.step,
    });
    const prompt = defaultPrompt(corpus.vocabulary);
    const started = performance.now();
    const result = await untilInterrupted((line) => recorder.say(line), (signal) => fitLanguageModel({
      model, optimizer, scheduler, train: trainBatches, validation: valBatches, steps, evalEvery: options.evalEvery || undefined,
      device: chosen.device, clipGradNorm: options.clip > 0 ? options.clip : undefined, gradientNormEvery: options.gradNormEvery || undefined,
      checkpointDir: dir, resumeFrom: options.resume, metadata, signal, callbacks: recorder, captureSteps: options.captureSteps,
      sample: options.sampleLength > 0
        ? (step) => sampleText(model, corpus.vocabulary, { prompt, length: options.sampleLength, seed: options.seed + step, device: chosen.device, temperature: SAMPLE_TEMPERATURE })
        : undefined,
    }));
    const report = await recorder.finish(result);
    const seconds = (performance.now() - started) / 1000;
    if (result.status === 'interrupted') {
      output.log(`interrupted at step ${result.step}; saved ${join(dir, 'last.safetensors')}`);
      output.log(`resume with: ${resumeCommand('fathom-lm train', argv.filter((arg) => arg !== 'train'), dir)}`);
    } else {
      const last = result.evaluations.at(-1);
      const rate = result.step > (resumed?.step ?? 0) ? `, ${Math.round(((result.step - (resumed?.step ?? 0)) * windowChars) / seconds).toLocaleString('en-US')} chars/s overall` : '';
      output.log(last
        ? `done: ${result.step} steps in ${seconds.toFixed(0)} s${rate}; validation ${last.bpc.toFixed(3)} bits/char (loss ${last.loss.toFixed(4)} nats, perplexity ${last.perplexity.toFixed(2)})`
        : `done: ${result.step} steps in ${seconds.toFixed(0)} s${rate}`);
    }
    output.log(`report: ${report}`);
    if (result.checkpoints) output.log(`sample with: fathom-lm sample --checkpoint ${result.checkpoints.best ?? result.checkpoints.last}`);
  } finally {
    await chosen.release();
  }
}
