import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isFathomError, tensor, type Tensor } from '@fathom/core';
import type { ByteSource } from '../src/byte-source.js';
import { readSafetensors } from '../src/safetensors/read.js';
import { encodeSafetensors } from '../src/safetensors/write.js';

/** A safetensors file written by hand: header JSON (unpadded) then data bytes. */
function handMade(header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

/** A source that fails the test if a reader asks for more than the file holds. */
function watchedSource(bytes: Uint8Array, name = 'hostile.safetensors'): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    read: async (offset, length) => {
      expect(length).toBeLessThanOrEqual(bytes.byteLength);
      if (offset < 0 || offset + length > bytes.byteLength) throw new Error(`test source: read past the end (${offset}+${length} > ${bytes.byteLength})`);
      return bytes.subarray(offset, offset + length);
    },
  };
}

async function expectDataError(bytes: Uint8Array, fragment: string | RegExp): Promise<void> {
  const error = await readSafetensors(watchedSource(bytes)).then(() => null, (e: unknown) => e);
  expect(isFathomError(error, 'DataError'), String(error)).toBe(true);
  expect((error as Error).message).toContain('hostile.safetensors');
  expect((error as Error).message).toMatch(fragment);
}

const f32 = (...values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe('safetensors reader on hostile files', () => {
  it('refuses a header longer than 100 MB before reading it', () => expectDataError(handMade('{}', undefined, 100_000_001n), /exceeds the 100000000-byte limit/));
  it('refuses a header length of 2^64 - 1', () => expectDataError(handMade('{}', undefined, 0xffffffffffffffffn), /exceeds/));
  it('refuses a header that runs past the end', () => expectDataError(handMade('{}', undefined, 64n), /runs past the end/));
  it('refuses a file shorter than 8 bytes', () => expectDataError(new Uint8Array(5), /too short/));
  it('refuses a header that is not JSON', () => expectDataError(handMade('{"a": '), /not valid UTF-8 JSON/));
  it('refuses invalid UTF-8', () => expectDataError(handMade('{"\xff": 1}'.replace('\xff', '\ud800')), /not valid UTF-8 JSON|is not an object/));
  it('refuses a header that is a JSON array', () => expectDataError(handMade('[1]'), /not a JSON object/));
  it('refuses an unknown dtype, naming it', () => expectDataError(handMade({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor 'w' has dtype "F8_E4M3"/));
  it('refuses a negative or fractional dimension', () => expectDataError(handMade({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /shape \[-1\]/));
  it('refuses an unknown field', () => expectDataError(handMade({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: 1 } }, f32(1)), /unknown field 'extra'/));
  it('refuses a size that does not match shape x dtype', () => expectDataError(handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)), /needs 8 bytes but data_offsets span 4/));
  it('refuses a shape whose byte size overflows', () => expectDataError(handMade({ w: { dtype: 'F64', shape: [2 ** 40, 2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs \d+ bytes/));
  it('refuses offsets past the end of the file', () => expectDataError(handMade({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(1)), /cover 16 bytes of data but the file holds 4/));
  it('refuses a gap between tensors', () => expectDataError(handMade({
    a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
  }, f32(1, 2, 3)), /tensor 'b' leaves a gap of 4 bytes/));
  it('refuses overlapping tensors', () => expectDataError(handMade({
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
  }, f32(1, 2)), /overlaps/));
  it('refuses trailing bytes no tensor covers', () => expectDataError(handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1, 2)), /cover 4 bytes of data but the file holds 8/));
  it('refuses non-string metadata', () => expectDataError(handMade({ __metadata__: { epoch: 3 } }), /__metadata__ 'epoch' is not a string/));
  it('refuses an int64 value outside int32, naming the tensor', async () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setBigInt64(8, 2n ** 31n, true);
    await expectDataError(handMade({ steps: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data), /tensor 'steps': int64 element 1 is 2147483648, outside int32's range/);
  });
  it('refuses bool bytes other than 0 and 1', () => expectDataError(handMade({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, new Uint8Array([1, 0, 7])), /bool element 2 is byte 7/));

  it('reads what the spec allows: I8, I16, U8 and in-range I64 as int32, an empty file of tensors', async () => {
    const data = new Uint8Array(8 + 2 + 2 + 1 + 1);
    const view = new DataView(data.buffer);
    view.setBigInt64(0, -5n, true);
    view.setInt16(8, -300, true);
    view.setInt16(10, 300, true);
    view.setInt8(12, -7);
    view.setUint8(13, 250);
    const { tensors } = await readSafetensors(watchedSource(handMade({
      a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
      b: { dtype: 'I16', shape: [2], data_offsets: [8, 12] },
      c: { dtype: 'I8', shape: [], data_offsets: [12, 13] },
      d: { dtype: 'U8', shape: [1, 1], data_offsets: [13, 14] },
    }, data)));
    expect(await tensors.a.toArray()).toEqual([-5]);
    expect(await tensors.b.toArray()).toEqual([-300, 300]);
    expect(await tensors.c.toArray()).toEqual(-7);
    expect(await tensors.d.toArray()).toEqual([[250]]);
    expect(Object.values(tensors).map((t) => t.dtype)).toEqual(['int32', 'int32', 'int32', 'int32']);
    expect((await readSafetensors(watchedSource(handMade({})))).tensors).toEqual({});
  });
});

/**
 * An independent decoder for the fuzz test: what a correct load must give,
 * read straight from the bytes with the header parsed by plain JSON.parse.
 */
function expectedValues(bytes: Uint8Array): Map<string, number[]> {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const data = new DataView(bytes.buffer, bytes.byteOffset + 8 + length);
  const out = new Map<string, number[]>();
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    const values: number[] = [];
    for (let at = begin; at < end;) {
      switch (entry.dtype) {
        case 'F32': values.push(data.getFloat32(at, true)); at += 4; break;
        case 'F64': values.push(data.getFloat64(at, true)); at += 8; break;
        case 'I32': values.push(data.getInt32(at, true)); at += 4; break;
        case 'I64': values.push(Number(data.getBigInt64(at, true))); at += 8; break;
        case 'U8': case 'BOOL': values.push(data.getUint8(at)); at += 1; break;
        default: throw new Error(`fuzz reference: unexpected dtype ${entry.dtype}`);
      }
    }
    out.set(name, values);
  }
  return out;
}

async function sample(): Promise<Uint8Array> {
  const tensors: Record<string, Tensor> = {
    'conv.weight': tensor(new Float32Array([0.5, -1, 2, 3.5, 1e-3, 7]), { shape: [2, 3] }),
    'conv.bias': tensor(new Float64Array([1, 2])),
    'bn.num_batches_tracked': tensor(new Int32Array([12])),
    'mask': tensor([true, false, true]),
  };
  return encodeSafetensors(tensors, { metadata: { arch: 'tiny' }, int: 'I64' });
}

const RUNS = Number(process.env.SAFETENSORS_FUZZ_RUNS ?? 3000);

describe('safetensors reader fuzzed', () => {
  it(`gives a typed error or exactly the file's values for ${RUNS} mutated files`, async () => {
    const valid = await sample();
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(valid.byteLength - 1) }),
      fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
      fc.record({ kind: fc.constant('flip' as const), flips: fc.array(fc.record({ at: fc.nat(valid.byteLength - 1), bit: fc.nat(7) }), { minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant('header' as const), at: fc.nat(valid.byteLength - 1), text: fc.constantFrom('0', '9', '-', '"', ',', '}', '[', ']', ' ', 'e', '1e9', '99999999999999999999', '{}', 'null') }),
      fc.record({ kind: fc.constant('length' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    );
    let loaded = 0;
    let refused = 0;
    await fc.assert(fc.asyncProperty(mutation, async (m) => {
      let bytes: Uint8Array;
      switch (m.kind) {
        case 'truncate': bytes = valid.slice(0, m.at); break;
        case 'extend': bytes = new Uint8Array([...valid, ...m.extra]); break;
        case 'flip': bytes = valid.slice(); for (const { at, bit } of m.flips) bytes[at] ^= 1 << bit; break;
        case 'header': {
          const text = new TextEncoder().encode(m.text);
          bytes = valid.slice();
          bytes.set(text.subarray(0, bytes.byteLength - m.at), m.at);
          break;
        }
        case 'length': bytes = valid.slice(); new DataView(bytes.buffer).setBigUint64(0, m.value, true); break;
      }
      let result: Awaited<ReturnType<typeof readSafetensors>>;
      try {
        result = await readSafetensors(watchedSource(bytes));
      } catch (error) {
        if (!isFathomError(error, 'DataError')) throw error;
        refused++;
        return;
      }
      loaded++;
      const expected = expectedValues(bytes);
      expect(new Set(Object.keys(result.tensors))).toEqual(new Set(expected.keys()));
      for (const [name, values] of expected) {
        const got = Array.from(await result.tensors[name].data());
        expect(got.length).toBe(values.length);
        got.forEach((v, i) => expect(Object.is(v, values[i]) || (Number.isNaN(v) && Number.isNaN(values[i])), `${name}[${i}]`).toBe(true));
      }
    }), { numRuns: RUNS, seed: 20261205 });
    // Both outcomes must be exercised, or the property proves nothing.
    expect(loaded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(RUNS / 2);
  });
});
