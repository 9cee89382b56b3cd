// The restricted unpickler and tensor rebuilding, on hand-written pickles:
// each opcode, each bound, each refused global, each bad tensor geometry.
import { isFathomError, memoryStats, type Tensor } from '@fathom/core';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodePth, type PthValue } from '../src/pth/read-pth.js';

type PthDict = Record<string, PthValue>;
import { unpickle, type UnpickleLimits } from '../src/pth/unpickler.js';

type Part = number | string | Uint8Array | readonly number[];

/** Concatenates opcodes and arguments: a number is one byte, a string its latin-1 bytes. */
function bytes(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else if (typeof part === 'string') for (const char of part) out.push(char.charCodeAt(0));
    else out.push(...part);
  }
  return new Uint8Array(out);
}
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u64 = (n: number): number[] => [...u32(n % 2 ** 32), ...u32(Math.floor(n / 2 ** 32))];
/** BINUNICODE of `text`. */
const str = (text: string): Uint8Array => {
  const utf8 = new TextEncoder().encode(text);
  return bytes('X', u32(utf8.length), utf8);
};
const global = (module: string, name: string): string => `c${module}\n${name}\n`;
/** PROTO 2, the parts, STOP. */
const pickle = (...parts: Part[]): Uint8Array => bytes(0x80, 2, ...parts, '.');

interface TensorSpec {
  type?: string;
  key?: string;
  numel: number;
  offset?: number;
  size: number[];
  stride: number[];
}

/** What torch.save writes for one tensor (as _rebuild_tensor_v2 of a persistent storage), without PROTO and STOP. */
function tensorOps({ type = 'FloatStorage', key = '0', numel, offset = 0, size, stride }: TensorSpec): Uint8Array {
  const ints = (values: number[]): Part[] => ['(', ...values.flatMap((v) => ['J', u32(v)]), 't'];
  return bytes(
    global('torch._utils', '_rebuild_tensor_v2'),
    '((', str('storage'), global('torch', type), str(key), str('cpu'), 'J', u32(numel), 't', 'Q',
    'J', u32(offset), ...ints(size), ...ints(stride), 0x89, global('collections', 'OrderedDict'), ')R', 't', 'R',
  );
}

/** A torch.save-shaped zip around `data.pkl` and storage records `data/<key>`. */
function archive(pkl: Uint8Array, storages: Record<string, Uint8Array> = {}, prefix = 'archive', extra: Record<string, Uint8Array> = {}): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = { [`${prefix}/data.pkl`]: [pkl, { level: 0 }] };
  for (const [key, data] of Object.entries(storages)) files[`${prefix}/data/${key}`] = [data, { level: 0 }];
  for (const [name, data] of Object.entries(extra)) files[name] = [data, { level: 0 }];
  return zipSync(files);
}

const load = (pkl: Uint8Array, storages?: Record<string, Uint8Array>): Promise<PthValue> => decodePth(archive(pkl, storages), { name: 'p.pt' });

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!isFathomError(error, 'DataError')) throw new Error(`expected a DataError, got ${String(error)}`);
  return error.message;
}

function unpickleError(pkl: Uint8Array, limits: Partial<UnpickleLimits> = {}): string {
  try {
    unpickle(pkl, { where: 't.pkl', limits, persistentLoad: (_pid, fail) => fail('no storages here') });
  } catch (error) {
    if (!isFathomError(error, 'DataError')) throw error;
    return error.message;
  }
  throw new Error('expected a DataError');
}

const floats = (...values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);

