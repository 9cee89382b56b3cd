import { readFile } from 'node:fs/promises';
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { DataError } from '@fathom/core';

// Deflate cannot expand data more than about 1032:1, so a gzip file of n bytes
// that claims more than that is damaged or hostile: capping the output there
// keeps a corrupt file from allocating more than its size justifies.
const DEFLATE_MAX_RATIO = 1032;

/** The bytes of a file; a missing or unreadable file is a {@link DataError} naming it and `op`. */
export async function readDataFile(op: string, path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw new DataError(`${op}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** `bytes` decompressed when they start with the gzip magic bytes, else unchanged; damaged gzip data is a {@link DataError} naming `path`. */
export function gunzipIfCompressed(path: string, bytes: Uint8Array): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const maxOutputLength = Math.min(bytes.length * DEFLATE_MAX_RATIO + 1024, bufferConstants.MAX_LENGTH);
  try {
    const out = gunzipSync(bytes, { maxOutputLength });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    throw new DataError(`${path}: is not a valid gzip file: ${(error as Error).message}`);
  }
}
