import { DataError } from '@fathom/core';

/**
 * The byte offset of the first byte that does not start a well-formed UTF-8
 * sequence (overlong forms, surrogates, code points above U+10FFFF and
 * sequences cut short count as malformed, as the WHATWG decoder says), or −1
 * when all of `bytes` is valid UTF-8.
 *
 * ```ts
 * firstInvalidUtf8(new Uint8Array([0x63, 0x61, 0x66, 0xe9])); // 3: "café" in Latin-1
 * ```
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const length = bytes.length;
  let i = 0;
  const continuation = (at: number, low = 0x80, high = 0xbf): boolean => at < length && bytes[at] >= low && bytes[at] <= high;
  while (i < length) {
    const lead = bytes[i];
    if (lead < 0x80) { i++; continue; }
    if (lead >= 0xc2 && lead <= 0xdf) {
      if (!continuation(i + 1)) return i;
      i += 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      const low = lead === 0xe0 ? 0xa0 : 0x80;
      const high = lead === 0xed ? 0x9f : 0xbf;
      if (!continuation(i + 1, low, high) || !continuation(i + 2)) return i;
      i += 3;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      const low = lead === 0xf0 ? 0x90 : 0x80;
      const high = lead === 0xf4 ? 0x8f : 0xbf;
      if (!continuation(i + 1, low, high) || !continuation(i + 2) || !continuation(i + 3)) return i;
      i += 4;
    } else {
      return i;
    }
  }
  return -1;
}

/**
 * Decodes UTF-8 bytes strictly (a leading byte-order mark is dropped). Bytes
 * that are not UTF-8 — a Latin-1 or UTF-16 file, a binary file — raise
 * {@link DataError} naming `source` and the byte offset, instead of turning
 * into U+FFFD characters that would end up in a vocabulary.
 *
 * ```ts
 * const text = decodeUtf8(bytes, 'input.txt');
 * ```
 */
export function decodeUtf8(bytes: Uint8Array, source = 'text'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const shown = Array.from(bytes.subarray(Math.max(0, at), Math.max(0, at) + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`${source}: is not valid UTF-8: malformed byte sequence at byte ${at} (${shown}); re-save the file as UTF-8`);
  }
}
