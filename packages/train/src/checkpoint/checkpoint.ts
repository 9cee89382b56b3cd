import { DataError, defaultGenerator, isTensorLike, type Generator, type GeneratorState, type Tensor } from '@fathom/core';
import { readSafetensorsHeader, readSafetensors, type StateDictModule } from '@fathom/io';
import { removeStaleTempFiles, saveSafetensors, withFileSource } from '@fathom/io/node';
import type { OptimizerStateDict } from '@fathom/optim';
import { parseState, stringifyState } from './json-value.js';

/** Anything whose state is plain JSON: an LR scheduler, a `DataLoader`'s position. */
export interface JsonStateful<S = unknown> {
  /** The state to save. */
  stateDict(): S;
  /** Restores a saved state. */
  loadStateDict(state: S): void;
}

/** An optimizer, as a checkpoint sees it: PyTorch's state dict with tensors. */
export interface OptimizerLike {
  /** The state to save, tensors included. */
  stateDict(): OptimizerStateDict;
  /** Restores a saved state (tensors are copied onto the parameters' device). */
  loadStateDict(state: OptimizerStateDict): void;
}

/**
 * Tensors a run carries from step to step besides the model's: a language
 * model's hidden state, handed from one window of text to the next.
 */
export interface TensorStateful {
  /** The tensors to save, by name. */
  stateTensors(): Readonly<Record<string, Tensor>>;
  /** Restores saved tensors; they are on the CPU and released after the call, so copy what you keep. */
  loadStateTensors(tensors: Readonly<Record<string, Tensor>>): void;
}

/** The live objects a training checkpoint saves from and restores into. */
export interface TrainingObjects {
  /** The model's parameters and buffers. */
  readonly model: StateDictModule;
  /** The optimizer's per-parameter state and hyper-parameters. */
  readonly optimizer?: OptimizerLike;
  /** The LR scheduler. */
  readonly scheduler?: JsonStateful;
  /** The data loader's seed, epoch and position within it. */
  readonly loader?: JsonStateful;
  /** The random generator dropout and augmentation draw from (default: the one `manualSeed` seeds). */
  readonly generator?: Generator;
  /** Tensors carried between steps (saved under `carried.<name>`). */
  readonly carried?: TensorStateful;
}

/** Where a run stands, and what it wants to keep beside its tensors. */
export interface CheckpointProgress {
  /** Epochs finished. */
  readonly epoch: number;
  /** Optimizer steps taken. */
  readonly step: number;
  /** Metrics so far (history, best accuracy…), any JSON. */
  readonly metrics?: unknown;
  /** Free-form data: the run's config, a vocabulary… any JSON. */
  readonly metadata?: unknown;
}

/** What {@link readCheckpointInfo} finds in a checkpoint without reading its tensors. */
export interface CheckpointInfo extends CheckpointProgress {
  /** The checkpoint format's version. */
  readonly version: number;
  /** When it was saved (ISO 8601). */
  readonly savedAt: string;
}

const KEY = 'fathom.checkpoint';
const VERSION = 1;
const MODEL = 'model.';
const OPTIMIZER = 'optimizer.';
const CARRIED = 'carried.';
const TENSOR_REF = '$tensor';

interface Saved extends CheckpointInfo {
  readonly optimizer?: OptimizerStateDict<{ [TENSOR_REF]: string }>;
  readonly scheduler?: unknown;
  readonly loader?: unknown;
  readonly generator: GeneratorState;
}

/**
 * Saves everything a resumed run needs in one safetensors file, written
 * atomically (temp file, fsync, rename, fsync of the folder), so a process
 * killed mid-save leaves the previous checkpoint whole. Model tensors are
 * stored under `model.<key>` (PyTorch's keys), so the file also opens as
 * plain weights; optimizer tensors under `optimizer.<param>.<name>`, carried
 * tensors (a hidden state) under `carried.<name>`; the
 * rest is JSON in the safetensors metadata.
 *
 * ```ts
 * await saveCheckpoint('runs/lenet/last.safetensors', { model, optimizer, scheduler, loader }, { epoch, step, metrics });
 * ```
 */
export async function saveCheckpoint(path: string, objects: TrainingObjects, progress: CheckpointProgress): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  for (const [key, tensor] of Object.entries(objects.model.stateDict())) tensors[MODEL + key] = tensor;
  for (const [name, tensor] of Object.entries(objects.carried?.stateTensors() ?? {})) tensors[CARRIED + name] = tensor;
  const owned: Tensor[] = [];
  let optimizer: Saved['optimizer'];
  if (objects.optimizer) {
    const dict = objects.optimizer.stateDict();
    const state: Record<number, Record<string, number | { [TENSOR_REF]: string }>> = {};
    for (const [id, entry] of Object.entries(dict.state)) {
      state[Number(id)] = Object.fromEntries(Object.entries(entry).map(([name, value]) => {
        if (!isTensorLike(value)) return [name, value];
        const key = `${OPTIMIZER}${id}.${name}`;
        tensors[key] = value;
        owned.push(value);
        return [name, { [TENSOR_REF]: key }];
      }));
    }
    optimizer = { state, param_groups: dict.param_groups };
  }
  const saved: Saved = {
    version: VERSION,
    savedAt: new Date().toISOString(),
    epoch: progress.epoch,
    step: progress.step,
    metrics: progress.metrics,
    metadata: progress.metadata,
    optimizer,
    scheduler: objects.scheduler?.stateDict(),
    loader: objects.loader?.stateDict(),
    generator: (objects.generator ?? defaultGenerator).getState(),
  };
  try {
    await saveSafetensors(path, tensors, { metadata: { [KEY]: stringifyState(saved) } });
  } finally {
    // The optimizer's stateDict() hands out copies; they are ours to release.
    for (const tensor of owned) tensor.dispose();
  }
}

