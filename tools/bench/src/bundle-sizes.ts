// Minified, gzipped size of what a browser page loads up front for each
// package's main entry (and two typical stacks), beside TensorFlow.js's
// stacks bundled the same way: esbuild (browser platform, ESM, code
// splitting so lazily imported chunks such as Graphviz are not counted),
// gzip level 9. `.wasm` binaries are not counted on either side.
//   pnpm --filter @fathom/bench bench:bundle-sizes
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

const HERE = fileURLToPath(new URL('..', import.meta.url));

const FATHOM = ['core', 'autograd', 'layers', 'optim', 'models', 'datasets', 'io', 'wasm', 'webgpu'].map((name) => `@fathom/${name}`);
const STACKS: Record<string, readonly string[]> = {
  'Fathom core+autograd+layers+optim+wasm': ['@fathom/core', '@fathom/autograd', '@fathom/layers', '@fathom/optim', '@fathom/wasm'],
  'Fathom core+autograd+layers+optim+webgpu': ['@fathom/core', '@fathom/autograd', '@fathom/layers', '@fathom/optim', '@fathom/webgpu'],
  'tfjs-core+tfjs-layers+tfjs-backend-wasm': ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm'],
  'tfjs-core+tfjs-layers+tfjs-backend-webgpu': ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-webgpu'],
};

interface Size {
  readonly minified: number;
  readonly gzipped: number;
}

/** The entry's output file and every chunk it imports statically, transitively. */
function upFront(metafile: Metafile, outdir: string): string[] {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint !== undefined && path.endsWith('.js'));
  if (!entry) throw new Error('bundle-sizes: esbuild produced no entry');
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const { path: imported, kind } of outputs[path].imports) if (kind === 'import-statement' && !imported.startsWith('http')) visit(imported);
  };
  visit(entry);
  return [...seen].map((path) => join(outdir, '..', path));
}

/** What `export *` from each of `modules` costs a page, everything they export kept. */
async function sizeOf(modules: readonly string[]): Promise<Size> {
  const dir = await mkdtemp(join(tmpdir(), 'fathom-bundle-size-'));
  try {
    const outdir = join(dir, 'out');
    const { metafile } = await build({
      stdin: { contents: modules.map((m) => `export * from '${m}';`).join('\n'), resolveDir: HERE, loader: 'js' },
      bundle: true, splitting: true, format: 'esm', platform: 'browser', target: 'es2022',
      minify: true, outdir, metafile: true, logLevel: 'silent', absWorkingDir: dir,
      // tfjs-backend-wasm names Node's modules behind a runtime check; a browser bundle leaves them out.
      external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto'],
      loader: { '.wasm': 'empty' },
    });
    let minified = 0;
    let gzipped = 0;
    for (const file of upFront(metafile, outdir)) {
      const bytes = await readFile(file);
      minified += bytes.length;
      gzipped += gzipSync(bytes, { level: 9 }).length;
    }
    return { minified, gzipped };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const kib = (bytes: number): string => (bytes / 1024).toFixed(1);

console.log('| bundle | minified KiB | gzipped KiB |\n|---|---:|---:|');
for (const [name, modules] of Object.entries(STACKS)) {
  const size = await sizeOf(modules);
  console.log(`| ${name} | ${kib(size.minified)} | ${kib(size.gzipped)} |`);
}
for (const name of FATHOM) {
  const size = await sizeOf([name]);
  console.log(`| ${name} | ${kib(size.minified)} | ${kib(size.gzipped)} |`);
}
