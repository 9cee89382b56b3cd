import { DataError, type Device, type Tensor } from '@fathom/core';
import { bytesSource, type ByteSource } from '../byte-source.js';
import { PyDict, PyGlobal, PyList, PyTuple, StorageRef, TensorRef, typeName, type PickleValue } from './pickle-values.js';
import { buildTensor, checkTensorGeometry, decodeStorage } from './rebuild.js';
import { storageType } from './storage-types.js';
import { STORED_DTYPE_BYTES } from '../stored-dtype.js';
import type { Fail } from './torch-globals.js';
import { unpickle } from './unpickler.js';
import { openZip, type ZipArchive, type ZipEntry } from './zip.js';

/**
 * A value loaded from a PyTorch file: dicts and `OrderedDict`s become plain
 * objects (int keys, such as an optimizer's parameter ids, become strings),
 * lists and tuples arrays, `torch.Size` a `number[]`, tensors Fathom tensors,
 * `bytes` a `Uint8Array`, `None` `null`, `torch.device` its name (`'cuda:0'`),
 * a torch dtype its name (`'float16'`), ints beyond ±2^53 `bigint`s.
 */
export type PthValue = null | boolean | number | bigint | string | Uint8Array | Tensor | PthValue[] | { [key: string]: PthValue };

/** Options of {@link readPth} and {@link decodePth}. */
export interface ReadPthOptions {
  /** Device the tensors are created on (default: the default device). */
  readonly device?: Device;
}

// Nesting beyond this is refused: real checkpoints nest a handful of levels,
// and a bound keeps paths short and a consumer's recursion safe.
const MAX_DEPTH = 256;
// Tensors may repeat storage elements (expanded or overlapping views); this
// many times the storages' elements, plus a slack, is all a file may ask for.
const ELEMENT_BUDGET_FACTOR = 4;
const ELEMENT_BUDGET_SLACK = 2 ** 20;

// A value's place in the tree, as a linked list so deep or wide trees do not copy paths.
interface PathNode {
  readonly parent: PathNode | null;
  readonly key: string | number;
  readonly depth: number;
}

function pathOf(node: PathNode | null): string {
  const keys: (string | number)[] = [];
  for (let at = node; at !== null; at = at.parent) keys.push(at.key);
  return keys.length === 0 ? '<root>' : keys.reverse().join('.');
}

const child = (parent: PathNode | null, key: string | number): PathNode => ({ parent, key, depth: (parent?.depth ?? 0) + 1 });

interface Layout {
  readonly prefix: string;
  readonly pickle: ZipEntry;
}

// torch.save names the top folder after the file's stem (or `archive`); the pickle is <prefix>/data.pkl.
function findLayout(archive: ZipArchive, name: string): Layout {
  const pickles = [...archive.entries.values()].filter((entry) => /^[^/]+\/data\.pkl$/.test(entry.name));
  if (pickles.length === 0) throw new DataError(`${name}: no <folder>/data.pkl record: this zip archive was not written by torch.save`);
  if (pickles.length > 1) throw new DataError(`${name}: several data.pkl records (${pickles.map((entry) => `'${entry.name}'`).join(', ')})`);
  const pickle = pickles[0];
  const prefix = pickle.name.slice(0, -'/data.pkl'.length);
  const torchScript = archive.entries.has(`${prefix}/constants.pkl`) || [...archive.entries.keys()].some((key) => key.startsWith(`${prefix}/code/`));
  if (torchScript) {
    throw new DataError(`${name}: is a TorchScript archive (torch.jit.save), which is not supported; in PyTorch, torch.save(model.state_dict(), path) and load that`);
  }
  return { prefix, pickle };
}

async function readByteOrder(archive: ZipArchive, name: string, prefix: string): Promise<boolean> {
  const entry = archive.entries.get(`${prefix}/byteorder`);
  if (entry === undefined) return true;
  if (entry.size > 16) throw new DataError(`${name}: record '${entry.name}' is ${entry.size} bytes; expected 'little' or 'big'`);
  const text = new TextDecoder().decode(await archive.read(entry));
  if (text !== 'little' && text !== 'big') throw new DataError(`${name}: record '${entry.name}' says '${text}'; expected 'little' or 'big'`);
  return text === 'little';
}

