import { DataError } from '@fathom/core';

/** The element types an IDX file can hold, by their type byte. */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

const IDX_TYPES: Readonly<Record<number, { readonly dtype: IdxDType; readonly bytes: number }>> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** The contents of an IDX file. */
export interface IdxArray {
  readonly dtype: IdxDType;
  /** The dimensions the header declares, outermost first. */
  readonly shape: readonly number[];
  /** The elements, row-major (big-endian in the file, native here). */
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * Parses an IDX file (the format of the MNIST distribution): two zero bytes, a
 * type byte, a dimension count, the dimensions as big-endian uint32, then the
 * elements. Every check happens before anything is allocated, and the data
 * must fill the file exactly, so a damaged file raises {@link DataError} naming
 * `source` and what is wrong — never a huge allocation or a partial read.
 *
 * ```ts
 * const labels = parseIdx(bytes, 'train-labels-idx1-ubyte');
 * labels.shape; // [60000]
 * ```
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  const fail = (what: string): never => {
    throw new DataError(`${source}: ${what}`);
  };
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) fail('is gzip-compressed; decompress it first (loadMnist in @fathom/datasets/node does)');
  if (bytes.length < 4) fail(`truncated: ${bytes.length} bytes, shorter than the 4-byte IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`wrong magic number: an IDX file starts with two zero bytes, this one with ${hex(bytes[0])} ${hex(bytes[1])}`);
  const type = IDX_TYPES[bytes[2]];
  if (type === undefined) fail(`wrong magic number: unknown element type byte ${hex(bytes[2])} (IDX knows 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e)`);
  const { dtype, bytes: elementBytes } = type as { dtype: IdxDType; bytes: number };
  const ndim = bytes[3];
  if (ndim === 0) fail('wrong dimensions: the header declares 0 dimensions');
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) fail(`truncated: the header declares ${ndim} dimensions (${headerLength} header bytes) but the file has ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    shape.push(size);
    // Stays exact in a double as long as it is compared before it can grow past 2^53.
    count *= size;
    if (count * elementBytes > bytes.length) {
      fail(`truncated: the header declares dimensions [${[...shape, ...Array.from({ length: ndim - d - 1 }, (_, k) => view.getUint32(8 + 4 * (d + k), false))].join(', ')}], more data than the ${bytes.length}-byte file holds`);
    }
  }
  const dataBytes = count * elementBytes;
  const available = bytes.length - headerLength;
  if (available < dataBytes) fail(`truncated: dimensions [${shape.join(', ')}] of ${dtype} need ${dataBytes} bytes after the header, the file has ${available}`);
  if (available > dataBytes) fail(`extended: ${available - dataBytes} bytes past the end of the [${shape.join(', ')}] ${dtype} data`);
  const body = bytes.subarray(headerLength);
  let data: IdxArray['data'];
  switch (dtype) {
    case 'uint8':
      data = Uint8Array.from(body);
      break;
    case 'int8':
      data = new Int8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
      break;
    default: {
      const Kind = dtype === 'int16' ? Int16Array : dtype === 'int32' ? Int32Array : dtype === 'float32' ? Float32Array : Float64Array;
      const out = new Kind(count);
      const read = (at: number): number => {
        switch (dtype) {
          case 'int16': return view.getInt16(at, false);
          case 'int32': return view.getInt32(at, false);
          case 'float32': return view.getFloat32(at, false);
          default: return view.getFloat64(at, false);
        }
      };
      for (let i = 0; i < count; i++) out[i] = read(headerLength + i * elementBytes);
      data = out;
    }
  }
  return { dtype, shape, data };
}
