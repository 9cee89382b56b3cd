import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isFathomError, manualSeed, profileAsync, type ProfileResult } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { DataLoader } from '@fathom/datasets';
import { DistributedDataParallel, DistributedSampler, init, type ProcessGroup } from '@fathom/distributed';
import { loadWeights } from '@fathom/io/node';
import { evaluate, fit, loadCheckpoint, readCheckpointInfo, TrainingRecorder, type DataParallel, type FitResult } from '@fathom/train';
import { ARCHITECTURE_SPECS, lossFor, type Architecture } from './architectures.js';
import { loadData, type DatasetName, type RunData } from './data.js';
import { chooseDevice, makeOptimization, resumeCommand, runFolder, untilInterrupted, UsageError, type CliOutput, type DeviceChoice, type OptimizationOptions } from '@fathom/train/cli';
import { projectOnPrincipalComponents } from './pca-features.js';

/** The flags of `fathom-train train` (commander's camelCase names). */
export interface TrainOptions extends OptimizationOptions {
  readonly arch: Architecture;
  readonly dataset: DatasetName;
  readonly data?: string;
  readonly pretrained?: string;
  readonly pca?: number;
  readonly epochs: number;
  readonly warmupEpochs: number;
  readonly batchSize: number;
  readonly labelSmoothing: number;
  readonly dropout?: number;
  readonly augment: boolean;
  readonly imageSize?: number;
  readonly workers: number;
  readonly limit?: number;
  readonly seed: number;
  readonly device: DeviceChoice;
  readonly out?: string;
  readonly resume?: string;
  readonly evaluate: boolean;
  readonly gradNormEvery: number;
  readonly distributed: boolean;
  /** Profile the training: an op table in profile.txt and a Chrome trace in trace.json. */
  readonly profile: boolean;
  /** Replay each step's forward and backward pass once captured. */
  readonly captureSteps: boolean;
}

// What ranks other than 0 print: nothing but errors (rank 0 speaks for the job).
function quiet(output: CliOutput): CliOutput {
  return { log: () => undefined, error: (line) => output.error(line), stream: output.stream };
}

// The job's group under `mpirun … fathom-train --distributed`; the global batch split evenly over the ranks.
async function joinJob(options: TrainOptions): Promise<ProcessGroup | undefined> {
  if (!options.distributed) return undefined;
  const group = await init();
  if (options.batchSize % group.worldSize !== 0) {
    throw new UsageError(`--batch-size ${options.batchSize} is the global batch and must divide evenly among the ${group.worldSize} ranks`);
  }
  return group;
}

// Mistakes shown in the report's grid.
const MISTAKES_SHOWN = 24;

function imageSize(options: TrainOptions, dataset: DatasetName): number {
  const spec = ARCHITECTURE_SPECS[options.arch];
  const size = options.imageSize ?? (dataset === 'digits' ? spec.digitSize : dataset === 'cifar10' ? Math.max(32, spec.digitSize) : options.arch === 'lenet5' ? 28 : 224);
  if (size < spec.minSize) throw new UsageError(`--image-size ${size}: ${options.arch} needs images of at least ${spec.minSize}×${spec.minSize}`);
  if (options.arch === 'lenet5' && size !== 28) throw new UsageError(`--image-size ${size}: lenet5 takes 28×28 images`);
  return size;
}

function checkCombinations(options: TrainOptions): void {
  if (options.evaluate && !options.pretrained && !options.resume) throw new UsageError('--evaluate needs weights to evaluate: --pretrained FILE or --resume CHECKPOINT');
  if (options.pretrained && options.resume) throw new UsageError('--pretrained and --resume both give weights; use one');
  if (options.pca !== undefined && !['softmax', 'logistic', 'mlp'].includes(options.arch)) {
    throw new UsageError(`--pca trains a classifier on principal components: use --arch softmax (or logistic, mlp), not ${options.arch}`);
  }
  if (options.pca !== undefined && options.dataset !== 'digits') throw new UsageError('--pca works on the embedded digits (--dataset digits)');
}

