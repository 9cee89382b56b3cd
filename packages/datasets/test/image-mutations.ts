import { damage } from './fixtures.js';

/** The formats the image fuzzer mutates. */
export type FuzzFormat = 'png' | 'jpeg' | 'jpeg-progressive' | 'webp' | 'tiff';

/** One mutated file and what was done to it. */
export interface Mutation {
  readonly bytes: Uint8Array;
  readonly how: string;
}

type Random = (limit: number) => number;

const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** PNG's CRC-32 of `bytes`. */
function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

// Sizes a hostile or damaged header declares: empty, tiny, at format limits, huge.
const SIZES = [0, 1, 7, 255, 4096, 16_383, 65_500, 65_535, 65_536, 1 << 20, 16_777_215, 16_777_232, 2 ** 31 - 1];
const size = (random: Random): number => (random(3) === 0 ? 1 + random(70_000) : SIZES[random(SIZES.length)]);

interface Segment { readonly start: number; readonly end: number }

/** PNG chunks (length, type, data, CRC) after the signature. */
function pngChunks(bytes: Uint8Array): Segment[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Segment[] = [];
  for (let at = 8; at + 12 <= bytes.length;) {
    const end = at + 12 + view.getUint32(at);
    if (end > bytes.length) break;
    chunks.push({ start: at, end });
    at = end;
  }
  return chunks;
}

/** JPEG marker segments with a length, up to the start of scan. */
function jpegSegments(bytes: Uint8Array): Segment[] {
  const segments: Segment[] = [];
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff;) {
    const end = at + 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
    segments.push({ start: at, end: Math.min(end, bytes.length) });
    if (bytes[at + 1] === 0xda) break; // SOS: entropy-coded data follows
    at = end;
  }
  return segments;
}

/** A copy of a valid image whose header declares `width` × `height` (PNG's CRC kept valid); undefined where the header is not found. */
export function withDeclaredSize(format: FuzzFormat, input: Uint8Array, width: number, height: number): Uint8Array | undefined {
  const bytes = input.slice();
  const view = new DataView(bytes.buffer);
  if (format === 'png') {
    view.setUint32(16, width >>> 0);
    view.setUint32(20, height >>> 0);
    view.setUint32(29, crc32(bytes.subarray(12, 29)));
    return bytes;
  }
  if (format === 'jpeg' || format === 'jpeg-progressive') {
    const frame = jpegSegments(bytes).find(({ start }) => [0xc0, 0xc1, 0xc2].includes(bytes[start + 1]));
    if (!frame) return undefined;
    view.setUint16(frame.start + 5, height & 0xffff);
    view.setUint16(frame.start + 7, width & 0xffff);
    return bytes;
  }
  if (format === 'webp') {
    const chunk = String.fromCharCode(...bytes.subarray(12, 16));
    if (chunk === 'VP8L') {
      const packed = ((Math.max(width, 1) - 1) & 0x3fff) | (((Math.max(height, 1) - 1) & 0x3fff) << 14) | (view.getUint32(21, true) & 0xf0000000);
      view.setUint32(21, packed >>> 0, true);
    } else if (chunk === 'VP8 ') {
      view.setUint16(26, (view.getUint16(26, true) & 0xc000) | (width & 0x3fff), true);
      view.setUint16(28, (view.getUint16(28, true) & 0xc000) | (height & 0x3fff), true);
    } else return undefined;
    return bytes;
  }
  // TIFF: rewrite the ImageWidth (256) and ImageLength (257) entries of the first IFD.
  const little = bytes[0] === 0x49;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > bytes.length) return undefined;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count && ifd + 2 + 12 * (i + 1) <= bytes.length; i++) {
    const entry = ifd + 2 + 12 * i;
    const tag = view.getUint16(entry, little);
    if (tag !== 256 && tag !== 257) continue;
    const value = tag === 256 ? width : height;
    if (view.getUint16(entry + 2, little) === 3) view.setUint16(entry + 8, value & 0xffff, little);
    else view.setUint32(entry + 8, value >>> 0, little);
  }
  return bytes;
}

function damageStructure(format: FuzzFormat, bytes: Uint8Array, random: Random): Mutation | undefined {
  const segments = format === 'png' ? pngChunks(bytes) : format.startsWith('jpeg') ? jpegSegments(bytes) : [];
  if (segments.length === 0) return undefined;
  const { start, end } = segments[random(segments.length)];
  const action = random(4);
  if (action === 0) return { bytes: new Uint8Array([...bytes.subarray(0, start), ...bytes.subarray(end)]), how: `segment at ${start} removed` };
  if (action === 1) return { bytes: new Uint8Array([...bytes.subarray(0, end), ...bytes.subarray(start, end), ...bytes.subarray(end)]), how: `segment at ${start} doubled` };
  const out = bytes.slice();
  if (action === 2) {
    // The length field: PNG's 4 bytes at the start, JPEG's 2 after the marker.
    const at = format === 'png' ? start + random(4) : start + 2 + random(2);
    out[at] = random(256);
    return { bytes: out, how: `segment length at ${start} changed` };
  }
  const at = format === 'png' ? start + 4 + random(4) : start + 1;
  out[at] = random(256);
  return { bytes: out, how: `segment type at ${start} changed` };
}

/**
 * A seeded mutation of a valid image: truncation, extension or bit flips
 * (the loaders' `damage`), a header declaring other dimensions (CRC kept
 * valid for PNG, so only the sizes lie), or a damaged chunk or marker
 * segment (removed, doubled, its length or type changed).
 */
export function mutateImage(format: FuzzFormat, valid: Uint8Array, random: Random): Mutation {
  const kind = random(3);
  if (kind === 1) {
    const width = size(random);
    const height = random(2) === 0 ? size(random) : 1 + random(16);
    const bytes = withDeclaredSize(format, valid, width, height);
    if (bytes) return { bytes, how: `header declares ${width} × ${height}` };
  }
  if (kind === 2) {
    const mutation = damageStructure(format, valid, random);
    if (mutation) return mutation;
  }
  return damage(valid, random);
}
