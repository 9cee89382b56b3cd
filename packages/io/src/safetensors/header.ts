import { DataError, type Shape } from '@fathom/core';
import { checkRange, type ByteSource } from '../byte-source.js';
import { isStoredDType, STORED_DTYPE_BYTES, type StoredDType } from '../stored-dtype.js';

/** The reference implementation's cap: a longer header is refused before it is read. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor as a safetensors header describes it; `begin`/`end` are absolute file offsets. */
export interface SafetensorsEntry {
  /** The tensor's name (its state-dict key). */
  readonly name: string;
  /** How its elements are stored. */
  readonly dtype: StoredDType;
  /** Its shape. */
  readonly shape: Shape;
  /** Where its bytes start in the file. */
  readonly begin: number;
  /** Where they end (exclusive). */
  readonly end: number;
}

/** A checked safetensors header: the tensors in file order and the free-form `__metadata__`. */
export interface SafetensorsHeader {
  /** The tensors, in the order their bytes appear in the file. */
  readonly entries: readonly SafetensorsEntry[];
  /** The `__metadata__` strings (empty when the file has none). */
  readonly metadata: Readonly<Record<string, string>>;
}

const ENTRY_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);

/**
 * Reads and checks a safetensors header as untrusted input: its length is
 * capped and inside the file, it is UTF-8 JSON of the expected shape, every
 * tensor's byte size equals shape × dtype size without overflow, and the
 * tensors lie back to back, without gap or overlap, exactly covering the data.
 */
export async function readSafetensorsHeader(source: ByteSource): Promise<SafetensorsHeader> {
  const name = source.name;
  if (source.size < 8) throw new DataError(`${name}: ${source.size} bytes is too short for a safetensors file (8-byte header length missing)`);
  const lengthBytes = await source.read(0, 8);
  const length = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) throw new DataError(`${name}: header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(length);
  checkRange(name, source.size, 8, headerLength, 'safetensors header');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await source.read(8, headerLength)));
  } catch (error) {
    throw new DataError(`${name}: the safetensors header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DataError(`${name}: the safetensors header is not a JSON object`);
  const dataStart = 8 + headerLength;
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [key, value] of Object.entries(json)) {
    if (key === '__metadata__') metadata = checkMetadata(name, value);
    else entries.push(checkEntry(name, key, value, dataStart));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = dataStart;
  for (const entry of entries) {
    if (entry.begin !== expected) {
      const problem = entry.begin < expected ? 'overlaps the tensor before it' : `leaves a gap of ${entry.begin - expected} bytes before it`;
      throw new DataError(`${name}: tensor '${entry.name}' ${problem} (starts at data offset ${entry.begin - dataStart}, expected ${expected - dataStart})`);
    }
    expected = entry.end;
  }
  if (expected !== source.size) {
    throw new DataError(`${name}: the tensors cover ${expected - dataStart} bytes of data but the file holds ${source.size - dataStart}`);
  }
  return { entries, metadata };
}

function checkMetadata(name: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataError(`${name}: __metadata__ is not an object of strings`);
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string') throw new DataError(`${name}: __metadata__ '${key}' is not a string`);
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function checkEntry(name: string, key: string, value: unknown, dataStart: number): SafetensorsEntry {
  const where = `${name}: tensor '${key}'`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataError(`${where} is not an object`);
  const record = value as Record<string, unknown>;
  const unknownField = Object.keys(record).find((field) => !ENTRY_FIELDS.has(field));
  if (unknownField !== undefined) throw new DataError(`${where} has an unknown field '${unknownField}'`);
  const { dtype, shape, data_offsets: offsets } = record;
  if (!isStoredDType(dtype)) throw new DataError(`${where} has dtype ${JSON.stringify(dtype)}, which Fathom does not read (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new DataError(`${where} has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new DataError(`${where} has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with 0 <= begin <= end`);
  }
  // BigInt so a shape like [2^40, 2^40] cannot overflow into a plausible size.
  const bytes = shape.reduce((n: bigint, d: number) => n * BigInt(d), BigInt(STORED_DTYPE_BYTES[dtype]));
  const length = offsets[1] - offsets[0];
  if (bytes !== BigInt(length)) {
    throw new DataError(`${where}: shape [${shape.join(',')}] of ${dtype} needs ${bytes} bytes but data_offsets span ${length}`);
  }
  return { name: key, dtype, shape: shape as number[], begin: dataStart + offsets[0], end: dataStart + offsets[1] };
}
