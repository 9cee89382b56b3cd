#!/usr/bin/env node
// Compiles csrc/*.c into the two WebAssembly binaries the package ships:
//
//   dist/fathom.wasm          SIMD, one thread, ordinary (non-shared) memory:
//                             browsers that are not cross-origin isolated
//   dist/fathom-threads.wasm  SIMD + atomics over an imported shared memory,
//                             for the worker pool
//
//   node scripts/build-wasm.mjs            build when a source is newer than an output
//   node scripts/build-wasm.mjs --force    always build
//   CLANG=/path/to/clang node scripts/...  use another clang (needs wasm-ld from lld)
//
// Needs clang and lld (Debian/Ubuntu: `apt-get install clang lld`); Debian
// bookworm's clang 14 targets wasm32 with 128-bit SIMD.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'csrc');
const outDir = join(root, 'dist');
const clang = process.env.CLANG || 'clang';

const common = [
  '--target=wasm32', '-O3', '-std=c11', '-nostdlib', '-ffreestanding',
  '-msimd128', '-mbulk-memory', '-mmutable-globals', '-mnontrapping-fptoint', '-msign-ext',
  '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter',
  '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--initial-memory=2097152', '-Wl,--max-memory=4294967296',
  '-Wl,-z,stack-size=1048576', '-Wl,--export=__heap_base', '-Wl,--export=__stack_pointer', '-Wl,--strip-debug',
];

const targets = [
  { file: 'fathom.wasm', flags: [] },
  { file: 'fathom-threads.wasm', flags: ['-matomics', '-Wl,--shared-memory'] },
];

function fail(message) {
  console.error(`build-wasm: ${message}`);
  process.exit(1);
}

function checkCompiler() {
  const probe = spawnSync(clang, ['--target=wasm32', '-print-prog-name=wasm-ld'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    fail(
      `cannot run '${clang}' (${probe.error?.code ?? `exit ${probe.status}`}).\n` +
        '  The WebAssembly kernels are C compiled with clang for wasm32 and linked with wasm-ld.\n' +
        '  On Debian/Ubuntu install the packages clang and lld:  apt-get install -y clang lld\n' +
        '  (or run tools/setup-system.sh install_system_packages), or set CLANG to a clang that targets wasm32.',
    );
  }
}

const sources = readdirSync(sourceDir).filter((name) => name.endsWith('.c')).sort().map((name) => join(sourceDir, name));
const inputs = [...readdirSync(sourceDir).map((name) => join(sourceDir, name)), fileURLToPath(import.meta.url)];
const newestInput = Math.max(...inputs.map((path) => statSync(path).mtimeMs));
const force = process.argv.includes('--force');

mkdirSync(outDir, { recursive: true });
let checked = false;
for (const target of targets) {
  const output = join(outDir, target.file);
  if (!force && existsSync(output) && statSync(output).mtimeMs >= newestInput) continue;
  if (!checked) {
    checkCompiler();
    checked = true;
  }
  const result = spawnSync(clang, [...common, ...target.flags, ...sources, '-o', output], { encoding: 'utf8', stdio: 'inherit' });
  if (result.status !== 0) {
    if (result.status === null || result.error) checkCompiler();
    fail(`clang failed building ${target.file}; if the error mentions wasm-ld, install lld (apt-get install -y lld)`);
  }
  console.log(`build-wasm: dist/${target.file} (${statSync(output).size} bytes)`);
}
