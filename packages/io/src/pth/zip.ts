import { DataError } from '@fathom/core';
import { inflateSync } from 'fflate';
import { checkRange, type ByteSource } from '../byte-source.js';

/** One record of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  /** The record's path inside the archive, e.g. `archive/data/0`. */
  readonly name: string;
  /** 0 = stored (what `torch.save` writes), 8 = deflated. */
  readonly method: number;
  /** Bytes the record takes in the file. */
  readonly compressedSize: number;
  /** Bytes of the record's contents. */
  readonly size: number;
  /** Where the record's local header starts. */
  readonly localHeaderOffset: number;
}

/** The records of a zip archive, read one at a time from its source. */
export interface ZipArchive {
  /** Records by name. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** The contents of `entry`: one read of its bytes (stored) or of its compressed bytes (deflated). */
  read(entry: ZipEntry): Promise<Uint8Array>;
}

/** Bounds on the archive's directory; an archive beyond them is refused. */
export interface ZipLimits {
  /** Records (default 1,000,000). */
  readonly maxEntries: number;
  /** Bytes of one record's name (default 4,096). */
  readonly maxNameLength: number;
}

const DEFAULT_LIMITS: ZipLimits = { maxEntries: 1_000_000, maxNameLength: 4096 };

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const END_SIZE = 22;
const LOCATOR_SIZE = 20;
const ZIP64_END_SIZE = 56;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
// Deflate cannot expand data more than 1032-fold; a record claiming more is lying.
const MAX_DEFLATE_RATIO = 1032;

const utf8 = new TextDecoder('utf-8');

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function uint64(view: DataView, at: number, fail: (message: string) => never, what: string): number {
  const low = view.getUint32(at, true);
  const high = view.getUint32(at + 4, true);
  if (high > 0x1fffff) fail(`${what} ${high}·2^32+${low} is too large`);
  return high * 2 ** 32 + low;
}

interface Directory {
  readonly count: number;
  readonly size: number;
  readonly offset: number;
}

async function findDirectory(source: ByteSource, fail: (message: string) => never): Promise<Directory> {
  const tailLength = Math.min(source.size, END_SIZE + MAX_COMMENT);
  if (tailLength < END_SIZE) fail(`too short to be a zip archive (${source.size} bytes)`);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const view = dataView(tail);
  let end = -1;
  for (let at = tailLength - END_SIZE; at >= 0; at--) {
    if (view.getUint32(at, true) === END_OF_DIRECTORY && at + END_SIZE + view.getUint16(at + 20, true) <= tailLength) {
      end = at;
      break;
    }
  }
  if (end < 0) fail('no end-of-central-directory record: not a zip archive, or truncated');
  if (view.getUint16(end + 4, true) !== 0 || view.getUint16(end + 6, true) !== 0) fail('multi-disk zip archives are not supported');
  let directory: Directory = { count: view.getUint16(end + 10, true), size: view.getUint32(end + 12, true), offset: view.getUint32(end + 16, true) };

  // torch.save writes zip64 records once a file passes 4 GiB; they sit just before the end record.
  const locator = tailStart + end - LOCATOR_SIZE;
  if (locator >= 0) {
    const located = await source.read(locator, LOCATOR_SIZE);
    const locatorView = dataView(located);
    if (locatorView.getUint32(0, true) === ZIP64_LOCATOR) {
      const at = uint64(locatorView, 8, fail, 'zip64 end record offset');
      if (at > locator - ZIP64_END_SIZE) fail(`zip64 end record at ${at} does not lie before its locator at ${locator}`);
      const record = dataView(await source.read(at, ZIP64_END_SIZE));
      if (record.getUint32(0, true) !== ZIP64_END_OF_DIRECTORY) fail(`no zip64 end record at offset ${at}`);
      if (record.getUint32(16, true) !== 0 || record.getUint32(20, true) !== 0) fail('multi-disk zip archives are not supported');
      directory = {
        count: uint64(record, 32, fail, 'zip64 entry count'),
        size: uint64(record, 40, fail, 'zip64 central directory size'),
        offset: uint64(record, 48, fail, 'zip64 central directory offset'),
      };
    }
  }
  return directory;
}

