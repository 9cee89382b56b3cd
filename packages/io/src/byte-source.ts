import { DataError } from '@fathom/core';

/**
 * Random access to the bytes of a file or a buffer: every reader reads
 * through one, a piece at a time, so a large file is never held whole and a
 * header's offsets are checked against the real size before anything is read.
 *
 * ```ts
 * const source = bytesSource(new Uint8Array(await (await fetch(url)).arrayBuffer()), 'model.safetensors');
 * const { tensors } = await readSafetensors(source);
 * ```
 */
export interface ByteSource {
  /** What error messages call the input: a file's path, or a name given with the bytes. */
  readonly name: string;
  /** The number of bytes. */
  readonly size: number;
  /** `length` bytes from `offset`; a range past the end is a `DataError` naming the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Throws a `DataError` unless `[offset, offset + length)` lies inside a source of `size` bytes. */
export function checkRange(name: string, size: number, offset: number, length: number, what = 'read'): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new DataError(`${name}: ${what} of ${length} bytes at offset ${offset} runs past the end of the file (${size} bytes)`);
  }
}

/** A {@link ByteSource} over bytes already in memory (a fetched file in a browser, a test's buffer). Reads return views, not copies. */
export function bytesSource(bytes: Uint8Array, name = '<bytes>'): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    read: async (offset, length) => {
      checkRange(name, bytes.byteLength, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}
