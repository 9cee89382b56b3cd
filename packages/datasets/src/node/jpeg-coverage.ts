/**
 * How much of its image a JPEG's first scan codes: libjpeg fills what is
 * missing with grey, and for images one row of blocks tall it does so without
 * a warning, so a header widened past its data decodes "fine". This walks
 * the entropy-coded data of the first scan (Huffman-coded baseline,
 * extended or progressive DC scan), decoding only code lengths, and counts
 * the MCUs it holds.
 */

/** MCUs the first scan codes and MCUs the header declares. */
export interface JpegCoverage {
  readonly coded: number;
  readonly declared: number;
}

interface Component { readonly id: number; readonly h: number; readonly v: number }

/** A canonical Huffman table: for each code length, the first code, its count and where its symbols start. */
interface Huffman { readonly first: Int32Array; readonly count: Int32Array; readonly offset: Int32Array; readonly symbols: Uint8Array }

function huffman(counts: Uint8Array, symbols: Uint8Array): Huffman {
  const first = new Int32Array(17);
  const count = new Int32Array(17);
  const offset = new Int32Array(17);
  let code = 0;
  let index = 0;
  for (let length = 1; length <= 16; length++) {
    first[length] = code;
    count[length] = counts[length - 1];
    offset[length] = index;
    code = (code + counts[length - 1]) << 1;
    index += counts[length - 1];
  }
  return { first, count, offset, symbols };
}

/** Reads entropy-coded bits, unstuffing 0xFF00; a marker or the file's end ends the data. */
class BitReader {
  private bits = 0;
  private held = 0;
  ended = false;
  constructor(private readonly bytes: Uint8Array, public at: number) {}

  bit(): number {
    if (this.held === 0) {
      const byte = this.bytes[this.at];
      if (this.at >= this.bytes.length || (byte === 0xff && this.bytes[this.at + 1] !== 0x00)) {
        this.ended = true;
        return 0;
      }
      this.at += byte === 0xff ? 2 : 1;
      this.bits = byte;
      this.held = 8;
    }
    this.held--;
    return (this.bits >> this.held) & 1;
  }

  skip(count: number): void {
    for (let i = 0; i < count && !this.ended; i++) this.bit();
  }

  /** The next symbol of `table`, or -1 for a code no table holds. */
  symbol(table: Huffman): number {
    let code = 0;
    for (let length = 1; length <= 16; length++) {
      code = (code << 1) | this.bit();
      if (this.ended) return -1;
      const index = code - table.first[length];
      if (index >= 0 && index < table.count[length]) return table.symbols[table.offset[length] + index];
    }
    return -1;
  }

  /** Drops the bits left in the byte and reads a restart marker; false when there is none. */
  restart(): boolean {
    this.held = 0;
    if (this.bytes[this.at] === 0xff && this.bytes[this.at + 1] >= 0xd0 && this.bytes[this.at + 1] <= 0xd7) {
      this.at += 2;
      return true;
    }
    return false;
  }
}

/**
 * Counts the MCUs of the first scan of a JPEG, or undefined when the file is
 * outside what this walker follows (arithmetic coding, lossless or
 * hierarchical JPEG, a progressive file starting with an AC scan, tables
 * missing, a height set by DNL): the caller then trusts the decoder.
 */
export function jpegCoverage(bytes: Uint8Array): JpegCoverage | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  const dc = new Map<number, Huffman>();
  const ac = new Map<number, Huffman>();
  let components: Component[] = [];
  let width = 0;
  let height = 0;
  let progressive = false;
  let restartInterval = 0;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    if (marker === 0xff) { at++; continue; }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const start = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) return undefined;
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      progressive = marker === 0xc2;
      height = (bytes[start + 1] << 8) | bytes[start + 2];
      width = (bytes[start + 3] << 8) | bytes[start + 4];
      components = [];
      for (let i = 0; i < bytes[start + 5]; i++) {
        const at3 = start + 6 + 3 * i;
        components.push({ id: bytes[at3], h: bytes[at3 + 1] >> 4, v: bytes[at3 + 1] & 15 });
      }
    } else if (marker >= 0xc3 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8) {
      return undefined; // lossless, hierarchical or arithmetic-coded (0xcc: arithmetic conditioning)
    } else if (marker === 0xc4) {
      for (let p = start; p + 17 <= end;) {
        const counts = bytes.subarray(p + 1, p + 17);
        const total = counts.reduce((sum, n) => sum + n, 0);
        if (p + 17 + total > end) return undefined;
        (bytes[p] >> 4 === 0 ? dc : ac).set(bytes[p] & 15, huffman(counts, bytes.subarray(p + 17, p + 17 + total)));
        p += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = (bytes[start] << 8) | bytes[start + 1];
    } else if (marker === 0xda) {
      return countScan(bytes, start, end, { dc, ac, components, width, height, progressive, restartInterval });
    } else if (marker === 0xd9) {
      return undefined;
    }
    at = end;
  }
  return undefined;
}

