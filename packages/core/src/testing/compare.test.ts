import { describe, expect, it } from 'vitest';
import { assertClose, toleranceFor, TOLERANCES } from './compare.js';
import { ref } from './reference.js';

const tight = { rtol: 1e-6, atol: 1e-6 };
const actual = (shape: number[], values: number[], dtype: 'float32' | 'int32' | 'bool' = 'float32') => ({
  shape,
  dtype,
  data: dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : Uint8Array.from(values),
});

describe('assertClose', () => {
  it('accepts values within atol + rtol·|expected|', () => {
    expect(() => assertClose(actual([2], [1, 1000]), ref([2], [1 + 1.5e-6, 1000 + 9e-4]), tight, 'ok')).not.toThrow();
  });

  it('names the context, the first bad coordinates, both values and the count', () => {
    expect(() => assertClose(actual([2, 2], [1, 2, 3, 4]), ref([2, 2], [1, 2, 3.1, 4.2]), tight, 'op › case')).toThrow(
      /op › case: 2 of 4 elements differ.*first at \[1,0\]: actual 3, expected 3\.1/,
    );
  });

  it('requires NaN exactly where the reference has NaN', () => {
    expect(() => assertClose(actual([2], [NaN, 1]), ref([2], [NaN, 1]), tight, 'c')).not.toThrow();
    expect(() => assertClose(actual([2], [NaN, 1]), ref([2], [0, 1]), tight, 'c')).toThrow(/actual NaN, expected 0/);
    expect(() => assertClose(actual([2], [0, 1]), ref([2], [NaN, 1]), tight, 'c')).toThrow(/actual 0, expected NaN/);
  });

  it('requires infinities of the same sign, never equal to NaN or a large finite value', () => {
    expect(() => assertClose(actual([2], [Infinity, -Infinity]), ref([2], [Infinity, -Infinity]), tight, 'c')).not.toThrow();
    expect(() => assertClose(actual([1], [-Infinity]), ref([1], [Infinity]), tight, 'c')).toThrow(/actual -Infinity, expected \+Infinity/);
    expect(() => assertClose(actual([1], [NaN]), ref([1], [Infinity]), tight, 'c')).toThrow(/actual NaN/);
    expect(() => assertClose(actual([1], [3e38]), ref([1], [Infinity]), { rtol: 1, atol: 1 }, 'c')).toThrow(/expected \+Infinity/);
  });

  it('checks shape and dtype first', () => {
    expect(() => assertClose(actual([3], [1, 2, 3]), ref([1, 3], [1, 2, 3]), tight, 'c')).toThrow(/shape \[3\] differs from the reference's \[1,3\]/);
    expect(() => assertClose(actual([1], [1], 'int32'), ref([1], [1]), tight, 'c')).toThrow(/dtype int32 differs from the reference's float32/);
  });

  it('compares int32 and bool exactly', () => {
    expect(() => assertClose(actual([1], [16777217], 'int32'), ref([1], [16777216], 'int32'), { rtol: 1e-3, atol: 1e-3 }, 'c')).toThrow(/exact/);
    expect(() => assertClose(actual([2], [1, 0], 'bool'), ref([2], [1, 0], 'bool'), tight, 'c')).not.toThrow();
  });

  it('accepts empty tensors of the right shape', () => {
    expect(() => assertClose(actual([0, 3], []), ref([0, 3], []), tight, 'c')).not.toThrow();
  });
});

describe('toleranceFor', () => {
  it('uses the CPU column for cpu and the GPU column for any other device', () => {
    expect(toleranceFor('cpu', 'T3')).toEqual({ rtol: 1e-5, atol: 1e-5 });
    expect(toleranceFor('webgpu', 'T2')).toEqual({ rtol: 1e-4, atol: 1e-5 });
    expect(toleranceFor('anything', 'T1')).toBe(TOLERANCES.gpu.T1);
  });
});
