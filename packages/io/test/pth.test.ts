// The PyTorch reader against files PyTorch wrote: every fixture in
// test/fixtures/pth beside the JSON in which PyTorch recorded what it holds
// (scripts/make-pth-fixtures.py). Where PyTorch is installed, the fixtures are
// also regenerated from scratch and checked the same way.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFathomError, isTensorLike, type Tensor } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { bytesSource, type ByteSource } from '../src/byte-source.js';
import { decodePth, readPth, type PthValue } from '../src/pth/read-pth.js';

type PthDict = Record<string, PthValue>;

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, 'fixtures', 'pth');
const SCRIPT = join(here, '..', 'scripts', 'make-pth-fixtures.py');
const PYTHON = '/usr/bin/python3';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Expected = { value: Json } | { error: string[] };

async function load(folder: string, file: string): Promise<PthValue> {
  return decodePth(new Uint8Array(await readFile(join(folder, file))), { name: file });
}

async function expected(folder: string, file: string): Promise<Expected> {
  return JSON.parse(await readFile(join(folder, `${file}.json`), 'utf8')) as Expected;
}

function expectNumber(actual: number, want: Json, where: string): void {
  if (want === 'nan') expect(Number.isNaN(actual), `${where} should be NaN, is ${actual}`).toBe(true);
  else if (want === 'inf') expect(actual, where).toBe(Infinity);
  else if (want === '-inf') expect(actual, where).toBe(-Infinity);
  else if (typeof want === 'boolean') expect(actual, where).toBe(want ? 1 : 0);
  else expect(Object.is(actual, want) || actual === want, `${where}: ${actual} should be ${String(want)}`).toBe(true);
}

/** Checks a loaded value against the JSON PyTorch wrote for it, exactly (values included). */
async function expectMatches(actual: PthValue, want: Json, where: string): Promise<void> {
  if (want === null || typeof want === 'string' || typeof want === 'boolean') {
    expect(actual, where).toBe(want);
  } else if (typeof want === 'number') {
    expect(typeof actual, where).toBe('number');
    expectNumber(actual as number, want, where);
  } else if (Array.isArray(want)) {
    expect(Array.isArray(actual), `${where} should be an array`).toBe(true);
    const items = actual as PthValue[];
    expect(items.length, where).toBe(want.length);
    for (let i = 0; i < want.length; i++) await expectMatches(items[i], want[i], `${where}.${i}`);
  } else if ('__tensor__' in want) {
    const spec = want.__tensor__ as { dtype: string; shape: number[]; values: Json[] };
    expect(isTensorLike(actual), `${where} should be a tensor`).toBe(true);
    const t = actual as Tensor;
    expect(t.dtype, `${where} dtype`).toBe(spec.dtype);
    expect([...t.shape], `${where} shape`).toEqual(spec.shape);
    const data = await t.data();
    expect(data.length, `${where} numel`).toBe(spec.values.length);
    for (let i = 0; i < data.length; i++) expectNumber(data[i], spec.values[i], `${where}[${i}]`);
  } else if ('__int__' in want) {
    expect(actual, where).toBe(BigInt(want.__int__ as string));
  } else if ('__float__' in want) {
    expectNumber(actual as number, want.__float__, where);
  } else if ('__bytes__' in want) {
    expect(actual instanceof Uint8Array, `${where} should be bytes`).toBe(true);
    expect([...(actual as Uint8Array)], where).toEqual(want.__bytes__);
  } else if ('__dict__' in want) {
    const entries = want.__dict__ as [string, Json][];
    expect(typeof actual === 'object' && actual !== null && Object.getPrototypeOf(actual) === Object.prototype, `${where} should be a plain object`).toBe(true);
    const dict = actual as PthDict;
    expect(Object.keys(dict).sort(), `${where} keys`).toEqual(entries.map(([key]) => key).sort());
    for (const [key, value] of entries) {
      expect(Object.hasOwn(dict, key), `${where} has own key ${key}`).toBe(true);
      await expectMatches(dict[key], value, where === '' ? key : `${where}.${key}`);
    }
  } else {
    throw new Error(`${where}: unknown expectation ${JSON.stringify(want)}`);
  }
}

/** Loads every fixture in `folder` and checks it against its JSON; returns the files checked. */
async function checkFolder(folder: string): Promise<string[]> {
  const files = (await readdir(folder)).filter((file) => !file.endsWith('.json')).sort();
  for (const file of files) {
    const want = await expected(folder, file);
    if ('error' in want) {
      const error = await load(folder, file).then(() => null, (e: unknown) => e);
      expect(isFathomError(error, 'DataError'), `${file} should be refused with a DataError, got ${String(error)}`).toBe(true);
      const message = (error as Error).message;
      expect(message.startsWith(`${file}: `), `${file}: message should start with the file name: ${message}`).toBe(true);
      for (const fragment of want.error) expect(message, file).toContain(fragment);
    } else {
      await expectMatches(await load(folder, file), want.value, '');
    }
  }
  return files;
}

