import { open, type FileHandle } from 'node:fs/promises';
import { DataError } from '@fathom/core';
import { checkRange, type ByteSource } from '../byte-source.js';

/** A {@link ByteSource} over an open file; close it when done (or use {@link withFileSource}). */
export interface FileSource extends ByteSource, AsyncDisposable {
  /** Closes the file. */
  close(): Promise<void>;
}

/**
 * Opens a file for piecewise reading: each `read` is one positioned read of
 * just that range, so a 500 MB file is never held whole.
 *
 * ```ts
 * await using source = await openFileSource('vgg16.safetensors');
 * const header = await readSafetensorsHeader(source);
 * ```
 */
export async function openFileSource(path: string): Promise<FileSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new DataError(`${path}: cannot open (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const { size } = await handle.stat();
  const close = () => handle.close();
  return {
    name: path,
    size,
    read: async (offset, length) => {
      checkRange(path, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new DataError(`${path}: the file ended at ${offset + done} bytes while reading ${length} bytes at ${offset} (changed while open?)`);
        done += bytesRead;
      }
      return out;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Runs `read` on a file opened with {@link openFileSource}, closing it afterwards whatever happens. */
export async function withFileSource<T>(path: string, read: (source: ByteSource) => Promise<T>): Promise<T> {
  const source = await openFileSource(path);
  try {
    return await read(source);
  } finally {
    await source.close();
  }
}