function savedState(path: string, metadata: Readonly<Record<string, string>>): Saved {
  const text = metadata[KEY];
  if (text === undefined) throw new DataError(`${path}: not a Fathom training checkpoint (no '${KEY}' metadata); load plain weights with loadWeights`);
  let saved: Saved;
  try {
    saved = parseState(text) as Saved;
  } catch (error) {
    throw new DataError(`${path}: the checkpoint's '${KEY}' metadata is not valid JSON (${(error as Error).message})`);
  }
  if (typeof saved !== 'object' || saved === null || saved.version !== VERSION || !Number.isInteger(saved.epoch) || !Number.isInteger(saved.step)) {
    throw new DataError(`${path}: the checkpoint's '${KEY}' metadata is not a version-${VERSION} checkpoint with an integer epoch and step`);
  }
  return saved;
}

function info(saved: Saved): CheckpointInfo {
  return { version: saved.version, savedAt: saved.savedAt, epoch: saved.epoch, step: saved.step, metrics: saved.metrics, metadata: saved.metadata };
}

/**
 * Reads a checkpoint's epoch, step, metrics and metadata without its
 * tensors: enough to rebuild the model it was saved from (its config, a
 * vocabulary) before {@link loadCheckpoint}.
 *
 * ```ts
 * const { metadata } = await readCheckpointInfo('runs/lm/best.safetensors');
 * ```
 */
export async function readCheckpointInfo(path: string): Promise<CheckpointInfo> {
  return withFileSource(path, async (source) => info(savedState(path, (await readSafetensorsHeader(source)).metadata)));
}

/**
 * Restores a checkpoint written by {@link saveCheckpoint} into live objects:
 * the model's tensors (strictly: every key must fit), the optimizer,
 * scheduler, loader position and generator state, as far as `objects` names
 * them. Returns the saved progress. Temp files of a save that was killed are
 * removed.
 *
 * ```ts
 * const { epoch, step } = await loadCheckpoint('runs/lenet/last.safetensors', { model, optimizer, scheduler, loader });
 * ```
 */
export async function loadCheckpoint(path: string, objects: TrainingObjects): Promise<CheckpointInfo> {
  await removeStaleTempFiles(path);
  const { tensors, metadata } = await withFileSource(path, (source) => readSafetensors(source, { device: 'cpu' }));
  try {
    const saved = savedState(path, metadata);
    const model: Record<string, Tensor> = {};
    for (const [key, tensor] of Object.entries(tensors)) if (key.startsWith(MODEL)) model[key.slice(MODEL.length)] = tensor;
    objects.model.loadStateDict(model, { strict: true });
    if (objects.optimizer) {
      if (!saved.optimizer) throw new DataError(`${path}: the checkpoint holds no optimizer state`);
      objects.optimizer.loadStateDict(withTensors(path, saved.optimizer, tensors));
    }
    if (objects.carried) {
      const carried: Record<string, Tensor> = {};
      for (const [key, tensor] of Object.entries(tensors)) if (key.startsWith(CARRIED)) carried[key.slice(CARRIED.length)] = tensor;
      objects.carried.loadStateTensors(carried);
    }
    if (objects.scheduler) objects.scheduler.loadStateDict(required(path, 'scheduler', saved.scheduler));
    if (objects.loader) objects.loader.loadStateDict(required(path, 'loader', saved.loader));
    (objects.generator ?? defaultGenerator).setState(saved.generator);
    return info(saved);
  } finally {
    for (const tensor of Object.values(tensors)) tensor.dispose();
  }
}

function required(path: string, what: string, value: unknown): unknown {
  if (value === undefined || value === null) throw new DataError(`${path}: the checkpoint holds no ${what} state`);
  return value;
}

function withTensors(path: string, saved: NonNullable<Saved['optimizer']>, tensors: Record<string, Tensor>): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  for (const [id, entry] of Object.entries(saved.state ?? {})) {
    state[Number(id)] = Object.fromEntries(Object.entries(entry).map(([name, value]) => {
      if (typeof value === 'number') return [name, value];
      const key = typeof value === 'object' && value !== null ? value[TENSOR_REF] : undefined;
      const tensor = typeof key === 'string' && Object.hasOwn(tensors, key) ? tensors[key] : undefined;
      if (!tensor) throw new DataError(`${path}: optimizer state '${id}.${name}' refers to a tensor the file does not hold`);
      return [name, tensor];
    }));
  }
  return { state, param_groups: saved.param_groups };
}