/** A source that records every read. */
function recording(bytes: Uint8Array, name: string): { source: ByteSource; reads: [number, number][] } {
  const inner = bytesSource(bytes, name);
  const reads: [number, number][] = [];
  return {
    reads,
    source: { name, size: inner.size, read: (offset, length) => (reads.push([offset, length]), inner.read(offset, length)) },
  };
}

describe('readPth on files torch.save wrote', () => {
  it('loads every fixture as PyTorch recorded it, and refuses the hostile ones naming the cause', async () => {
    const files = await checkFolder(FIXTURES);
    expect(files).toContain('checkpoint.pth.tar');
    expect(files.length).toBeGreaterThanOrEqual(14);
  });

  it('reads the imagenet-style checkpoint: epoch, arch, state_dict, optimizer state keyed by parameter index', async () => {
    const checkpoint = (await load(FIXTURES, 'checkpoint.pth.tar')) as PthDict;
    expect(checkpoint.epoch).toBe(1);
    expect(checkpoint.arch).toBe('tiny');
    const state = checkpoint.state_dict as PthDict;
    expect(Object.keys(state)).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '4.weight', '4.bias',
    ]);
    expect((state['0.weight'] as Tensor).shape).toEqual([2, 1, 3, 3]);
    expect((state['1.num_batches_tracked'] as Tensor).dtype).toBe('int32');
    expect(await (checkpoint.best_acc1 as Tensor).item()).toBe(12.5);
    const optimizer = checkpoint.optimizer as PthDict;
    const momentum = ((optimizer.state as PthDict)['0'] as PthDict).momentum_buffer as Tensor;
    expect(momentum.shape).toEqual([2, 1, 3, 3]);
    const group = (optimizer.param_groups as PthDict[])[0];
    expect(group.momentum).toBe(0.9);
    expect(group.params).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps odd keys own properties: __proto__ pollutes nothing, int keys become strings', async () => {
    const values = (await load(FIXTURES, 'values.pt')) as PthDict;
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect(Object.hasOwn(values, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(values.constructor).toBe('not a function');
    expect(Object.keys(values.int_keys as PthDict)).toEqual(['0', '1', '10']);
    expect(values.huge).toBe(2n ** 70n);
    expect(values.devices).toEqual(['cpu', 'cuda:0', 'cuda']);
  });

  it('returns one tensor for a tensor pickled twice, and one array for a list pickled twice', async () => {
    for (const file of ['values.pt', 'values-protocol4.pt']) {
      const values = (await load(FIXTURES, file)) as PthDict;
      expect(values.tied_a).toBe(values.tied_b);
      expect(values.shared_a).toBe(values.shared_b);
    }
  });

  it('reads each storage once, one read per record, with views of one storage sharing it', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'dtypes.pt')));
    const { source, reads } = recording(bytes, 'dtypes.pt');
    const state = (await readPth(source)) as PthDict;
    const { unzipSync } = await import('fflate');
    const records = Object.entries(unzipSync(bytes)).filter(([name]) => name.startsWith('dtypes/data/'));
    // Signature, end record, zip64 locator and zip64 end record (torch always writes them), central directory;
    // then a local header and the contents for data.pkl and for each storage.
    expect(reads.length).toBe(5 + 2 * (1 + records.length));
    const largest = Math.max(...records.map(([, data]) => data.length));
    const byLength = reads.map(([, length]) => length).filter((length) => length > 64 && length !== bytes.length);
    expect(Math.max(...byLength)).toBeLessThanOrEqual(Math.max(largest, 2000));
    // Seven views share one storage of 12 elements.
    expect(records.length).toBe(Object.keys(state).length - 6);
    expect(await (state['view.t'] as Tensor).toArray()).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    expect(await (state['view.expanded'] as Tensor).toArray()).toEqual([[0, 1], [0, 1], [0, 1]]);
    for (const value of Object.values(state)) (value as Tensor).dispose();
  });

  it('creates tensors on the device asked for', async () => {
    const state = (await decodePth(new Uint8Array(await readFile(join(FIXTURES, 'dtypes.pt'))), { device: 'cpu', name: 'x.pt' })) as PthDict;
    expect((state.f32 as Tensor).device).toBe('cpu');
  });

  it('names the source in every error, defaulting to <bytes>', async () => {
    const error = await decodePth(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(isFathomError(error, 'DataError')).toBe(true);
    expect((error as Error).message).toMatch(/^<bytes>: not a PyTorch file/);
  });
});

const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe('readPth on fixtures regenerated by PyTorch now', () => {
  if (!torchAvailable) console.log(`skipping the regeneration check: ${PYTHON} cannot import torch`);
  it.runIf(torchAvailable)('loads what make-pth-fixtures.py writes today as the JSON it writes beside it', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'fathom-pth-'));
    try {
      const run = spawnSync(PYTHON, [SCRIPT, '--out', folder], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const files = await checkFolder(folder);
      expect(files).toEqual((await readdir(FIXTURES)).filter((file) => !file.endsWith('.json')).sort());
      expect(basename(folder)).toMatch(/^fathom-pth-/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
