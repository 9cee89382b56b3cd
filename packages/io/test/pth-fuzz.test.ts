// readPth fed damaged copies of the fixtures: truncated, extended, bit-flipped
// and overwritten files, and archives whose data.pkl was mutated. Every case
// either loads or throws a DataError; no read is larger than the file, and a
// loaded file holds no more tensor bytes than its size justifies.
// PTH_FUZZ_RUNS sets the number of cases (default 2,000), PTH_FUZZ_SEED the seed.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesPerElement, isFathomError, isTensorLike, type Tensor } from '@fathom/core';
import fc from 'fast-check';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { bytesSource, type ByteSource } from '../src/byte-source.js';
import { readPth, type PthValue } from '../src/pth/read-pth.js';
import { Opcode } from '../src/pth/opcodes.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'pth');
const RUNS = Number(process.env.PTH_FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.PTH_FUZZ_SEED ?? 20240611);
const FILE_RUNS = Math.ceil(RUNS * 0.6);
const PICKLE_RUNS = RUNS - FILE_RUNS;

const files = readdirSync(FIXTURES)
  .filter((file) => !file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, bytes: new Uint8Array(readFileSync(join(FIXTURES, file))) }));

// Archives whose pickle is mutated: the ones that load, in protocols 2 and 4.
const archives = ['dtypes.pt', 'values.pt', 'values-protocol4.pt', 'checkpoint.pth.tar'].map((file) => {
  const records = unzipSync(files.find((f) => f.file === file)!.bytes);
  const pickleName = Object.keys(records).find((name) => name.endsWith('/data.pkl'))!;
  return { file, records, pickleName, pickle: records[pickleName] };
});

const OPCODES = Object.values(Opcode);

/** A source that fails the test (not with a DataError) on any read larger than the file. */
function guarded(bytes: Uint8Array, name: string): ByteSource {
  const inner = bytesSource(bytes, name);
  return {
    name,
    size: inner.size,
    read: (offset, length) => {
      if (length > bytes.length) throw new Error(`${name}: read of ${length} bytes from a file of ${bytes.length}`);
      return inner.read(offset, length);
    },
  };
}

/** Total bytes of the distinct tensors in a loaded value; disposes them. */
function releaseTensors(value: PthValue): number {
  let total = 0;
  const seen = new Set<unknown>();
  const stack: PthValue[] = [value];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item === null || typeof item !== 'object' || seen.has(item) || item instanceof Uint8Array) continue;
    seen.add(item);
    if (isTensorLike(item)) {
      const t = item as Tensor;
      total += t.numel * bytesPerElement(t.dtype);
      t.dispose();
    } else stack.push(...(Array.isArray(item) ? item : Object.values(item)));
  }
  return total;
}

/** Loads `bytes`; a DataError counts as rejected, any other error fails the property. */
async function loadOrReject(bytes: Uint8Array, name: string, tally: { loaded: number; rejected: number }): Promise<void> {
  let value: PthValue;
  try {
    value = await readPth(guarded(bytes, name));
  } catch (error) {
    if (!isFathomError(error, 'DataError')) throw error;
    expect(error.message.startsWith(`${name}: `), error.message).toBe(true);
    tally.rejected++;
    return;
  }
  tally.loaded++;
  // At most 4× the storages' elements (+1 Mi), each at most 4 bytes wide per stored byte (uint8 -> int32).
  expect(releaseTensors(value)).toBeLessThanOrEqual(16 * bytes.length + 4 * 2 ** 20);
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; tail: Uint8Array }
  | { kind: 'flip'; bits: { at: number; bit: number }[] }
  | { kind: 'overwrite'; at: number; with: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; with: Uint8Array };

// Where in the input a mutation lands, as a fraction; unbiased, or fast-check would favour the first byte.
const position = fc.noBias(fc.integer({ min: 0, max: 2 ** 30 - 1 })).map((n) => n / 2 ** 30);
const noise = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 16 }),
  // Bytes that look like what they hit: opcodes, or large little-endian lengths.
  fc.array(fc.constantFrom(...OPCODES), { minLength: 1, maxLength: 8 }).map((codes) => new Uint8Array(codes)),
  fc.constantFrom(new Uint8Array([0xff, 0xff, 0xff, 0xff]), new Uint8Array([0xff, 0xff, 0xff, 0x7f]), new Uint8Array([0, 0, 0, 0x80])),
);