describe('the restricted unpickler: values', () => {
  it('reads every scalar, string and bytes opcode', async () => {
    const value = await load(pickle(
      '(',
      'J', u32(-5 >>> 0), 'K', 200, 'M', [0x34, 0x12],
      0x8a, 1, 0xff, // LONG1 -1
      0x8a, 9, [0, 0, 0, 0, 0, 0, 0, 0, 1], // LONG1 2^64
      0x8a, 0, // LONG1 0
      0x8b, u32(2), [0x00, 0x80], // LONG4 -32768
      'G', [0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a], // BINFLOAT 0.1
      'N', 0x88, 0x89,
      str('héllo'), 0x8c, 2, 'ab', 0x8d, u64(1), 'c', // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
      'U', 2, [0x41, 0xe9], // SHORT_BINSTRING, latin-1
      'T', u32(1), 'z', // BINSTRING
      'C', 2, [1, 2], 'B', u32(1), [3], 0x8e, u64(1), [4], 0x96, u64(0), // SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8
      'l',
    ));
    expect(value).toEqual([
      -5, 200, 0x1234, -1, 2n ** 64n, 0, -32768, 0.1, null, true, false, 'héllo', 'ab', 'c', 'Aé', 'z',
      new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4]), new Uint8Array([]),
    ]);
  });

  it('builds tuples, lists and dicts with every container opcode, memo and frame', async () => {
    const value = await load(bytes(
      0x80, 4, 0x95, u64(0), // FRAME's length only batches reads
      '}', 0x94, // EMPTY_DICT, MEMOIZE -> memo 0
      str('tuples'), '(', ')', 'K', 1, 0x85, 'K', 1, 'K', 2, 0x86, 'K', 1, 'K', 2, 'K', 3, 0x87, '(', 'K', 4, 't', 'l', 's',
      str('list'), ']', 'q', 7, 'K', 1, 'a', '(', 'K', 2, 'K', 3, 'e', 's',
      str('again'), 'h', 7, 's', // BINGET 7: the same list
      str('long memo'), 'K', 9, 'r', u32(70000), '0', 'j', u32(70000), 's', // LONG_BINPUT, POP, LONG_BINGET
      str('dict'), '(', str('a'), 'K', 1, 'K', 5, str('int key'), 'd', 's',
      str('dup'), 'K', 6, '2', 0x86, 's', // DUP
      '(', str('marked'), 'K', 1, 'u', // SETITEMS
      '(', 'K', 1, 'K', 2, '1', // POP_MARK discards the marked values
      '(', '0', // POP with nothing above the mark pops the mark
      '.',
    )) as PthDict;
    expect(value.tuples).toEqual([[], [1], [1, 2], [1, 2, 3], [4]]);
    expect(value.list).toEqual([1, 2, 3]);
    expect(value.again).toBe(value.list);
    expect(value['long memo']).toBe(9);
    expect(value.dict).toEqual({ a: 1, 5: 'int key' });
    expect(value.dup).toEqual([6, 6]);
    expect(value.marked).toBe(1);
  });

  it('turns dicts into plain objects whose __proto__ key is an own property', async () => {
    const value = (await load(pickle('}', str('__proto__'), '}', str('polluted'), 0x88, 's', 's'))) as PthDict;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads torch.Size, torch.device, OrderedDict with state, protocol-2 bytes and torch dtypes', async () => {
    const value = await load(pickle(
      '(',
      global('torch', 'Size'), '(', 'K', 2, 'K', 3, 't', 0x85, 'R',
      global('torch', 'device'), str('cuda'), 'K', 1, 0x86, 'R',
      global('torch', 'device'), str('cpu'), 0x85, 'R',
      global('collections', 'OrderedDict'), ')R', str('k'), 'K', 1, 's', '}', str('_metadata'), 'N', 's', 'b',
      global('_codecs', 'encode'), str('\u00ff\u0000a'), str('latin1'), 0x86, 'R',
      global('torch', 'bfloat16'), global('torch', 'long'),
      'l',
    ));
    expect(value).toEqual([[2, 3], 'cuda:1', 'cpu', { k: 1 }, new Uint8Array([255, 0, 97]), 'bfloat16', 'int64']);
  });
});

