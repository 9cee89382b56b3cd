import type { StorageType } from './storage-types.js';

/** A Python list on the unpickler's stack. */
export class PyList {
  constructor(readonly items: PickleValue[] = []) {}
}

/** A Python tuple (and `torch.Size`, a tuple subclass). */
export class PyTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/**
 * A Python dict or `collections.OrderedDict`. Keys are strings: a Python int
 * key (an optimizer's parameter ids) becomes its decimal text, as in JSON.
 */
export class PyDict {
  readonly entries = new Map<string, PickleValue>();
}

/** A global the allow-list let through (`module.name`); only the unpickler's own handlers act on it. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  /** `module.name`, as error messages and the allow-list spell it. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A storage named by a persistent id: the bytes of record `data/<key>`, not yet read. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly type: StorageType,
    /** Elements, as the persistent id declares them (checked against the record's size). */
    readonly numel: number,
    /** The device it was saved from (`cpu`, `cuda:0`); informative only. */
    readonly location: string,
  ) {}
}

/** A tensor `_rebuild_tensor_v2` describes: a strided view of a storage, built once its storage is read. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/** Everything the restricted unpickler can put on its stack. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyList
  | PyTuple
  | PyDict
  | PyGlobal
  | StorageRef
  | TensorRef;

/** A short Python-ish name for a value's type, for error messages. */
export function typeName(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof PyList) return 'list';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PyDict) return 'dict';
  if (value instanceof PyGlobal) return value.qualifiedName;
  if (value instanceof StorageRef) return 'storage';
  return 'tensor';
}
