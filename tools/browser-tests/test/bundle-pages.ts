import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const ENTRY = fileURLToPath(new URL('../src/page/page-entry.ts', import.meta.url));

// `new URL('./x.wasm', import.meta.url)` with a string-literal path: the form
// Vite and webpack 5 turn into a copied asset. esbuild does not (evanw/esbuild#795).
const ASSET_URL = /new URL\(\s*(['"])(\.{1,2}\/[^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g;

/**
 * The small esbuild plugin a user of esbuild writes (as
 * @chialab/esbuild-plugin-meta-url does): every string-literal
 * `new URL('./asset', import.meta.url)` in the bundled JavaScript is copied
 * into the output folder and the URL rewritten to point beside the bundle.
 * It can only see literals, so it is also the test that @fathom/wasm's
 * loader names its binaries in a form bundlers understand.
 */
function importMetaUrlAssets(outdir: string, copied: string[]): Plugin {
  return {
    name: 'import-meta-url-assets',
    setup(esbuild) {
      esbuild.onLoad({ filter: /\.js$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const rewrites: Promise<void>[] = [];
        const contents = source.replace(ASSET_URL, (whole, quote: string, path: string) => {
          if (path.endsWith('.js')) return whole; // a module, not an asset
          const file = resolve(dirname(args.path), path);
          copied.push(file);
          rewrites.push(copyFile(file, join(outdir, basename(file))));
          return `new URL(${quote}./${basename(file)}${quote}, import.meta.url)`;
        });
        await Promise.all(rewrites);
        return { contents, loader: 'js' };
      });
    },
  };
}

/** What {@link bundlePages} made. */
export interface BundledPages {
  readonly dir: string;
  /** Source files of assets the plugin copied beside the bundle. */
  readonly assets: readonly string[];
  readonly metafile: Metafile;
}

/**
 * Bundles src/page/page-entry.ts for browsers, from the packages' built
 * dist/ entries (their package.json "exports"), into `dir` with an
 * index.html: ES modules with code splitting, so a dynamic import (Graphviz
 * in autograd's toSvg) stays a chunk of its own that the page never loads.
 */
export async function bundlePages(dir: string): Promise<BundledPages> {
  await mkdir(dir, { recursive: true });
  const assets: string[] = [];
  const result = await build({
    entryPoints: { page: ENTRY },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: dir,
    metafile: true,
    sourcemap: 'linked',
    logLevel: 'silent',
    plugins: [importMetaUrlAssets(dir, assets)],
  });
  await writeFile(join(dir, 'index.html'), '<!doctype html>\n<meta charset="utf-8">\n<title>Fathom browser tests</title>\n<link rel="icon" href="data:,">\n<script type="module" src="./page.js"></script>\n');
  return { dir, assets, metafile: result.metafile };
}