interface Frame {
  readonly dc: Map<number, Huffman>;
  readonly ac: Map<number, Huffman>;
  readonly components: readonly Component[];
  readonly width: number;
  readonly height: number;
  readonly progressive: boolean;
  readonly restartInterval: number;
}

function countScan(bytes: Uint8Array, start: number, dataStart: number, frame: Frame): JpegCoverage | undefined {
  const { components, width, height } = frame;
  if (components.length === 0 || width === 0 || height === 0 || components.some((c) => c.h < 1 || c.v < 1)) return undefined;
  const scanCount = bytes[start];
  const spectralStart = bytes[start + 1 + 2 * scanCount];
  const spectralEnd = bytes[start + 2 + 2 * scanCount];
  const approximationHigh = bytes[start + 3 + 2 * scanCount] >> 4;
  if (frame.progressive && (spectralStart !== 0 || approximationHigh !== 0)) return undefined; // not a first DC scan
  const withAc = !frame.progressive && spectralEnd > 0;
  const hMax = Math.max(...components.map((c) => c.h));
  const vMax = Math.max(...components.map((c) => c.v));
  // Each scan component: its tables and its blocks per MCU.
  const scan: { dc: Huffman; ac?: Huffman; blocks: number }[] = [];
  for (let i = 0; i < scanCount; i++) {
    const component = components.find((c) => c.id === bytes[start + 1 + 2 * i]);
    const tables = bytes[start + 2 + 2 * i];
    const dcTable = frame.dc.get(tables >> 4);
    const acTable = frame.ac.get(tables & 15);
    if (!component || !dcTable || (withAc && !acTable)) return undefined;
    scan.push({ dc: dcTable, ac: withAc ? acTable : undefined, blocks: scanCount === 1 ? 1 : component.h * component.v });
  }
  let declared: number;
  if (scanCount === 1) {
    // A non-interleaved scan: one block per MCU, over the component's own sampled size.
    const component = components.find((c) => c.id === bytes[start + 1])!;
    declared = Math.ceil(Math.ceil((width * component.h) / hMax) / 8) * Math.ceil(Math.ceil((height * component.v) / vMax) / 8);
  } else {
    declared = Math.ceil(width / (8 * hMax)) * Math.ceil(height / (8 * vMax));
  }
  const reader = new BitReader(bytes, dataStart);
  let coded = 0;
  for (; coded < declared; coded++) {
    if (frame.restartInterval > 0 && coded > 0 && coded % frame.restartInterval === 0 && !reader.restart()) break;
    if (!codeMcu(reader, scan)) break;
  }
  return { coded, declared };
}

/** Reads one MCU's codes; false when the data ends or holds a code no table has. */
function codeMcu(reader: BitReader, scan: readonly { dc: Huffman; ac?: Huffman; blocks: number }[]): boolean {
  for (const { dc, ac, blocks } of scan) {
    for (let block = 0; block < blocks; block++) {
      const size = reader.symbol(dc);
      if (size < 0 || size > 16) return false;
      reader.skip(size);
      if (!ac) continue;
      for (let k = 1; k < 64;) {
        const rs = reader.symbol(ac);
        if (rs < 0) return false;
        const run = rs >> 4;
        const bits = rs & 15;
        if (bits === 0) {
          if (run !== 15) break; // end of block
          k += 16;
        } else {
          k += run + 1;
          reader.skip(bits);
        }
      }
      if (reader.ended) return false;
    }
  }
  return !reader.ended;
}
