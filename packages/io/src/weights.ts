import { cast, formatShape, ShapeError, ValueError, type Shape, type Tensor } from '@fathom/core';
import type { ByteSource } from './byte-source.js';
import { readPth, type PthValue } from './pth/read-pth.js';
import { readSafetensorsHeader } from './safetensors/header.js';
import { encodeSafetensors, type WriteSafetensorsOptions } from './safetensors/write.js';
import { tensorFromBytes } from './stored-dtype.js';

/**
 * What weights load into and save from: a `Module` of `@fathom/layers`, or
 * anything with PyTorch's two state-dict calls (so this package needs only core).
 */
export interface StateDictModule {
  /** The module's own tensors by PyTorch's dotted keys. */
  stateDict(): Record<string, Tensor>;
  /** Copies values in place into the module's tensors. */
  loadStateDict(state: Readonly<Record<string, Tensor>>, options?: { strict?: boolean }): unknown;
}

/** The file formats weights load from: safetensors, or PyTorch's `torch.save` zip. */
export type WeightsFormat = 'safetensors' | 'pth';

/**
 * The format a path's extension names: `.safetensors`, or `.pt`, `.pth`,
 * `.pth.tar`, `.tar`, `.bin`, `.ckpt` for `torch.save`'s format.
 */
export function weightsFormatOf(path: string): WeightsFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (['.pt', '.pth', '.tar', '.bin', '.ckpt'].some((ext) => lower.endsWith(ext))) return 'pth';
  throw new ValueError(`weights: cannot tell the format of '${path}' from its extension; use .safetensors, .pt or .pth, or pass { format }`);
}

/** How {@link loadWeightsFrom} matches a file to a module. */
export interface LoadWeightsOptions {
  /** Fail on missing or unexpected keys (default true). Shape mismatches fail either way, as in PyTorch. */
  readonly strict?: boolean;
  /** The file's format (default: from the source's name). */
  readonly format?: WeightsFormat;
  /**
   * Read only the file's keys that start with this and strip it: `'model.'`
   * for a Fathom training checkpoint, `'module.'` for weights saved from
   * PyTorch's `DataParallel`. Default: every key as it is.
   */
  readonly prefix?: string;
}

/** The keys a non-strict {@link loadWeightsFrom} left alone. */
export interface LoadWeightsResult {
  /** Keys of the module that the file does not hold. */
  readonly missingKeys: string[];
  /** Keys of the file that the module does not have. */
  readonly unexpectedKeys: string[];
}

interface FileTensor {
  readonly shape: Shape;
  /** A new tensor on `target`'s device and dtype, for the caller to dispose. */
  load(target: Tensor): Promise<Tensor>;
}

interface FileTensors {
  readonly tensors: Map<string, FileTensor>;
  /** Releases what reading the file kept in memory. */
  release(): void;
}

/**
 * Loads a safetensors or `torch.save` file into a module's parameters and
 * buffers in place. Everything that does not fit is reported at once: every
 * missing key, unexpected key and shape mismatch, with shapes. A `.pth`
 * holding a whole training checkpoint (`{ epoch, state_dict, … }`, as
 * PyTorch's `examples/imagenet` writes) loads from its `state_dict` (or
 * `model`) entry. int64 buffers such as `num_batches_tracked` load as int32.
 *
 * ```ts
 * const model = resnet18();
 * await loadWeightsFrom(model, bytesSource(bytes, 'resnet18-f37072fd.pth'));
 * ```
 */
export async function loadWeightsFrom(module: StateDictModule, source: ByteSource, options: LoadWeightsOptions = {}): Promise<LoadWeightsResult> {
  const format = options.format ?? weightsFormatOf(source.name);
  const opened = format === 'safetensors' ? await safetensorsTensors(source) : pthTensors(source.name, await readPth(source, { device: 'cpu' }));
  try {
    return await loadMatching(module, source.name, withPrefix(opened.tensors, options.prefix), options.strict ?? true);
  } finally {
    opened.release();
  }
}

