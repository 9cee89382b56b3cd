import { describe, expect, it } from 'vitest';
import { arange, chunk, expand, flatten, narrow, pad, permute, reshape, select, slice, split, squeeze, t, tensor, transpose, unsqueeze, view } from '../index.js';

// What the conformance kit cannot see: which results are views of their input's
// storage (as in PyTorch) and with which geometry.

const grid = () => reshape(arange(12), [3, 4]); // (3, 4), strides [4, 1]

describe('views share storage where PyTorch views do', () => {
  it('transpose, t and permute are views with swapped strides', () => {
    const x = grid();
    const y = x.transpose(0, 1);
    expect(y.storage).toBe(x.storage);
    expect(y.shape).toEqual([4, 3]);
    expect(y.strides).toEqual([1, 4]);
    expect(t(x).storage).toBe(x.storage);
    const z = reshape(arange(24), [2, 3, 4]);
    const p = permute(z, [2, 0, 1]);
    expect(p.storage).toBe(z.storage);
    expect(p.strides).toEqual([1, 12, 4]);
    expect(transpose(z, -1, 0).strides).toEqual([1, 4, 12]);
  });

  it('reshape of a contiguous tensor shares its storage', () => {
    const x = grid();
    const y = reshape(x, [2, 6]);
    expect(y.storage).toBe(x.storage);
    expect(y.strides).toEqual([6, 1]);
    expect(reshape(x, [-1]).storage).toBe(x.storage);
    expect(view(x, [4, 3]).storage).toBe(x.storage);
    expect(flatten(x).storage).toBe(x.storage);
  });

  it('reshape of a transposed tensor copies', async () => {
    const x = grid();
    const y = reshape(x.transpose(0, 1), [12]);
    expect(y.storage).not.toBe(x.storage);
    expect(y.isContiguous()).toBe(true);
    expect(Array.from(await y.data())).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });

  it('reshape of a transposed tensor shares when the strides allow it (splitting one dim)', () => {
    const x = grid().transpose(0, 1); // (4, 3), strides [1, 4]
    const y = reshape(x, [2, 2, 3]);
    expect(y.storage).toBe(x.storage);
    expect(y.strides).toEqual([2, 1, 4]);
  });

  it('expand gives zero strides to broadcast dims without copying', () => {
    const x = reshape(arange(3), [3, 1]);
    const y = expand(x, [2, 3, 4]);
    expect(y.storage).toBe(x.storage);
    expect(y.shape).toEqual([2, 3, 4]);
    expect(y.strides).toEqual([0, 1, 0]);
    expect(expand(x, [-1, 5]).strides).toEqual([1, 0]);
  });

  it('slice has the right offset and strides', () => {
    const x = grid();
    const columns = slice(x, 1, 1, undefined, 2); // columns 1 and 3
    expect(columns.storage).toBe(x.storage);
    expect(columns.shape).toEqual([3, 2]);
    expect(columns.strides).toEqual([4, 2]);
    expect(columns.offset).toBe(1);
    const rows = slice(x, 0, -2); // rows 1 and 2
    expect(rows.offset).toBe(4);
    expect(rows.strides).toEqual([4, 1]);
    const nested = slice(columns, 0, 1, 3); // rows 1..2 of columns 1 and 3
    expect(nested.offset).toBe(5);
    expect(nested.strides).toEqual([4, 2]);
  });

  it('narrow, select, split and chunk are views at the right offsets', () => {
    const x = grid();
    const n = narrow(x, 1, 2, 2);
    expect(n.storage).toBe(x.storage);
    expect(n.offset).toBe(2);
    const s = select(x, 0, 2);
    expect(s.storage).toBe(x.storage);
    expect(s.offset).toBe(8);
    expect(s.strides).toEqual([1]);
    const column = select(x, 1, -1);
    expect(column.offset).toBe(3);
    expect(column.strides).toEqual([4]);
    const pieces = split(x, [1, 3], 1);
    expect(pieces.map((p) => p.storage === x.storage)).toEqual([true, true]);
    expect(pieces.map((p) => p.offset)).toEqual([0, 1]);
    const chunks = chunk(x, 2, 0);
    expect(chunks.map((c) => c.shape)).toEqual([[2, 4], [1, 4]]);
    expect(chunks.map((c) => c.offset)).toEqual([0, 8]);
  });

  it('squeeze and unsqueeze are views', () => {
    const x = reshape(arange(12), [1, 3, 1, 4]);
    expect(squeeze(x).storage).toBe(x.storage);
    expect(squeeze(x).strides).toEqual([4, 1]);
    const u = unsqueeze(grid(), 1);
    expect(u.shape).toEqual([3, 1, 4]);
  });

  it('contiguous returns the tensor itself when already contiguous, a copy otherwise', () => {
    const x = grid();
    expect(x.contiguous()).toBe(x);
    const y = x.transpose(0, 1).contiguous();
    expect(y.storage).not.toBe(x.storage);
    expect(y.strides).toEqual([3, 1]);
    expect(x.clone().storage).not.toBe(x.storage);
  });

  it('a view keeps the storage alive after its base is disposed', async () => {
    const x = grid();
    const y = x.transpose(0, 1);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    y.dispose();
  });
});

describe('pad crops', () => {
  it('refuses a crop larger than the dim', async () => {
    expect(() => pad(tensor([1, 2, 3]), [2, -4])).toThrow(/crops more than the 3 elements of dimension 0/);
    expect(await pad(tensor([1, 2, 3]), [1, -2]).toArray()).toEqual([0, 1]);
  });
});