async function checkResumable(path: string, options: TrainOptions): Promise<void> {
  let saved: unknown;
  try {
    saved = (await readCheckpointInfo(path)).metadata;
  } catch (error) {
    throw new UsageError(`--resume ${path}: ${isFathomError(error) ? error.message : (error as Error).message}`);
  }
  const arch = (saved as { arch?: string } | undefined)?.arch;
  if (arch !== options.arch) throw new UsageError(`--resume ${path}: the checkpoint is of --arch ${arch ?? '(unknown)'}, not ${options.arch}; pass --arch ${arch ?? '…'}`);
}

/**
 * `fathom-train train`: builds the data, model, optimizer and schedule from
 * the flags, trains with `fit` from `@fathom/train` (progress, logs,
 * plots, checkpoints, report in the run folder), and prints where
 * everything went. SIGINT finishes the step, saves `last` and prints the
 * command that resumes.
 */
export async function train(options: TrainOptions, given: CliOutput, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const dataset: DatasetName = options.data && options.dataset === 'digits' ? 'imagefolder' : options.dataset;
  const settings = { ...options, dataset };
  checkCombinations(settings);
  if (options.resume) await checkResumable(options.resume, settings);
  // A failure below leaves without destroy(): mpirun then ends every rank, naming this one,
  // where a destroy() here would wait for ranks still inside a collective.
  const group = await joinJob(options);
  const isMain = (group?.rank ?? 0) === 0;
  const output = isMain ? given : quiet(given);
  await trainRank(options, settings, output, argv, group, isMain);
  await group?.destroy();
}