describe('the restricted unpickler: refusals', () => {
  const hostile = [
    'os.system', 'posix.system', 'nt.system', 'builtins.eval', 'builtins.exec', 'builtins.getattr', '__builtin__.eval',
    'builtins.__import__', 'subprocess.Popen', 'subprocess.check_output', 'pickle.loads', 'torch.load', 'torch.storage._load_from_bytes',
    'numpy.core.multiarray._reconstruct', 'torch._tensor._rebuild_from_type_v2', 'torch.nn.modules.linear.Linear', 'collections.defaultdict',
    'torch._utils._rebuild_device_tensor_from_numpy', 'torch.FloatStorage.__new__', 'torch.serialization.load', 'copyreg._reconstructor',
  ];
  it.each(hostile)('refuses %s through GLOBAL and through STACK_GLOBAL, naming it', async (qualified) => {
    const dot = qualified.lastIndexOf('.');
    const [module, name] = [qualified.slice(0, dot), qualified.slice(dot + 1)];
    const viaGlobal = pickle(global(module, name), str('echo pwned'), 0x85, 'R');
    const viaStack = bytes(0x80, 4, 0x8c, module.length, module, 0x8c, name.length, name, 0x93, str('x'), 0x85, 'R', '.');
    for (const pkl of [viaGlobal, viaStack]) {
      const message = await refusal(load(pkl));
      expect(message).toMatch(/^p\.pt: archive\/data\.pkl: byte \d+ \((STACK_)?GLOBAL/);
      expect(message).toContain(`global '${qualified}' is not allowed`);
    }
  });

  it('refuses the opcodes that build arbitrary objects or belong to text protocols', () => {
    expect(unpickleError(bytes(0x80, 2, 'ios\nsystem\n'))).toContain('INST (0x69)');
    expect(unpickleError(bytes(0x80, 2, '(', global('builtins', 'dict'), 'o'))).toContain("'builtins.dict' is not allowed");
    expect(unpickleError(bytes(0x80, 2, '(', 'o'))).toContain('OBJ (0x6f)');
    expect(unpickleError(bytes(0x80, 2, 0x92))).toContain('NEWOBJ_EX (0x92)');
    expect(unpickleError(bytes(0x80, 2, 0x82, 1))).toContain('EXT1 (0x82)');
    expect(unpickleError(bytes(0x80, 2, 'I1\n.'))).toContain('INT (0x49)');
    expect(unpickleError(bytes(0x80, 2, 'P0\n.'))).toContain('PERSID (0x50)');
    expect(unpickleError(bytes(0x80, 5, 0x97))).toContain('NEXT_BUFFER (0x97)');
    expect(unpickleError(bytes(0x80, 2, 0x07))).toContain('byte 2 (0x07)');
    expect(unpickleError(bytes(0x80, 6, '.'))).toContain('protocol 6');
  });

  it('refuses calls that are not to allow-listed globals, and bad arguments to those that are', async () => {
    expect(await refusal(load(pickle('K', 1, ')R')))).toContain('cannot call a int');
    expect(await refusal(load(pickle(global('torch', 'FloatStorage'), ')R')))).toContain('torch.FloatStorage cannot be called');
    expect(await refusal(load(pickle(global('collections', 'OrderedDict'), 'K', 1, 0x85, 'R')))).toContain('expected 0 arguments, got 1');
    expect(await refusal(load(pickle(global('collections', 'OrderedDict'), 'K', 1, 'R')))).toContain('arguments must be a tuple');
    expect(await refusal(load(pickle(global('torch', 'Size'), '(', str('a'), 't', 0x85, 'R')))).toContain('torch.Size[0] must be an int');
    expect(await refusal(load(pickle(global('_codecs', 'encode'), str('a'), str('utf-8'), 0x86, 'R')))).toContain("only (str, 'latin1')");
    expect(await refusal(load(pickle(global('torch._utils', '_rebuild_parameter'), 'K', 1, 0x88, 'N', 0x87, 'R')))).toContain('data must be a tensor');
    expect(await refusal(load(pickle(global('torch._utils', '_rebuild_tensor_v2'), '(', 't', 'R'))))
      .toContain('expected 6 or 7 arguments, got 0');
    expect(await refusal(load(pickle(global('torch._utils', '_rebuild_tensor_v2'), '(', 'N', 'K', 0, ')', ')', 0x89, 'N', 't', 'R'))))
      .toContain('storage must be a storage');
    expect(await refusal(load(pickle(']', 'N', 'b')))).toContain('cannot set the state of a list');
    expect(await refusal(load(pickle('K', 1, 'K', 2, 'a')))).toContain('cannot append to a int');
    expect(await refusal(load(pickle(']', 'K', 2, 's')))).toContain('stack underflow');
    expect(await refusal(load(pickle('}', ')', 'K', 1, 's')))).toContain('dict key of type tuple is not supported');
    expect(await refusal(load(pickle('(', 'K', 1, 'd')))).toContain('odd number of items');
    expect(await refusal(load(pickle(global('torch', 'FloatStorage'))))).toContain('torch.FloatStorage appears as a value');
  });

  it('names complex, quantized and sparse tensors as unsupported', () => {
    expect(unpickleError(pickle(global('torch', 'ComplexDoubleStorage')))).toContain('complex128 tensors (torch.ComplexDoubleStorage) are not supported');
    expect(unpickleError(pickle(global('torch', 'QInt8Storage')))).toContain('qint8 (quantized)');
    expect(unpickleError(pickle(global('torch._utils', '_rebuild_sparse_tensor')))).toContain('sparse tensors');
  });
});

describe('the restricted unpickler: bounds', () => {
  it('checks every length against the bytes left', () => {
    expect(unpickleError(bytes(0x80, 2, 'X', u32(100), 'abc'))).toContain('string of 100 bytes runs past the end of the pickle (3 bytes left)');
    expect(unpickleError(bytes(0x80, 4, 0x8d, u64(2 ** 52), 'abc'))).toContain('runs past the end');
    expect(unpickleError(bytes(0x80, 4, 0x8d, [0, 0, 0, 0, 0, 0, 0, 0x80]))).toContain('is too large');
    expect(unpickleError(bytes(0x80, 4, 0x95, u64(1000), '.'))).toContain('frame runs past');
    expect(unpickleError(bytes(0x80, 2, 'B', u32(0xffffffff)))).toContain('runs past the end');
    expect(unpickleError(bytes(0x80, 2, 'T', u32(-1 >>> 0)))).toContain('string of -1 bytes');
    expect(unpickleError(bytes(0x80, 2, 0x8b, u32(1 << 20), [0]))).toContain('LONG4 of 1048576 bytes (at most 1024)');
    expect(unpickleError(bytes(0x80, 2, 0x8b, u32(-1 >>> 0)))).toContain('LONG4 of -1 bytes');
    expect(unpickleError(bytes(0x80, 2, 'J', [1, 2]))).toContain('argument of 4 bytes runs past');
    expect(unpickleError(bytes(0x80, 2, 'cos'))).toContain('GLOBAL module is not a line');
    expect(unpickleError(bytes(0x80, 2, 'c', 'a'.repeat(2000), '\nb\n'))).toContain('at most 1024 bytes');
    expect(unpickleError(bytes(0x80, 2, 'X', u32(2), [0xc3, 0x28], '.'))).toContain('not valid UTF-8');
  });

  it('refuses a missing memo key, an underflow, a missing mark, and a pickle with no STOP', () => {
    expect(unpickleError(bytes(0x80, 2, 'h', 3, '.'))).toContain('memo key 3 is not defined');
    expect(unpickleError(bytes(0x80, 2, 'q', 0))).toContain('stack underflow');
    expect(unpickleError(bytes(0x80, 2, '('))).toContain('without a STOP');
    expect(unpickleError(bytes(0x80, 2, 'K', 1, 't'))).toContain('no MARK to pop to');
    expect(unpickleError(bytes(0x80, 2, '(', 'a'))).toContain('stack underflow');
    expect(unpickleError(bytes(0x80, 2, '.'))).toContain('stack underflow');
    expect(unpickleError(bytes(0x80, 2, '0'))).toContain('no MARK to pop to');
    expect(unpickleError(new Uint8Array(0))).toContain('without a STOP');
  });

  it('caps the opcodes, the memo and the stack', () => {
    expect(unpickleError(bytes(0x80, 2, 'N', '0', 'N', '0', 'N', '0', '.'), { maxOpcodes: 5 })).toContain('more than 5 opcodes');
    expect(unpickleError(bytes(0x80, 4, 'N', 0x94, 0x94, 0x94, 0x94, '.'), { maxMemo: 3 })).toContain('memo larger than 3 entries');
    expect(unpickleError(bytes(0x80, 2, 'N', 'q', 1, 'q', 1, 'q', 1, 'q', 2, '.'), { maxMemo: 1 })).toContain('memo larger than 1 entries');
    expect(unpickleError(bytes(0x80, 2, ...new Array<string>(20).fill('N'), '.'), { maxStack: 10 })).toContain('stack deeper than 10');
    expect(unpickleError(bytes(0x80, 2, ...new Array<string>(20).fill('('), '.'), { maxStack: 10 })).toContain('stack deeper than 10');
  });

  it('refuses cyclic values and nesting deeper than 256', async () => {
    expect(await refusal(load(pickle(']', 'q', 0, 'h', 0, 'a')))).toContain('a list contains itself');
    // [[[…]]] 300 deep, built with constant stack: each list appended into a new one through the memo.
    const deep: Part[] = [']', 'q', 0];
    for (let i = 0; i < 300; i++) deep.push(']', 'h', 0, 'a', 'q', 0, '0');
    deep.push('h', 0);
    expect(await refusal(load(pickle(...deep)))).toContain('nest deeper than 256');
    // Shared, not cyclic: the same list twice at each level is fine and stays shared.
    const shared = (await load(pickle(']', 'q', 0, ']', 'h', 0, 'a', 'h', 0, 'a'))) as PthValue[][];
    expect(shared[0]).toBe(shared[1]);
  });
});

describe('rebuilding tensors', () => {
  const data = { '0': floats(0, 1, 2, 3, 4, 5) };
  const one = (spec: Partial<TensorSpec>): Uint8Array => pickle('}', str('w'), tensorOps({ numel: 6, size: [6], stride: [1], ...spec }), 's');

  it('gathers strided views with offsets, zero strides and empty shapes', async () => {
    const cases: [Partial<TensorSpec>, unknown][] = [
      [{ size: [2, 3], stride: [3, 1] }, [[0, 1, 2], [3, 4, 5]]],
      [{ size: [3, 2], stride: [1, 3] }, [[0, 3], [1, 4], [2, 5]]],
      [{ size: [2], stride: [2], offset: 1 }, [1, 3]],
      [{ size: [], stride: [], offset: 5 }, 5],
      [{ size: [2, 2], stride: [0, 1], offset: 4 }, [[4, 5], [4, 5]]],
      [{ size: [0], stride: [1], offset: 6 }, []],
      [{ size: [3, 0], stride: [0, 1], offset: 6 }, [[], [], []]],
      [{ size: [1, 2], stride: [100, 2], offset: 3 }, [[3, 5]]],
    ];
    for (const [spec, want] of cases) {
      const value = (await load(one(spec), data)) as PthDict;
      expect(await (value.w as Tensor).toArray(), JSON.stringify(spec)).toEqual(want);
    }
  });

  it('refuses views reaching outside their storage, negative strides and sizes, naming the tensor', async () => {
    const cases: [Partial<TensorSpec>, string][] = [
      [{ size: [7], stride: [1] }, 'reaches element 6 of a storage of 6 elements'],
      [{ size: [2, 3], stride: [3, 1], offset: 1 }, 'reaches element 6'],
      [{ size: [2], stride: [-1] }, 'negative strides are not supported'],
      [{ size: [-2], stride: [1] }, 'negative size'],
      [{ size: [1], stride: [1], offset: -1 }, 'storage offset -1 lies outside'],
      [{ size: [], stride: [], offset: 6 }, 'reaches element 6'],
      [{ size: [1], stride: [1], offset: 7 }, 'storage offset 7 lies outside its storage of 6 elements'],
    ];
    for (const [spec, fragment] of cases) {
      const message = await refusal(load(one(spec), data));
      expect(message).toContain("p.pt: tensor 'w': ");
      expect(message).toContain(fragment);
    }
  });

  it('refuses tensors that would hold far more elements than their storages', async () => {
    const message = await refusal(load(one({ size: [1 << 20, 1 << 10], stride: [0, 0] }), data));
    expect(message).toContain('more than 4× their storages');
    const huge = await refusal(load(one({ size: [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1], stride: [0, 0, 0] }), data));
    expect(huge).toContain('too many elements');
  });

  it('checks storages against their records: size, presence, consistency', async () => {
    expect(await refusal(load(one({ numel: 7 }), data))).toContain("storage '0' holds 7 float32 elements (28 bytes) but its record has 24 bytes");
    expect(await refusal(load(one({ key: '9' }), data))).toContain("storage '9' has no record 'archive/data/9'");
    const twice = pickle('(', tensorOps({ numel: 6, size: [6], stride: [1] }), tensorOps({ type: 'IntStorage', numel: 6, size: [6], stride: [1] }), 'l');
    expect(await refusal(load(twice, data))).toContain("storage '0' is named twice");
    expect(await refusal(load(pickle(str('x'), 'Q'), data))).toContain("persistent id must be ('storage'");
    const wrongType = pickle('(', str('storage'), global('torch', 'Size'), str('0'), str('cpu'), 'K', 6, 't', 'Q');
    expect(await refusal(load(wrongType, data))).toContain('names storage type torch.Size');
  });

  it('converts each storage dtype and refuses int64 values outside int32', async () => {
    const int64 = new Uint8Array(new BigInt64Array([-(2n ** 31n), 2n ** 31n - 1n, 2n ** 31n]).buffer);
    const ok = (await load(one({ type: 'LongStorage', numel: 3, size: [2], stride: [1] }), { '0': int64 })) as PthDict;
    expect(await (ok.w as Tensor).toArray()).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    expect((ok.w as Tensor).dtype).toBe('int32');
    const message = await refusal(load(one({ type: 'LongStorage', numel: 3, size: [3], stride: [1] }), { '0': int64 }));
    expect(message).toBe("p.pt: tensor 'w': int64 element 2 is 2147483648, outside int32's range; Fathom has no int64 dtype and will not wrap it");
    // The same storage, unaligned inside the file: decoded through a DataView.
    const half = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]); // 1, -2, 2^-24, inf
    const f16 = (await load(one({ type: 'HalfStorage', numel: 4, size: [4], stride: [1] }), { '0': half })) as PthDict;
    expect(await (f16.w as Tensor).toArray()).toEqual([1, -2, 2 ** -24, Infinity]);
    const bools = (await load(one({ type: 'BoolStorage', numel: 3, size: [2], stride: [1] }), { '0': new Uint8Array([0, 1, 7]) })) as PthDict;
    expect(await (bools.w as Tensor).toArray()).toEqual([0, 1]);
    const badBool = await refusal(load(one({ type: 'BoolStorage', numel: 3, size: [3], stride: [1] }), { '0': new Uint8Array([0, 1, 7]) }));
    expect(badBool).toBe("p.pt: tensor 'w': bool element 2 is byte 7, not 0 or 1");
  });

  it('releases the tensors it built when a later one is refused', async () => {
    const three = pickle(
      '(',
      tensorOps({ key: '0', numel: 6, size: [6], stride: [1] }),
      tensorOps({ key: '1', numel: 6, size: [2, 3], stride: [1, 2] }),
      tensorOps({ type: 'LongStorage', key: '2', numel: 1, size: [], stride: [] }),
      'l',
    );
    const storages = { '0': floats(1, 2, 3, 4, 5, 6), '1': floats(1, 2, 3, 4, 5, 6), '2': new Uint8Array(new BigInt64Array([2n ** 40n]).buffer) };
    const before = memoryStats();
    expect(await refusal(load(three, storages))).toContain("p.pt: tensor '2': int64 element 0 is 1099511627776");
    expect(memoryStats().tensors).toBe(before.tensors);
    expect(memoryStats().bytes).toBe(before.bytes);
  });

  it('passes parameters through as their data', async () => {
    // _rebuild_parameter_with_state(data, requires_grad, hooks, state)
    const fixed = pickle('}', str('p'), global('torch._utils', '_rebuild_parameter_with_state'), '(', tensorOps({ numel: 6, size: [3], stride: [2] }), 0x88, '}', '}', 't', 'R', 's');
    const value = (await load(fixed, data)) as PthDict;
    expect(await (value.p as Tensor).toArray()).toEqual([0, 2, 4]);
  });
});