function mutation(withEdits: boolean): fc.Arbitrary<Mutation> {
  const kinds: fc.Arbitrary<Mutation>[] = [
    position.map((at) => ({ kind: 'truncate', at }) as Mutation),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => ({ kind: 'extend', tail }) as Mutation),
    fc.array(fc.record({ at: position, bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 8 }).map((bits) => ({ kind: 'flip', bits }) as Mutation),
    fc.record({ at: position, with: noise }).map(({ at, with: bytes }) => ({ kind: 'overwrite', at, with: bytes }) as Mutation),
  ];
  if (withEdits) {
    kinds.push(
      fc.record({ at: position, length: fc.integer({ min: 1, max: 16 }) }).map(({ at, length }) => ({ kind: 'delete', at, length }) as Mutation),
      fc.record({ at: position, with: noise }).map(({ at, with: bytes }) => ({ kind: 'insert', at, with: bytes }) as Mutation),
    );
  }
  return fc.oneof(...kinds);
}

function apply(bytes: Uint8Array, mutation: Mutation): Uint8Array {
  const at = (fraction: number): number => Math.floor(fraction * bytes.length);
  switch (mutation.kind) {
    case 'truncate':
      return bytes.slice(0, at(mutation.at));
    case 'extend': {
      const out = new Uint8Array(bytes.length + mutation.tail.length);
      out.set(bytes);
      out.set(mutation.tail, bytes.length);
      return out;
    }
    case 'flip': {
      const out = bytes.slice();
      for (const { at: where, bit } of mutation.bits) out[at(where)] ^= 1 << bit;
      return out;
    }
    case 'overwrite': {
      const out = bytes.slice();
      out.set(mutation.with.subarray(0, out.length - at(mutation.at)), at(mutation.at));
      return out;
    }
    case 'delete':
      return new Uint8Array([...bytes.subarray(0, at(mutation.at)), ...bytes.subarray(at(mutation.at) + mutation.length)]);
    case 'insert':
      return new Uint8Array([...bytes.subarray(0, at(mutation.at)), ...mutation.with, ...bytes.subarray(at(mutation.at))]);
  }
}

describe('fuzzing readPth', () => {
  it(`loads or refuses with a DataError ${FILE_RUNS} damaged fixture files`, async () => {
    const tally = { loaded: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: files.length - 1 }), fc.array(mutation(false), { minLength: 1, maxLength: 3 }), async (index, mutations) => {
        const { file, bytes } = files[index];
        const damaged = mutations.reduce<Uint8Array>(apply, bytes);
        await loadOrReject(damaged, file, tally);
      }),
      { seed: SEED, numRuns: FILE_RUNS },
    );
    expect(tally.loaded + tally.rejected).toBe(FILE_RUNS);
    // Flips inside storages leave valid files, flips in the directory break them: both must happen.
    expect(tally.loaded).toBeGreaterThan(FILE_RUNS / 20);
    expect(tally.rejected).toBeGreaterThan(FILE_RUNS / 5);
  });

  it(`loads or refuses with a DataError ${PICKLE_RUNS} archives with a mutated data.pkl`, async () => {
    const tally = { loaded: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: archives.length - 1 }), fc.array(mutation(true), { minLength: 1, maxLength: 4 }), async (index, mutations) => {
        const { file, records, pickleName, pickle } = archives[index];
        const mutated = mutations.reduce<Uint8Array>(apply, pickle);
        const rezipped = zipSync(Object.fromEntries(Object.entries(records).map(([name, data]) => [name, [name === pickleName ? mutated : data, { level: 0 }]])));
        await loadOrReject(rezipped, file, tally);
      }),
      { seed: SEED + 1, numRuns: PICKLE_RUNS },
    );
    expect(tally.loaded + tally.rejected).toBe(PICKLE_RUNS);
    expect(tally.rejected).toBeGreaterThan(PICKLE_RUNS / 5);
  });
});