async function checkSignature(source: ByteSource): Promise<void> {
  const head = await source.read(0, Math.min(source.size, 4));
  if (head[0] === 0x50 && head[1] === 0x4b) return;
  // Before 1.6, torch.save wrote a bare pickle stream (starting with PROTO 2) or, earlier still, a tar file.
  const legacy = head[0] === 0x80 || (source.size > 262 && new TextDecoder().decode(await source.read(257, 5)) === 'ustar');
  if (legacy) {
    throw new DataError(`${source.name}: the legacy (pre-1.6) torch.save format is not supported; load it in PyTorch >= 1.6 and torch.save it again`);
  }
  throw new DataError(`${source.name}: not a PyTorch file (torch.save writes a zip archive, which starts with 'PK')`);
}

// Every tensor reachable from the root, with the first path that reaches it; also bounds the nesting.
function findTensors(root: PickleValue, name: string): Map<TensorRef, string> {
  const tensors = new Map<TensorRef, string>();
  const seen = new Set<PickleValue>();
  const stack: { value: PickleValue; path: PathNode | null }[] = [{ value: root, path: null }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array || seen.has(value)) continue;
    seen.add(value);
    if ((path?.depth ?? 0) > MAX_DEPTH) throw new DataError(`${name}: values nest deeper than ${MAX_DEPTH} levels at '${pathOf(path).slice(0, 200)}…'`);
    if (value instanceof TensorRef) tensors.set(value, pathOf(path));
    else if (value instanceof PyList || value instanceof PyTuple) {
      for (let i = value.items.length - 1; i >= 0; i--) stack.push({ value: value.items[i], path: child(path, i) });
    } else if (value instanceof PyDict) {
      const entries = [...value.entries];
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], path: child(path, entries[i][0]) });
    }
  }
  return tensors;
}

// Post-order, iterative: builds plain objects with Object.fromEntries, so a '__proto__' key stays an own key.
function toPthValue(root: PickleValue, built: Map<TensorRef, Tensor>, name: string): PthValue {
  const done = new Map<PickleValue, PthValue>();
  const open = new Set<PickleValue>();
  const leaf = (value: PickleValue): PthValue | undefined => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
    if (value instanceof TensorRef) return built.get(value) as Tensor;
    if (value instanceof PyGlobal || value instanceof StorageRef) {
      throw new DataError(`${name}: a ${typeName(value)} appears as a value; only tensors built from storages are supported`);
    }
    return done.get(value);
  };
  const children = (value: PyList | PyTuple | PyDict): readonly PickleValue[] => (value instanceof PyDict ? [...value.entries.values()] : value.items);
  const frames: { value: PyList | PyTuple | PyDict; items: readonly PickleValue[]; next: number; out: PthValue[] }[] = [];
  const enter = (value: PickleValue): PthValue | undefined => {
    const known = leaf(value);
    if (known !== undefined || !(value instanceof PyList || value instanceof PyTuple || value instanceof PyDict)) return known;
    if (open.has(value)) throw new DataError(`${name}: a ${typeName(value)} contains itself; cyclic values are not supported`);
    open.add(value);
    frames.push({ value, items: children(value), next: 0, out: [] });
    return undefined;
  };
  const rootValue = enter(root);
  if (frames.length === 0) return rootValue as PthValue;
  for (;;) {
    const frame = frames[frames.length - 1];
    if (frame.next < frame.items.length) {
      const item = frame.items[frame.next++];
      const value = enter(item);
      if (value !== undefined) frame.out.push(value);
      continue;
    }
    frames.pop();
    open.delete(frame.value);
    const result: PthValue = frame.value instanceof PyDict
      ? Object.fromEntries([...frame.value.entries.keys()].map((key, i) => [key, frame.out[i]]))
      : frame.out;
    done.set(frame.value, result);
    if (frames.length === 0) return result;
    frames[frames.length - 1].out.push(result);
  }
}

/**
 * Loads what `torch.save` wrote (a `.pt`, `.pth` or `.pth.tar` file: a state
 * dict, or a checkpoint dict holding state dicts, numbers and strings)
 * without running any of it: the pickle inside goes through a restricted
 * unpickler that knows tensors, storages, `OrderedDict`, `torch.Size`,
 * `torch.device` and torch dtypes, and refuses every other global with a `DataError` naming it.
 * Storages are read one at a time, once each, straight into tensors.
 *
 * Dtypes: float32 and float64 stay; float16 and bfloat16 become float32;
 * int64, int32, int16, int8 and uint8 become int32 (an int64 value outside
 * int32 is an error, not a wrap); bool stays. Parameters load as plain tensors.
 *
 * ```ts
 * const checkpoint = (await readPth(source)) as Record<string, PthValue>;
 * const weights = checkpoint.state_dict as Record<string, Tensor>; // { 'conv1.weight': Tensor, … }
 * ```
 */
