// The zip reader under torch.save's archives: directory parsing, zip64,
// deflate, and every count, size and offset checked against the file.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFathomError } from '@fathom/core';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { bytesSource, type ByteSource } from '../src/byte-source.js';
import { openZip, type ZipLimits } from '../src/pth/zip.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'pth');
const CENTRAL = [0x50, 0x4b, 0x01, 0x02];
const END = [0x50, 0x4b, 0x05, 0x06];
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function indexOf(bytes: Uint8Array, signature: number[], from = 0): number {
  for (let i = from; i + signature.length <= bytes.length; i++) if (signature.every((b, j) => bytes[i + j] === b)) return i;
  return -1;
}

/** A copy of `bytes` with `edit` applied through a DataView. */
function edited(bytes: Uint8Array, edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer), copy);
  return copy;
}

async function refusal(bytes: Uint8Array, limits: Partial<ZipLimits> = {}, read?: string): Promise<string> {
  const error = await (async () => {
    const zip = await openZip(bytesSource(bytes, 'z.zip'), limits);
    if (read !== undefined) await zip.read(zip.entries.get(read)!);
  })().then(() => null, (e: unknown) => e);
  if (!isFathomError(error, 'DataError')) throw new Error(`expected a DataError, got ${String(error)}`);
  expect(error.message.startsWith('z.zip: ')).toBe(true);
  return error.message;
}

const stored = zipSync({ 'a/data.pkl': [text('hello'), { level: 0 }], 'a/data/0': [new Uint8Array(1000).fill(7), { level: 0 }] });
const deflated = zipSync({ 'a/data/0': [new Uint8Array(5000).fill(3), { level: 9 }] });

describe('openZip', () => {
  it('lists stored and deflated records and reads each with one read of its range', async () => {
    const reads: [number, number][] = [];
    const inner = bytesSource(stored, 'z.zip');
    const source: ByteSource = { name: 'z.zip', size: inner.size, read: (o, l) => (reads.push([o, l]), inner.read(o, l)) };
    const zip = await openZip(source);
    expect([...zip.entries.keys()]).toEqual(['a/data.pkl', 'a/data/0']);
    reads.length = 0;
    const record = zip.entries.get('a/data/0')!;
    expect(await zip.read(record)).toEqual(new Uint8Array(1000).fill(7));
    expect(reads).toEqual([[record.localHeaderOffset, 30], [record.localHeaderOffset + 30 + 'a/data/0'.length, 1000]]);
    const inflated = await openZip(bytesSource(deflated, 'd.zip'));
    expect(await inflated.read(inflated.entries.get('a/data/0')!)).toEqual(new Uint8Array(5000).fill(3));
  });

  it('reads the zip64 end records torch.save writes', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'zip64.pt')));
    const zip = await openZip(bytesSource(bytes, 'zip64.pt'));
    expect(zip.entries.get('archive/data.pkl')!.size).toBeGreaterThan(100);
    const pickle = await zip.read(zip.entries.get('archive/data.pkl')!);
    expect(pickle[0]).toBe(0x80);
    // A locator pointing outside the file.
    const locator = indexOf(bytes, [0x50, 0x4b, 0x06, 0x07]);
    expect(await refusal(edited(bytes, (view) => view.setUint32(locator + 8, bytes.length, true)))).toContain('does not lie before its locator');
    expect(await refusal(edited(bytes, (view) => view.setUint32(locator + 8, 0, true)))).toContain('no zip64 end record at offset 0');
  });

  it('refuses files that are not zip archives or are cut short', async () => {
    expect(await refusal(new Uint8Array(10))).toContain('too short to be a zip archive (10 bytes)');
    expect(await refusal(new Uint8Array(100))).toContain('no end-of-central-directory record');
    expect(await refusal(stored.subarray(0, stored.length - 5))).toContain('no end-of-central-directory record');
    expect(await refusal(stored.subarray(50))).toContain('central directory');
  });

  it('caps the record count and name length, and keeps the directory inside the file', async () => {
    expect(await refusal(stored, { maxEntries: 1 })).toContain('claims 2 records (at most 1)');
    expect(await refusal(stored, { maxNameLength: 5 })).toContain('name of 10 bytes (at most 5)');
    const end = indexOf(stored, END);
    expect(await refusal(edited(stored, (view) => view.setUint16(end + 10, 60000, true)))).toContain('cannot hold 60000 records');
    expect(await refusal(edited(stored, (view) => view.setUint32(end + 16, stored.length, true)))).toContain('central directory');
    expect(await refusal(edited(stored, (view) => view.setUint32(end + 12, 0xfffffff0, true)))).toContain('central directory');
    expect(await refusal(edited(stored, (view) => view.setUint16(end + 4, 1, true)))).toContain('multi-disk');
  });

  it('keeps every record inside the file and checks what each record claims', async () => {
    const first = indexOf(stored, CENTRAL);
    const second = indexOf(stored, CENTRAL, first + 1);
    const at = (offset: number, value: number, width = 4) => edited(stored, (view) => (width === 4 ? view.setUint32(offset, value, true) : view.setUint16(offset, value, true)));
    expect(await refusal(at(second + 42, stored.length - 10))).toContain("record 'a/data/0'");
    expect(await refusal(at(second + 20, 0xfffffff))).toContain("stored record 'a/data/0' has compressed size");
    expect(await refusal(at(second + 8, 1, 2))).toContain("record 'a/data/0' is encrypted");
    expect(await refusal(at(second + 10, 12, 2))).toContain('compression method 12');
    expect(await refusal(at(second, 0))).toContain('has no central header signature');
    expect(await refusal(at(second + 28, 200, 2))).toContain('runs past the central directory');
    // Two records of one name.
    const twins = zipSync({ 'a/x1': [text('1'), { level: 0 }], 'a/x2': [text('2'), { level: 0 }] });
    const twin = indexOf(twins, CENTRAL, indexOf(twins, CENTRAL) + 1);
    expect(await refusal(edited(twins, (_, bytes) => bytes.set(text('a/x1'), twin + 46)))).toContain("record 'a/x1' appears twice");
    // Local header moved, or its name length pointing past the file.
    expect(await refusal(at(second + 42, 1), {}, 'a/data/0')).toContain('has no local header at offset 1');
    const local = indexOf(stored, [0x50, 0x4b, 0x03, 0x04], 1);
    expect(await refusal(at(local + 26, 60000, 2), {}, 'a/data/0')).toContain("record 'a/data/0'");
  });

  it('bounds deflated records by their declared size and by deflate\'s ratio', async () => {
    const central = indexOf(deflated, CENTRAL);
    const at = (offset: number, value: number) => edited(deflated, (view) => view.setUint32(offset, value, true));
    expect(await refusal(at(central + 24, 2 ** 31))).toContain('claims 2147483648 bytes from');
    expect(await refusal(at(central + 24, 4999), {}, 'a/data/0')).toContain('inflates to more than its declared 4999 bytes');
    expect(await refusal(at(central + 24, 5001), {}, 'a/data/0')).toContain('inflates to 5000 bytes, not its declared 5001');
    const local = indexOf(deflated, [0x50, 0x4b, 0x03, 0x04]);
    const broken = edited(deflated, (_, bytes) => bytes.fill(0xff, local + 30 + 8, local + 30 + 8 + 4));
    expect(await refusal(broken, {}, 'a/data/0')).toContain('not valid deflate data');
  });
});