async function loadMatching(module: StateDictModule, name: string, file: Map<string, FileTensor>, strict: boolean): Promise<LoadWeightsResult> {
  const own = module.stateDict();
  const missingKeys = Object.keys(own).filter((key) => !file.has(key));
  const unexpectedKeys = [...file.keys()].filter((key) => !Object.hasOwn(own, key));
  const mismatches = Object.keys(own).filter((key) => file.has(key) && !sameShape(file.get(key)!.shape, own[key].shape));
  if (mismatches.length > 0 || (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0))) {
    const parts: string[] = [];
    if (strict && missingKeys.length > 0) parts.push(`${count(missingKeys.length, 'missing key')} (${missingKeys.map((k) => `${k} ${formatShape(own[k].shape)}`).join(', ')})`);
    if (strict && unexpectedKeys.length > 0) parts.push(`${count(unexpectedKeys.length, 'unexpected key')} (${unexpectedKeys.map((k) => `${k} ${formatShape(file.get(k)!.shape)}`).join(', ')})`);
    if (mismatches.length > 0) parts.push(`${count(mismatches.length, 'shape mismatch', 'shape mismatches')} (${mismatches.map((k) => `${k}: file ${formatShape(file.get(k)!.shape)}, model ${formatShape(own[k].shape)}`).join(', ')})`);
    const message = `loadWeights: ${name} does not fit the model: ${parts.join('; ')}`;
    throw parts.length === 1 && mismatches.length > 0 ? new ShapeError(message) : new ValueError(message);
  }
  await copyInto(module, own, file);
  return { missingKeys, unexpectedKeys };
}

// One tensor at a time, so peak memory is the model plus its largest tensor.
async function copyInto(module: StateDictModule, own: Record<string, Tensor>, file: Map<string, FileTensor>): Promise<void> {
  for (const [key, target] of Object.entries(own)) {
    const entry = file.get(key);
    if (!entry) continue;
    const loaded = await entry.load(target);
    module.loadStateDict({ [key]: loaded }, { strict: false });
    loaded.dispose();
  }
}

function withPrefix(tensors: Map<string, FileTensor>, prefix: string | undefined): Map<string, FileTensor> {
  if (!prefix) return tensors;
  return new Map([...tensors].filter(([key]) => key.startsWith(prefix)).map(([key, tensor]) => [key.slice(prefix.length), tensor]));
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

async function safetensorsTensors(source: ByteSource): Promise<FileTensors> {
  const header = await readSafetensorsHeader(source);
  const tensors = new Map(header.entries.map((entry): [string, FileTensor] => [entry.name, {
    shape: entry.shape,
    load: async (target) => {
      const bytes = await source.read(entry.begin, entry.end - entry.begin);
      const read = tensorFromBytes(bytes, entry.dtype, entry.shape, target.device, `${source.name}: tensor '${entry.name}'`);
      const typed = cast(read, target.dtype);
      if (typed !== read) read.dispose();
      return typed;
    },
  }]));
  return { tensors, release: () => {} };
}

function pthTensors(name: string, value: PthValue): FileTensors {
  const dict = stateDictIn(name, value);
  const tensors = new Map(Object.entries(dict).map(([key, tensor]): [string, FileTensor] => [key, { shape: tensor.shape, load: async (target) => copyFor(tensor, target) }]));
  return { tensors, release: () => Object.values(dict).forEach((tensor) => tensor.dispose()) };
}

/** A new tensor holding `tensor`'s values in `target`'s dtype and device; `tensor` itself is kept. */
function copyFor(tensor: Tensor, target: Tensor): Tensor {
  const typed = tensor.dtype === target.dtype ? tensor.clone() : cast(tensor, target.dtype);
  if (typed.device === target.device) return typed;
  const moved = typed.to(target.device);
  typed.dispose();
  return moved;
}

function isTensorDict(value: PthValue): value is Record<string, Tensor> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && Object.values(value).every((v) => typeof v === 'object' && v !== null && 'shape' in v && 'dtype' in v);
}

function stateDictIn(name: string, value: PthValue): Record<string, Tensor> {
  if (isTensorDict(value)) return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)) {
    for (const key of ['state_dict', 'model']) {
      const inner = (value as Record<string, PthValue>)[key];
      if (inner !== undefined && isTensorDict(inner)) return inner;
    }
  }
  throw new ValueError(`loadWeights: ${name} holds no state dict (a dict of tensors, or one under 'state_dict' or 'model')`);
}

/**
 * A module's weights as safetensors bytes: what `saveWeights` writes, for
 * browsers and other places without files.
 *
 * ```ts
 * const bytes = await encodeWeights(model, { metadata: { arch: 'lenet5' } });
 * ```
 */
export function encodeWeights(module: StateDictModule, options: WriteSafetensorsOptions = {}): Promise<Uint8Array> {
  return encodeSafetensors(module.stateDict(), options);
}
