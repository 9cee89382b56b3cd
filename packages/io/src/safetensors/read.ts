import type { Device, Tensor } from '@fathom/core';
import { bytesSource, type ByteSource } from '../byte-source.js';
import { tensorFromBytes } from '../stored-dtype.js';
import { readSafetensorsHeader, type SafetensorsEntry } from './header.js';

/** Where read tensors go and which are read. */
export interface ReadSafetensorsOptions {
  /** The device of the tensors (default: the default device). */
  readonly device?: Device;
  /** Read only the tensors this returns true for (default: all); the others' bytes are never read. */
  readonly filter?: (entry: SafetensorsEntry) => boolean;
}

/** The tensors of a safetensors file by name, and its `__metadata__`. */
export interface SafetensorsContents {
  /** The tensors, by name. */
  readonly tensors: Record<string, Tensor>;
  /** The `__metadata__` strings. */
  readonly metadata: Record<string, string>;
}

/**
 * Reads a safetensors file tensor by tensor, so peak memory stays near the
 * tensors' own size. F16 and BF16 widen to float32, I8/I16/U8 to int32, I64
 * to int32 when every value fits (else a `DataError`). The file is checked
 * as untrusted input first ({@link readSafetensorsHeader}).
 *
 * ```ts
 * const { tensors, metadata } = await readSafetensors(bytesSource(bytes, 'weights.safetensors'));
 * ```
 */
export async function readSafetensors(source: ByteSource, options: ReadSafetensorsOptions = {}): Promise<SafetensorsContents> {
  const header = await readSafetensorsHeader(source);
  const entries = options.filter ? header.entries.filter(options.filter) : header.entries;
  const tensors: [string, Tensor][] = [];
  for (const entry of entries) {
    const bytes = await source.read(entry.begin, entry.end - entry.begin);
    tensors.push([entry.name, tensorFromBytes(bytes, entry.dtype, entry.shape, options.device, `${source.name}: tensor '${entry.name}'`)]);
  }
  // fromEntries defines own properties, so a tensor named '__proto__' stays a tensor.
  return { tensors: Object.fromEntries(tensors), metadata: { ...header.metadata } };
}

/**
 * {@link readSafetensors} on bytes in memory (a browser's fetched file).
 *
 * ```ts
 * const { tensors } = await decodeSafetensors(new Uint8Array(await response.arrayBuffer()));
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions & { readonly name?: string } = {}): Promise<SafetensorsContents> {
  return readSafetensors(bytesSource(bytes, options.name), options);
}