export async function readPth(source: ByteSource, options: ReadPthOptions = {}): Promise<PthValue> {
  const name = source.name;
  await checkSignature(source);
  const archive = await openZip(source);
  const { prefix, pickle } = findLayout(archive, name);
  const littleEndian = await readByteOrder(archive, name, prefix);

  const storages = new Map<string, StorageRef>();
  const root = unpickle(await archive.read(pickle), {
    where: `${name}: ${pickle.name}`,
    persistentLoad(pid: PickleValue, fail: Fail): StorageRef {
      if (!(pid instanceof PyTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
        fail(`persistent id must be ('storage', type, key, location, numel), got ${typeName(pid)}`);
      }
      const [, type, key, location, numel] = pid.items;
      if (!(type instanceof PyGlobal) || type.module !== 'torch' || storageType(type.name) === undefined) {
        fail(`persistent id names storage type ${typeName(type)}, not a torch storage class`);
      }
      if (typeof key !== 'string' || typeof location !== 'string') fail(`storage key and location must be str, got ${typeName(key)} and ${typeName(location)}`);
      if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) fail(`storage '${key}' has element count ${String(numel)}`);
      const kind = storageType(type.name)!;
      const known = storages.get(key);
      if (known !== undefined) {
        if (known.type !== kind || known.numel !== numel) fail(`storage '${key}' is named twice with different types or sizes`);
        return known;
      }
      const entry = archive.entries.get(`${prefix}/data/${key}`);
      if (entry === undefined) fail(`storage '${key}' has no record '${prefix}/data/${key}'`);
      if (entry.size !== numel * STORED_DTYPE_BYTES[kind.stored]) {
        fail(`storage '${key}' holds ${numel} ${kind.torchDType} elements (${numel * STORED_DTYPE_BYTES[kind.stored]} bytes) but its record has ${entry.size} bytes`);
      }
      const storage = new StorageRef(key, kind, numel, location);
      storages.set(key, storage);
      return storage;
    },
  });

  const tensors = findTensors(root, name);
  const byStorage = new Map<StorageRef, TensorRef[]>();
  let elements = 0;
  let budget = ELEMENT_BUDGET_SLACK;
  for (const [ref, path] of tensors) {
    elements += checkTensorGeometry(ref, `${name}: tensor '${path}'`);
    const group = byStorage.get(ref.storage);
    if (group === undefined) {
      byStorage.set(ref.storage, [ref]);
      budget += ELEMENT_BUDGET_FACTOR * ref.storage.numel;
    } else group.push(ref);
  }
  if (elements > budget) {
    throw new DataError(`${name}: its tensors would hold ${elements} elements, more than ${ELEMENT_BUDGET_FACTOR}× their storages' elements justify`);
  }

  const built = new Map<TensorRef, Tensor>();
  try {
    for (const [storage, refs] of byStorage) {
      const entry = archive.entries.get(`${prefix}/data/${storage.key}`)!;
      const values = decodeStorage(await archive.read(entry), storage.type, storage.numel, littleEndian);
      for (const ref of refs) built.set(ref, buildTensor(values, ref, `${name}: tensor '${tensors.get(ref)}'`, options.device));
    }
    return toPthValue(root, built, name);
  } catch (error) {
    for (const tensor of built.values()) tensor.dispose();
    throw error;
  }
}

/**
 * {@link readPth} over bytes already in memory (a fetched file in a browser,
 * a test's buffer); `name` is what error messages call it.
 *
 * ```ts
 * const stateDict = await decodePth(new Uint8Array(await (await fetch('/resnet18.pth')).arrayBuffer()), { name: 'resnet18.pth' });
 * ```
 */
export function decodePth(bytes: Uint8Array, options: ReadPthOptions & { readonly name?: string } = {}): Promise<PthValue> {
  return readPth(bytesSource(bytes, options.name), options);
}