// Zip64 extended information: the 64-bit values of the fields whose 32-bit slots hold 0xffffffff, in this order.
function readZip64Extra(
  extra: DataView,
  fields: { size: number; compressedSize: number; localHeaderOffset: number },
  fail: (message: string) => never,
): void {
  for (let at = 0; at + 4 <= extra.byteLength;) {
    const id = extra.getUint16(at, true);
    const length = extra.getUint16(at + 2, true);
    if (at + 4 + length > extra.byteLength) fail('extra field runs past its record');
    if (id === 0x0001) {
      let cursor = at + 4;
      const next = (what: string): number => {
        if (cursor + 8 > at + 4 + length) fail(`zip64 extra field is missing the ${what}`);
        const value = uint64(extra, cursor, fail, what);
        cursor += 8;
        return value;
      };
      if (fields.size === 0xffffffff) fields.size = next('size');
      if (fields.compressedSize === 0xffffffff) fields.compressedSize = next('compressed size');
      if (fields.localHeaderOffset === 0xffffffff) fields.localHeaderOffset = next('local header offset');
      return;
    }
    at += 4 + length;
  }
}

/**
 * Reads the central directory of the zip archive `source` (what
 * `torch.save` writes since PyTorch 1.6), checking every count, size and
 * offset against the file. Records are read later, one read each.
 */
export async function openZip(source: ByteSource, limits: Partial<ZipLimits> = {}): Promise<ZipArchive> {
  const { maxEntries, maxNameLength } = { ...DEFAULT_LIMITS, ...limits };
  const fail = (message: string): never => {
    throw new DataError(`${source.name}: ${message}`);
  };
  const directory = await findDirectory(source, fail);
  if (directory.count > maxEntries) fail(`zip archive claims ${directory.count} records (at most ${maxEntries})`);
  if (directory.count * CENTRAL_SIZE > directory.size) fail(`central directory of ${directory.size} bytes cannot hold ${directory.count} records`);
  checkRange(source.name, source.size, directory.offset, directory.size, 'central directory');
  const central = await source.read(directory.offset, directory.size);
  const view = dataView(central);

  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let index = 0; index < directory.count; index++) {
    const where = `central directory record ${index} (byte ${directory.offset + at})`;
    if (at + CENTRAL_SIZE > central.length) fail(`${where} runs past the central directory`);
    if (view.getUint32(at, true) !== CENTRAL_HEADER) fail(`${where} has no central header signature`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const fields = {
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    if (nameLength > maxNameLength) fail(`${where} has a name of ${nameLength} bytes (at most ${maxNameLength})`);
    const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > central.length) fail(`${where} runs past the central directory`);
    const name = utf8.decode(central.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength));
    readZip64Extra(new DataView(central.buffer, central.byteOffset + at + CENTRAL_SIZE + nameLength, extraLength), fields, fail);
    if (flags & 0x1) fail(`record '${name}' is encrypted`);
    if (method !== 0 && method !== 8) fail(`record '${name}' uses compression method ${method} (only stored and deflate are supported)`);
    if (method === 0 && fields.compressedSize !== fields.size) fail(`stored record '${name}' has compressed size ${fields.compressedSize} but size ${fields.size}`);
    if (method === 8 && fields.size > fields.compressedSize * MAX_DEFLATE_RATIO + 64) {
      fail(`deflated record '${name}' claims ${fields.size} bytes from ${fields.compressedSize} compressed bytes`);
    }
    checkRange(source.name, source.size, fields.localHeaderOffset, LOCAL_SIZE + fields.compressedSize, `record '${name}'`);
    if (entries.has(name)) fail(`record '${name}' appears twice`);
    entries.set(name, { name, method, ...fields });
    at = next;
  }

  return {
    entries,
    async read(entry) {
      const header = dataView(await source.read(entry.localHeaderOffset, LOCAL_SIZE));
      if (header.getUint32(0, true) !== LOCAL_HEADER) fail(`record '${entry.name}' has no local header at offset ${entry.localHeaderOffset}`);
      const start = entry.localHeaderOffset + LOCAL_SIZE + header.getUint16(26, true) + header.getUint16(28, true);
      checkRange(source.name, source.size, start, entry.compressedSize, `record '${entry.name}'`);
      const stored = await source.read(start, entry.compressedSize);
      if (entry.method === 0) return stored;
      if (entry.compressedSize === 0) {
        if (entry.size !== 0) fail(`deflated record '${entry.name}' is empty but claims ${entry.size} bytes`);
        return new Uint8Array(0);
      }
      // One spare byte: fflate stops writing at the end of a given buffer, so output that fills it was too long.
      let inflated: Uint8Array;
      try {
        inflated = inflateSync(stored, { out: new Uint8Array(entry.size + 1) });
      } catch (error) {
        return fail(`record '${entry.name}' is not valid deflate data (${(error as Error).message})`);
      }
      if (inflated.length > entry.size) fail(`deflated record '${entry.name}' inflates to more than its declared ${entry.size} bytes`);
      if (inflated.length < entry.size) fail(`deflated record '${entry.name}' inflates to ${inflated.length} bytes, not its declared ${entry.size}`);
      return inflated.subarray(0, entry.size);
    },
  };
}