describe('the archive around the pickle', () => {
  const pkl = pickle('K', 1);
  it('finds data.pkl under any top folder and refuses archives without exactly one', async () => {
    expect(await decodePth(archive(pkl, {}, 'resnet18-f37072fd'), { name: 'r.pth' })).toBe(1);
    expect(await refusal(decodePth(zipSync({ 'data.pkl': pkl }), { name: 'r.pth' }))).toContain('no <folder>/data.pkl record');
    expect(await refusal(decodePth(archive(pkl, {}, 'a', { 'b/data.pkl': pkl }), { name: 'r.pth' }))).toContain("several data.pkl records ('a/data.pkl', 'b/data.pkl')");
  });

  it('refuses TorchScript archives with advice', async () => {
    const message = await refusal(decodePth(archive(pkl, {}, 'archive', { 'archive/constants.pkl': pkl }), { name: 'm.pt' }));
    expect(message).toContain('m.pt: is a TorchScript archive (torch.jit.save)');
    expect(await refusal(decodePth(archive(pkl, {}, 'archive', { 'archive/code/__torch__.py': pkl }), { name: 'm.pt' }))).toContain('TorchScript');
  });

  it('reads the byteorder record and refuses a strange one', async () => {
    const big = pickle('}', str('w'), tensorOps({ numel: 2, size: [2], stride: [1] }), 's');
    const bigEndian = new Uint8Array([0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]); // 1, -2
    const value = (await decodePth(archive(big, { '0': bigEndian }, 'archive', { 'archive/byteorder': bytes('big') }))) as PthDict;
    expect(await (value.w as Tensor).toArray()).toEqual([1, -2]);
    expect(await refusal(decodePth(archive(pkl, {}, 'archive', { 'archive/byteorder': bytes('middle') })))).toContain("says 'middle'");
    expect(await refusal(decodePth(archive(pkl, {}, 'archive', { 'archive/byteorder': bytes('x'.repeat(100)) })))).toContain('is 100 bytes');
  });

  it('recognises the legacy formats and says how to convert them', async () => {
    for (const legacy of [bytes(0x80, 2, 0x8a, 10, 'lF\x9c\xfc\xf9 j\xa8P\x19.'), (() => {
      const tar = new Uint8Array(1024);
      tar.set(bytes('ustar'), 257);
      return tar;
    })()]) {
      const message = await refusal(decodePth(legacy, { name: 'old.pth' }));
      expect(message).toBe('old.pth: the legacy (pre-1.6) torch.save format is not supported; load it in PyTorch >= 1.6 and torch.save it again');
    }
    expect(await refusal(decodePth(new Uint8Array(0), { name: 'e.pt' }))).toContain("e.pt: not a PyTorch file");
  });
});
