import { DataError } from '@fathom/core';
import { Opcode, opcodeName } from './opcodes.js';
import { PyDict, PyGlobal, PyList, PyTuple, StorageRef, TensorRef, typeName, type PickleValue } from './pickle-values.js';
import { callGlobal, resolveGlobal, type Fail } from './torch-globals.js';

/** Bounds the unpickler holds a pickle to; a pickle that needs more is refused. */
export interface UnpickleLimits {
  /** Opcodes executed (default 64 Mi; each takes at least a byte, so a pickle cannot loop). */
  readonly maxOpcodes: number;
  /** Memo entries (default 4 Mi). */
  readonly maxMemo: number;
  /** Values plus marks on the stack (default 1 Mi). */
  readonly maxStack: number;
  /** Bytes of a `LONG4` integer (default 1,024). */
  readonly maxLongBytes: number;
}

const DEFAULT_LIMITS: UnpickleLimits = { maxOpcodes: 64 * 2 ** 20, maxMemo: 4 * 2 ** 20, maxStack: 2 ** 20, maxLongBytes: 1024 };

/** What the unpickler needs from the archive around it. */
export interface UnpickleContext {
  /** Prefix of every error message: the source's name and the record, e.g. `model.pt: archive/data.pkl`. */
  readonly where: string;
  /** Resolves a persistent id (`BINPERSID`) to a storage; `fail` reports a bad id. */
  persistentLoad(pid: PickleValue, fail: Fail): StorageRef;
  /** Overrides of {@link UnpickleLimits}. */
  readonly limits?: Partial<UnpickleLimits>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Uint8Array, fail: Fail): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return fail('string is not valid UTF-8');
  }
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return text;
}

// Little-endian two's complement, as LONG1 and LONG4 store Python ints.
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/**
 * Runs a pickle in a small VM that only builds data: dicts, lists, tuples,
 * scalars, strings, bytes, and the tensors and storages that the allow-listed
 * torch globals describe. It calls nothing by name, recurses nowhere (the
 * stack is an array), and checks every length against the bytes left, the
 * memo, stack and opcode counts against {@link UnpickleLimits}. Anything it
 * does not understand is a `DataError` naming the opcode and byte offset.
 */
