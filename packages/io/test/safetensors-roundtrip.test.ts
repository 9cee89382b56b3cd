import { describe, expect, it } from 'vitest';
import { tensor, zeros, type Tensor } from '@fathom/core';
import { decodeSafetensors } from '../src/safetensors/read.js';
import { encodeSafetensors } from '../src/safetensors/write.js';

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

function headerOf(bytes: Uint8Array): { length: number; json: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) };
}

describe('safetensors round trip', () => {
  it('keeps every value of every dtype exactly, with metadata', async () => {
    const f32 = new Float32Array([0, -0, 1.5, -3.25, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, 0.1]);
    const f64 = new Float64Array([Math.PI, -Number.MIN_VALUE, Number.MAX_VALUE, NaN, -0, 1 / 3]);
    const i32 = new Int32Array([-2147483648, 2147483647, 0, -1, 42, 7]);
    const tensors = {
      'layer.weight': tensor(f32, { shape: [2, 5] }),
      'double': tensor(f64, { shape: [3, 2] }),
      'ints': tensor(i32, { shape: [6] }),
      'mask': tensor([[true, false], [false, true]]),
      'scalar': tensor(2.5),
      'empty': zeros([0, 3]),
      'ünïcode ключ': tensor([1, 2]),
      '__proto__': tensor([9]),
    };
    const bytes = await encodeSafetensors(tensors, { metadata: { format: 'pt', note: 'ω' } });
    const { tensors: read, metadata } = await decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'ω' });
    expect(Object.keys(read).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, original] of Object.entries(tensors)) {
      const loaded = read[name];
      expect(loaded.shape, name).toEqual(original.shape);
      expect(loaded.dtype, name).toBe(original.dtype);
      // Object.is tells -0 from 0 and matches NaN with NaN.
      const got = await values(loaded);
      const want = await values(original);
      expect(got.length).toBe(want.length);
      got.forEach((v, i) => expect(Object.is(v, want[i]), `${name}[${i}]: ${v} vs ${want[i]}`).toBe(true));
    }
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
  });

  it('lays the file out as the reference writer does', async () => {
    const bytes = await encodeSafetensors({
      b: tensor([true]),
      a: tensor(new Float64Array([1])),
      c: tensor([1, 2, 3]),
      d: tensor(new Int32Array([5])),
      aa: tensor([4]),
    }, { metadata: { k: 'v' } });
    const { length, json } = headerOf(bytes);
    // Header padded with spaces to 8 bytes, so every tensor starts 8-aligned.
    expect(length % 8).toBe(0);
    expect(bytes[8 + length - 1] === 0x20 || bytes[8 + length - 1] === 0x7d).toBe(true);
    // Largest element size first, then by name: F64 a; F32/I32 aa, c, d; BOOL b.
    const order = Object.keys(json).filter((k) => k !== '__metadata__');
    expect(order).toEqual(['a', 'aa', 'c', 'd', 'b']);
    expect(Object.keys(json)[0]).toBe('__metadata__');
    expect(json.a.data_offsets).toEqual([0, 8]);
    expect(json.aa.data_offsets).toEqual([8, 12]);
    expect(json.c.data_offsets).toEqual([12, 24]);
    expect(json.d.data_offsets).toEqual([24, 28]);
    expect(json.b.data_offsets).toEqual([28, 29]);
    expect(bytes.byteLength).toBe(8 + length + 29);
  });

  it('writes float16 and bfloat16 on request, rounding to nearest even', async () => {
    // Hand-derived bit patterns of IEEE binary16 and bfloat16.
    const inputs = [1, -2, 65504, 65520, 1 / 3, 5.960464477539063e-8, 2.9802322387695312e-8, 1e-10, NaN, -Infinity, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
    const halfBits = [0x3c00, 0xc000, 0x7bff, 0x7c00, 0x3555, 0x0001, 0x0000, 0x0000, 0x7e00, 0xfc00, 0x3c00, 0x3c02];
    const bf16Inputs = [1, Math.PI, -0.1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4028234663852886e38, -Infinity];
    const bf16Bits = [0x3f80, 0x4049, 0xbdcd, 0x3f80, 0x3f82, 0x7f80, 0xff80];
    const half = await encodeSafetensors({ x: tensor(new Float32Array(inputs)) }, { float: 'F16' });
    const bf16 = await encodeSafetensors({ x: tensor(new Float32Array(bf16Inputs)) }, { float: 'BF16' });
    for (const [bytes, bits, dtype] of [[half, halfBits, 'F16'], [bf16, bf16Bits, 'BF16']] as const) {
      const { length, json } = headerOf(bytes);
      expect(json.x.dtype).toBe(dtype);
      const data = new DataView(bytes.buffer, bytes.byteOffset + 8 + length);
      expect(bits.map((_, i) => data.getUint16(2 * i, true).toString(16))).toEqual(bits.map((b) => b.toString(16)));
    }
    // Widened back to float32: the exact values those bit patterns denote.
    const back = await values((await decodeSafetensors(half)).tensors.x);
    expect(back.slice(0, 8)).toEqual([1, -2, 65504, Infinity, 0.333251953125, 2 ** -24, 0, 0]);
    expect(Number.isNaN(back[8])).toBe(true);
    const backBf = await values((await decodeSafetensors(bf16)).tensors.x);
    expect(backBf.slice(0, 3)).toEqual([1, 3.140625, -0.10009765625]);
  });

  it('writes int32 as int64 on request', async () => {
    const bytes = await encodeSafetensors({ n: tensor(new Int32Array([-2147483648, 3])) }, { int: 'I64' });
    const { length, json } = headerOf(bytes);
    expect(json.n).toEqual({ dtype: 'I64', shape: [2], data_offsets: [0, 16] });
    const data = new DataView(bytes.buffer, bytes.byteOffset + 8 + length);
    expect([data.getBigInt64(0, true), data.getBigInt64(8, true)]).toEqual([-2147483648n, 3n]);
    const back = (await decodeSafetensors(bytes)).tensors.n;
    expect(back.dtype).toBe('int32');
    expect(await values(back)).toEqual([-2147483648, 3]);
  });

  it('writes views as PyTorch would save their contents', async () => {
    const base = tensor([[1, 2, 3], [4, 5, 6]]);
    const bytes = await encodeSafetensors({ t: base.transpose(0, 1), s: base.slice(1, 1, 3) });
    const { tensors } = await decodeSafetensors(bytes);
    expect(await tensors.t.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(await tensors.s.toArray()).toEqual([[2, 3], [5, 6]]);
  });
});
