import { isFathomError } from '@fathom/core';
import { describe, expect, it } from 'vitest';
import { idxBytes } from '../test/fixtures.js';
import { parseIdx } from './idx.js';

function errorOf(bytes: Uint8Array): Error {
  try {
    parseIdx(bytes, 'x.idx');
  } catch (error) {
    expect(isFathomError(error, 'DataError')).toBe(true);
    return error as Error;
  }
  throw new Error('expected a DataError');
}

describe('parseIdx', () => {
  it('reads a hand-built uint8 file', () => {
    const bytes = new Uint8Array([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]);
    const parsed = parseIdx(bytes);
    expect(parsed.dtype).toBe('uint8');
    expect(parsed.shape).toEqual([2, 3]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 255]);
  });

  it('reads big-endian int8, int16, int32, float32 and float64', () => {
    expect(Array.from(parseIdx(idxBytes(0x09, [2], [0xff, 0x7f])).data)).toEqual([-1, 127]);
    expect(Array.from(parseIdx(idxBytes(0x0b, [2], [0x01, 0x02, 0xff, 0xfe])).data)).toEqual([258, -2]);
    expect(Array.from(parseIdx(idxBytes(0x0c, [1], [0x80, 0, 0, 1])).data)).toEqual([-2147483647]);
    // 1.5 is 0x3fc00000 in float32 and 0x3ff8000000000000 in float64.
    expect(Array.from(parseIdx(idxBytes(0x0d, [1], [0x3f, 0xc0, 0, 0])).data)).toEqual([1.5]);
    expect(Array.from(parseIdx(idxBytes(0x0e, [1], [0x3f, 0xf8, 0, 0, 0, 0, 0, 0])).data)).toEqual([1.5]);
  });

  it('names what is wrong with a damaged file', () => {
    const good = idxBytes(0x08, [2, 3], [1, 2, 3, 4, 5, 6]);
    const cases: [Uint8Array, RegExp][] = [
      [good.slice(0, 3), /x\.idx: truncated: 3 bytes, shorter than the 4-byte IDX header/],
      [new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]), /x\.idx: wrong magic number: .* starts with two zero bytes, this one with 0x01 0x00/],
      [new Uint8Array([0, 0, 0x0a, 1, 0, 0, 0, 0]), /unknown element type byte 0x0a/],
      [new Uint8Array([0, 0, 8, 0]), /wrong dimensions: the header declares 0 dimensions/],
      [good.slice(0, 9), /truncated: the header declares 2 dimensions \(12 header bytes\) but the file has 9 bytes/],
      [good.slice(0, 16), /truncated: dimensions \[2, 3\] of uint8 need 6 bytes after the header, the file has 4/],
      [new Uint8Array([...good, 9, 9]), /extended: 2 bytes past the end of the \[2, 3\] uint8 data/],
      [idxBytes(0x08, [0xffffffff, 0xffffffff, 0xffffffff], []), /truncated: the header declares dimensions \[4294967295, 4294967295, 4294967295\], more data than the 16-byte file holds/],
      [new Uint8Array([0x1f, 0x8b, 8, 0]), /gzip-compressed; decompress it first/],
    ];
    for (const [bytes, message] of cases) expect(errorOf(bytes).message).toMatch(message);
  });
});
