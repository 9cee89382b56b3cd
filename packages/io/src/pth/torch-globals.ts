import { PyDict, PyGlobal, PyTuple, StorageRef, TensorRef, typeName, type PickleValue } from './pickle-values.js';
import { storageType, unsupportedStorageDType } from './storage-types.js';

/**
 * The globals a checkpoint may name. Each is interpreted by a handler below,
 * written for this reader: nothing is ever looked up or run by name, so a
 * name off this list (`os.system`, `builtins.eval`, `subprocess.Popen`) can
 * only produce an error.
 */
const CALLABLE = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
  'torch.device',
  // Protocol 2 has no bytes opcode: Python pickles bytes as _codecs.encode(text, 'latin1').
  '_codecs.encode',
]);

// torch dtypes (a checkpoint may record one, e.g. an AMP dtype); they load as their canonical names.
const DTYPES = new Map([
  ...['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'complex64', 'complex128'].map((n) => [n, n] as const),
  ['float', 'float32'], ['double', 'float64'], ['half', 'float16'], ['long', 'int64'], ['int', 'int32'], ['short', 'int16'],
  ['cfloat', 'complex64'], ['cdouble', 'complex128'],
]);

/**
 * What a `GLOBAL` refers to: an allowed callable or storage class, a torch
 * dtype (as its name), or the reason it is refused (the caller adds the file
 * and byte position).
 */
export type ResolvedGlobal = { readonly allowed: true; readonly value: PyGlobal | string } | { readonly allowed: false; readonly refusal: string };

/** Checks `module.name` against the allow-list. */
export function resolveGlobal(module: string, name: string): ResolvedGlobal {
  const qualified = `${module}.${name}`;
  if (CALLABLE.has(qualified) || (module === 'torch' && storageType(name))) return { allowed: true, value: new PyGlobal(module, name) };
  const dtype = module === 'torch' ? DTYPES.get(name) : undefined;
  if (dtype !== undefined) return { allowed: true, value: dtype };
  return { allowed: false, refusal: refusal(module, name) };
}

function refusal(module: string, name: string): string {
  const qualified = `${module}.${name}`;
  const dtype = module === 'torch' ? unsupportedStorageDType(name) : undefined;
  if (dtype !== undefined) return `${dtype} tensors (torch.${name}) are not supported: Fathom loads float32, float64, float16, bfloat16, integer and bool tensors`;
  if (qualified === 'torch._utils._rebuild_qtensor') return `quantized tensors (${qualified}) are not supported`;
  if (qualified === 'torch._utils._rebuild_sparse_tensor' || qualified === 'torch._utils._rebuild_sparse_csr_tensor') {
    return `sparse tensors (${qualified}) are not supported`;
  }
  return `global '${qualified}' is not allowed: a checkpoint may only name tensors, storages, OrderedDict, torch.Size, torch.device and torch dtypes (this file may try to run code)`;
}

/** Where a handler's complaint goes: throws a `DataError` naming the file, pickle position and `what`. */
export type Fail = (message: string) => never;

function integer(value: PickleValue, what: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(`${what} must be an int, got ${typeName(value)} ${String(value)}`);
  return value;
}

function integers(value: PickleValue, what: string, fail: Fail): number[] {
  if (!(value instanceof PyTuple)) fail(`${what} must be a tuple of ints, got ${typeName(value)}`);
  return value.items.map((item, i) => integer(item, `${what}[${i}]`, fail));
}

function tensorArgument(value: PickleValue, what: string, fail: Fail): TensorRef {
  if (!(value instanceof TensorRef)) fail(`${what} must be a tensor, got ${typeName(value)}`);
  return value;
}

function rebuildTensor(fn: string, args: readonly PickleValue[], fail: Fail): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) fail(`${fn}: storage must be a storage (a persistent id), got ${typeName(storage)}`);
  const sizes = integers(size, `${fn}: size`, fail);
  const strides = integers(stride, `${fn}: stride`, fail);
  if (sizes.length !== strides.length) fail(`${fn}: ${sizes.length} sizes but ${strides.length} strides`);
  return new TensorRef(storage, integer(offset, `${fn}: storage offset`, fail), sizes, strides);
}

/**
 * What calling an allowed global with `args` gives (`REDUCE`, `NEWOBJ`):
 * an empty dict, a tensor reference, a size tuple, a device name, bytes.
 */
export function callGlobal(fn: PyGlobal, args: PickleValue, fail: Fail): PickleValue {
  const name = fn.qualifiedName;
  if (!(args instanceof PyTuple)) fail(`${name}: arguments must be a tuple, got ${typeName(args)}`);
  const items = args.items;
  const arity = (...counts: number[]): void => {
    if (!counts.includes(items.length)) fail(`${name}: expected ${counts.join(' or ')} arguments, got ${items.length}`);
  };
  switch (name) {
    case 'collections.OrderedDict':
      // OrderedDict.__reduce__ passes no arguments; the items follow as SETITEMS.
      arity(0);
      return new PyDict();
    case 'torch._utils._rebuild_tensor':
      arity(4);
      return rebuildTensor(name, items, fail);
    case 'torch._utils._rebuild_tensor_v2':
      // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]); the last ones do not change the values.
      arity(6, 7);
      return rebuildTensor(name, items, fail);
    case 'torch._utils._rebuild_parameter':
      arity(3);
      return tensorArgument(items[0], `${name}: data`, fail);
    case 'torch._utils._rebuild_parameter_with_state':
      arity(4);
      return tensorArgument(items[0], `${name}: data`, fail);
    case 'torch.Size':
      arity(1);
      return new PyTuple(integers(items[0], name, fail));
    case 'torch.device': {
      arity(1, 2);
      const [type, index] = items;
      if (typeof type !== 'string') fail(`${name}: type must be a str, got ${typeName(type)}`);
      if (items.length === 1 || index === null) return type;
      return `${type}:${integer(index, `${name}: index`, fail)}`;
    }
    case '_codecs.encode': {
      arity(2);
      const [text, encoding] = items;
      if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
        fail(`${name}: only (str, 'latin1') is supported, got (${typeName(text)}, ${String(encoding)})`);
      }
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code > 0xff) fail(`${name}: character U+${code.toString(16)} is not latin-1`);
        bytes[i] = code;
      }
      return bytes;
    }
    default:
      return fail(`${name} cannot be called`);
  }
}