async function trainRank(
  options: TrainOptions, settings: TrainOptions & { dataset: DatasetName }, output: CliOutput, argv: readonly string[], group: ProcessGroup | undefined, isMain: boolean,
): Promise<void> {
  const { dataset } = settings;
  const size = imageSize(settings, dataset);
  useAutograd();
  manualSeed(options.seed);
  const chosen = await chooseDevice(options.device);
  let data: RunData | undefined;
  try {
    output.log(`device: ${chosen.reason}`);
    const spec = ARCHITECTURE_SPECS[options.arch];
    data = await loadData({
      dataset, data: options.data, channels: spec.channels, size, augment: options.augment && options.pca === undefined,
      workers: options.workers, seed: options.seed, limit: options.limit,
    });
    if (options.pca !== undefined) {
      const projected = await projectOnPrincipalComponents(data, options.pca);
      data = projected.data;
    }
    output.log(`data: ${data.description}`);
    if (group) output.log(`distributed: ${group.worldSize} ranks over ${group.transport}, ${options.batchSize / group.worldSize} images a rank per step`);
    const model = spec.build({ channels: data.channels, size: data.size, features: options.pca, numClasses: data.classes.length, dropout: options.dropout });
    if (options.pretrained) {
      try {
        // A run's own checkpoint (last/best.safetensors) holds the model under 'model.'.
        const isCheckpoint = await readCheckpointInfo(options.pretrained).then(() => true, () => false);
        await loadWeights(model, options.pretrained, isCheckpoint ? { prefix: 'model.' } : {});
      } catch (error) {
        throw new UsageError(`--pretrained ${options.pretrained}: ${(error as Error).message}`);
      }
      output.log(`weights: ${options.pretrained}`);
    }
    model.to(chosen.device);
    // Distributed: each rank trains on its shard (reshuffled each epoch by the loader through setEpoch) and
    // evaluates its share of the validation set, every image once over the ranks.
    const ddp = group ? await DistributedDataParallel.create(model, group) : undefined;
    const valShard = group ? new DistributedSampler(data.val, { group, shuffle: false, pad: false }) : undefined;
    const trainLoader = group
      ? new DataLoader(new DistributedSampler(data.train, { group, seed: options.seed }), { batchSize: options.batchSize / group.worldSize })
      : new DataLoader(data.train, { batchSize: options.batchSize, shuffle: true, seed: options.seed });
    const valLoader = new DataLoader(valShard ?? data.val, { batchSize: Math.max(options.batchSize, 256) });
    const dataParallel: DataParallel | undefined = group && ddp && {
      rank: group.rank, worldSize: group.worldSize, synchronizeGradients: () => ddp.synchronizeGradients(), sum: (values) => group.allReduceArray(values),
    };
    const loss = lossFor(options.arch, options.labelSmoothing);
    const topk = [1, Math.min(5, data.classes.length)];
    const confusionClasses = data.classes.length <= 20 ? data.classes.length : undefined;

    if (options.evaluate) {
      if (options.resume) await loadCheckpoint(options.resume, { model });
      const result = await evaluate(model, valLoader, { device: chosen.device, loss, topk, confusionClasses, dataParallel });
      output.log(`evaluate: loss ${result.loss.toFixed(4)}  top-1 ${(100 * result.accuracy.acc1).toFixed(2)}%  top-${topk[1]} ${(100 * result.accuracy[`acc${topk[1]}`]).toFixed(2)}%  (${result.samples} images)`);
      return;
    }

    const perEpoch = trainLoader.length;
    const { optimizer, scheduler } = makeOptimization(model.parameters(), options, {
      total: options.epochs * perEpoch, warmup: Math.round(options.warmupEpochs * perEpoch), stepSize: Math.max(1, Math.round(options.epochs / 3)) * perEpoch,
    });
    const config = { ...settings, imageSize: size, device: chosen.device, classes: data.classes.length, ...(group ? { worldSize: group.worldSize } : {}) };
    // Rank 0 alone owns the run folder: config, logs, plots, checkpoints and the report.
    const dir = isMain ? resolve(runFolder(options.out, options.arch)) : undefined;
    if (dir) {
      writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      output.log(`run folder: ${dir}`);
    }
    const resumeStep = options.resume ? (await readCheckpointInfo(options.resume)).step : undefined;
    const recorder = dir ? await TrainingRecorder.open({
      dir, title: `${options.arch} on ${dataset}${group ? `, ${group.worldSize} ranks` : ''}`, config, classes: data.classes, stream: output.stream, resumeStep,
    }) : undefined;
    const runFit = (signal: AbortSignal): Promise<FitResult> => fit({
      model, optimizer, scheduler, schedulerInterval: 'step', trainLoader, valLoader, epochs: options.epochs,
      device: chosen.device, loss, topk, gradientNormEvery: options.gradNormEvery || undefined,
      checkpointDir: dir, resumeFrom: options.resume, metadata: { arch: options.arch, config },
      signal, confusionClasses, keepMisclassified: MISTAKES_SHOWN, callbacks: recorder, dataParallel, captureSteps: options.captureSteps,
    });
    let profiled: ProfileResult<FitResult> | undefined;
    const result = await untilInterrupted((line) => (recorder ? recorder.say(line) : output.log(line)), options.profile
      ? async (signal) => (profiled = await profileAsync(() => runFit(signal))).value
      : runFit);
    if (!recorder || !dir) return;
    if (profiled) writeProfile(profiled, dir, output);
    const runData = data;
    const misclassified = await Promise.all((result.evaluation?.misclassified ?? []).map(async (m) => ({
      // Distributed: a position in rank 0's validation shard.
      image: await runData.image(valShard ? valShard.indices()[m.index] : m.index), label: runData.classes[m.label], predicted: runData.classes[m.predicted], confidence: m.confidence,
    })));
    const report = await recorder.finish(result, { misclassified });
    if (result.status === 'interrupted') {
      output.log(`interrupted at epoch ${result.epoch + 1}, step ${result.step}; saved ${join(dir, 'last.safetensors')}`);
      output.log(`resume with: ${resumeCommand('fathom-train', argv, dir)}`);
    } else {
      const last = result.history.at(-1);
      if (last?.val) {
        output.log(`done: val top-1 ${(100 * last.val.accuracy.acc1).toFixed(2)}%, top-${topk[1]} ${(100 * last.val.accuracy[`acc${topk[1]}`]).toFixed(2)}%, loss ${last.val.loss.toFixed(4)}`);
      }
    }
    output.log(`report: ${report}`);
  } finally {
    await data?.close();
    await chosen.release();
  }
}

/** `--profile`: the op table (printed, top rows, and in full in profile.txt) and a Chrome trace of the training. */
function writeProfile(profiled: ProfileResult<FitResult>, dir: string, output: CliOutput): void {
  writeFileSync(join(dir, 'profile.txt'), `${profiled.table({ sortBy: 'total' })}\n`);
  writeFileSync(join(dir, 'trace.json'), profiled.chromeTrace());
  output.log(profiled.table({ sortBy: 'total', top: 12 }));
  output.log(`profile: ${join(dir, 'profile.txt')}; trace: ${join(dir, 'trace.json')} (open in https://ui.perfetto.dev or chrome://tracing)`);
}