export function unpickle(bytes: Uint8Array, context: UnpickleContext): PickleValue {
  const limits = { ...DEFAULT_LIMITS, ...context.limits };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let position = 0;
  let opcodeStart = 0;
  let opcode = 0;

  const fail: Fail = (message) => {
    throw new DataError(`${context.where}: byte ${opcodeStart} (${opcodeName(opcode)}): ${message}`);
  };
  const take = (length: number, what: string): Uint8Array => {
    if (!Number.isSafeInteger(length) || length < 0 || length > bytes.length - position) {
      fail(`${what} of ${length} bytes runs past the end of the pickle (${bytes.length - position} bytes left)`);
    }
    const out = bytes.subarray(position, position + length);
    position += length;
    return out;
  };
  const uint8 = (): number => take(1, 'argument')[0];
  const uint16 = (): number => {
    take(2, 'argument');
    return view.getUint16(position - 2, true);
  };
  const int32 = (): number => {
    take(4, 'argument');
    return view.getInt32(position - 4, true);
  };
  const uint32 = (): number => {
    take(4, 'argument');
    return view.getUint32(position - 4, true);
  };
  const uint64 = (): number => {
    take(8, 'argument');
    const low = view.getUint32(position - 8, true);
    const high = view.getUint32(position - 4, true);
    // Any length this large runs past the pickle; report it without losing precision to a wrap.
    if (high > 0x1fffff) fail(`length ${high * 2 ** 32 + low} is too large`);
    return high * 2 ** 32 + low;
  };
  const line = (what: string): string => {
    const end = bytes.indexOf(0x0a, position);
    if (end < 0 || end - position > 1024) fail(`${what} is not a line of at most 1024 bytes`);
    const text = decodeText(bytes.subarray(position, end), fail);
    position = end + 1;
    return text;
  };

  const base = (): number => (marks.length > 0 ? marks[marks.length - 1] : 0);
  const push = (value: PickleValue): void => {
    if (stack.length + marks.length >= limits.maxStack) fail(`stack deeper than ${limits.maxStack}`);
    stack.push(value);
  };
  const pop = (): PickleValue => {
    if (stack.length <= base()) fail('stack underflow');
    return stack.pop() as PickleValue;
  };
  const top = (): PickleValue => {
    if (stack.length <= base()) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): PickleValue[] => {
    if (marks.length === 0) fail('no MARK to pop to');
    const start = marks.pop() as number;
    return stack.splice(start);
  };
  const memoize = (key: number): void => {
    const value = top();
    if (!memo.has(key) && memo.size >= limits.maxMemo) fail(`memo larger than ${limits.maxMemo} entries`);
    memo.set(key, value);
  };
  const recall = (key: number): void => {
    if (!memo.has(key)) fail(`memo key ${key} is not defined`);
    push(memo.get(key) as PickleValue);
  };
  const global = (module: string, name: string): void => {
    const resolved = resolveGlobal(module, name);
    if (!resolved.allowed) fail(resolved.refusal);
    push(resolved.value);
  };
  const setItems = (dict: PickleValue, items: readonly PickleValue[]): void => {
    if (!(dict instanceof PyDict)) fail(`cannot set items on a ${typeName(dict)}`);
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (typeof key === 'string') dict.entries.set(key, items[i + 1]);
      else if ((typeof key === 'number' && Number.isInteger(key)) || typeof key === 'bigint') dict.entries.set(String(key), items[i + 1]);
      else fail(`dict key of type ${typeName(key)} is not supported (only str and int keys)`);
    }
  };
  const appendItems = (list: PickleValue, items: readonly PickleValue[]): void => {
    if (!(list instanceof PyList)) fail(`cannot append to a ${typeName(list)}`);
    for (const item of items) list.items.push(item);
  };
  const call = (): void => {
    const args = pop();
    const fn = pop();
    if (!(fn instanceof PyGlobal)) fail(`cannot call a ${typeName(fn)}`);
    push(callGlobal(fn, args, fail));
  };

  for (let count = 0; position < bytes.length; count++) {
    if (count >= limits.maxOpcodes) throw new DataError(`${context.where}: more than ${limits.maxOpcodes} opcodes`);
    opcodeStart = position;
    opcode = bytes[position++];
    switch (opcode) {
      case Opcode.PROTO: {
        const protocol = uint8();
        if (protocol < 2 || protocol > 5) fail(`pickle protocol ${protocol} is not supported (2 to 5)`);
        break;
      }
      case Opcode.FRAME:
        // Frames only batch reads; the whole pickle is in memory, so just check the length.
        if (uint64() > bytes.length - position) fail('frame runs past the end of the pickle');
        break;
      case Opcode.MARK:
        if (stack.length + marks.length >= limits.maxStack) fail(`stack deeper than ${limits.maxStack}`);
        marks.push(stack.length);
        break;
      case Opcode.POP:
        if (stack.length > base()) stack.pop();
        else popMark();
        break;
      case Opcode.POP_MARK:
        popMark();
        break;
      case Opcode.DUP:
        push(top());
        break;
      case Opcode.STOP:
        return pop();
      case Opcode.NONE:
        push(null);
        break;
      case Opcode.NEWTRUE:
        push(true);
        break;
      case Opcode.NEWFALSE:
        push(false);
        break;
      case Opcode.BININT:
        push(int32());
        break;
      case Opcode.BININT1:
        push(uint8());
        break;
      case Opcode.BININT2:
        push(uint16());
        break;
      case Opcode.LONG1:
        push(decodeLong(take(uint8(), 'LONG1')));
        break;
      case Opcode.LONG4: {
        const length = int32();
        if (length < 0 || length > limits.maxLongBytes) fail(`LONG4 of ${length} bytes (at most ${limits.maxLongBytes})`);
        push(decodeLong(take(length, 'LONG4')));
        break;
      }
      case Opcode.BINFLOAT:
        take(8, 'argument');
        push(view.getFloat64(position - 8, false));
        break;
      case Opcode.SHORT_BINUNICODE:
        push(decodeText(take(uint8(), 'string'), fail));
        break;
      case Opcode.BINUNICODE:
        push(decodeText(take(uint32(), 'string'), fail));
        break;
      case Opcode.BINUNICODE8:
        push(decodeText(take(uint64(), 'string'), fail));
        break;
      // Python 2 str; Python 3 reads it as text, we read it as latin-1 text.
      case Opcode.SHORT_BINSTRING:
        push(latin1(take(uint8(), 'string')));
        break;
      case Opcode.BINSTRING: {
        const length = int32();
        push(latin1(take(length, 'string')));
        break;
      }
      // Copies, so the result does not pin the whole pickle in memory.
      case Opcode.SHORT_BINBYTES:
        push(take(uint8(), 'bytes').slice());
        break;
      case Opcode.BINBYTES:
        push(take(uint32(), 'bytes').slice());
        break;
      case Opcode.BINBYTES8:
      case Opcode.BYTEARRAY8:
        push(take(uint64(), 'bytes').slice());
        break;
      case Opcode.EMPTY_LIST:
        push(new PyList());
        break;
      case Opcode.EMPTY_DICT:
        push(new PyDict());
        break;
      case Opcode.EMPTY_TUPLE:
        push(new PyTuple([]));
        break;
      case Opcode.TUPLE1:
        push(new PyTuple([pop()]));
        break;
      case Opcode.TUPLE2: {
        const second = pop();
        push(new PyTuple([pop(), second]));
        break;
      }
      case Opcode.TUPLE3: {
        const third = pop();
        const second = pop();
        push(new PyTuple([pop(), second, third]));
        break;
      }
      case Opcode.TUPLE:
        push(new PyTuple(popMark()));
        break;
      case Opcode.LIST:
        push(new PyList(popMark()));
        break;
      case Opcode.DICT: {
        const items = popMark();
        if (items.length % 2 !== 0) fail(`odd number of items (${items.length}) for a dict`);
        const dict = new PyDict();
        setItems(dict, items);
        push(dict);
        break;
      }
      case Opcode.APPEND: {
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case Opcode.APPENDS: {
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case Opcode.SETITEM: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case Opcode.SETITEMS: {
        const items = popMark();
        if (items.length % 2 !== 0) fail(`odd number of items (${items.length}) for SETITEMS`);
        setItems(top(), items);
        break;
      }
      case Opcode.BINPUT:
        memoize(uint8());
        break;
      case Opcode.LONG_BINPUT:
        memoize(uint32());
        break;
      case Opcode.MEMOIZE:
        memoize(memo.size);
        break;
      case Opcode.BINGET:
        recall(uint8());
        break;
      case Opcode.LONG_BINGET:
        recall(uint32());
        break;
      case Opcode.GLOBAL: {
        const module = line('GLOBAL module');
        global(module, line('GLOBAL name'));
        break;
      }
      case Opcode.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`module and name must be str, got ${typeName(module)} and ${typeName(name)}`);
        global(module, name);
        break;
      }
      case Opcode.REDUCE:
      case Opcode.NEWOBJ:
        call();
        break;
      case Opcode.BUILD: {
        // The state of a state dict (its `_metadata`) and of a tensor (`requires_grad` hooks) changes no value we return.
        const state = pop();
        const target = top();
        if (!(target instanceof PyDict) && !(target instanceof TensorRef)) fail(`cannot set the state of a ${typeName(target)}`);
        if (state !== null && !(state instanceof PyDict) && !(state instanceof PyTuple)) fail(`state must be a dict or tuple, got ${typeName(state)}`);
        break;
      }
      case Opcode.BINPERSID:
        push(context.persistentLoad(pop(), fail));
        break;
      default:
        fail('opcode is not supported by the restricted unpickler');
    }
  }
  opcodeStart = position;
  throw new DataError(`${context.where}: pickle ends at byte ${position} without a STOP opcode`);
}
