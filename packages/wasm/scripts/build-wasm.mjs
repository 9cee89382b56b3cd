#!/usr/bin/env node
// The two WebAssembly binaries the package ships, compiled from csrc/*.c:
//
//   fathom.wasm          SIMD, one thread, ordinary (non-shared) memory:
//                        browsers that are not cross-origin isolated
//   fathom-threads.wasm  SIMD + atomics over an imported shared memory,
//                        for the worker pool
//
// They are committed in prebuilt/ (with prebuilt/manifest.json: a hash of the
// sources and flags they were built from, their sizes and hashes), so a fresh
// clone builds with Node alone. clang is needed only to change the kernels.
//
//   node scripts/build-wasm.mjs                    dist/*.wasm: a copy of prebuilt/ while csrc/ is what
//                                                  prebuilt/ was built from; compiled with clang otherwise
//   node scripts/build-wasm.mjs --from-source      always compile csrc/ into dist/ (--force is the same)
//   node scripts/build-wasm.mjs --update-prebuilt  compile csrc/ into prebuilt/, rewrite the manifest, copy to dist/
//   node scripts/build-wasm.mjs --check-prebuilt   compile csrc/ twice (here and from a copy elsewhere) and fail
//                                                  unless both builds are byte-identical to prebuilt/ (CI runs this)
//   CLANG=/path/to/clang node scripts/...          use another clang (needs wasm-ld from lld)
//
// Every mode first writes csrc/abi.h from src/abi.ts (the argument blocks and
// codes the C kernels share with TypeScript), except --check-prebuilt, which
// fails when the committed csrc/abi.h is not what src/abi.ts generates. The
// header is committed too: without src/ or the typescript package (an
// installed package, the prebuilt test's copy) the committed one is used.
//
// Compiling needs clang and lld (Debian/Ubuntu: `apt-get install clang lld`);
// Debian bookworm's clang 14 targets wasm32 with 128-bit SIMD, and it is the
// compiler prebuilt/ is checked against (other versions generate other code).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'csrc');
const prebuiltDir = join(root, 'prebuilt');
const manifestPath = join(prebuiltDir, 'manifest.json');
const outDir = join(root, 'dist');
const abiSource = join(root, 'src', 'abi.ts');
const abiHeaderPath = join(sourceDir, 'abi.h');
const clang = process.env.CLANG || 'clang';

// The bytes depend only on these flags, the sources and the compiler: sources
// are passed by relative name from inside csrc/ and debug info is stripped, so
// no path of the machine enters the binary, and wasm-ld writes no build id or
// timestamp (--check-prebuilt proves it by building from two places).
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

const rebuildCommand = 'pnpm --filter @fathom/wasm build:prebuilt';
const installHint = 'On Debian/Ubuntu install the packages clang and lld:  apt-get install -y clang lld\n' +
  '  (or run tools/setup-system.sh install_system_packages), or set CLANG to a clang that targets wasm32.';

function fail(message) {
  console.error(`build-wasm: ${message}`);
  process.exit(1);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** `{ ok: true, version }` (the first line of `clang --version`), or `{ ok: false, reason }` when clang cannot run or find wasm-ld. */
function compilerVersion() {
  const probe = spawnSync(clang, ['--target=wasm32', '-print-prog-name=wasm-ld'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { ok: false, reason: probe.error?.code ?? `exit ${probe.status}` };
  const version = spawnSync(clang, ['--version'], { encoding: 'utf8' });
  return { ok: true, version: (version.stdout ?? '').split('\n')[0].trim() };
}

function requireCompiler(why) {
  const compiler = compilerVersion();
  if (!compiler.ok) {
    fail(
      `cannot run '${clang}' (${compiler.reason}), which ${why}.\n` +
        '  The WebAssembly kernels are C compiled with clang for wasm32 and linked with wasm-ld.\n  ' + installHint,
    );
  }
  return compiler.version;
}

/**
 * The text of csrc/abi.h that src/abi.ts generates, or null where src/abi.ts
 * or the typescript package is missing. abi.ts has type imports only, so its
 * transpiled text runs on its own.
 */
async function generatedAbiHeader() {
  if (!existsSync(abiSource)) return null;
  let ts;
  try {
    ts = createRequire(import.meta.url)('typescript');
  } catch {
    return null;
  }
  const { outputText } = ts.transpileModule(readFileSync(abiSource, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  });
  const abi = await import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);
  return abi.abiHeader();
}

/** A text file's contents with LF line endings, or null when it is missing. */
const readTextIfAny = (path) => (existsSync(path) ? readFileSync(path, 'utf8').replace(/\r\n/g, '\n') : null);

/** Writes csrc/abi.h from src/abi.ts when it differs (leaving an up-to-date header untouched, so nothing rebuilds). */
async function writeAbiHeader() {
  const text = await generatedAbiHeader();
  if (text === null) return;
  if (readTextIfAny(abiHeaderPath) === text) return;
  writeFileSync(abiHeaderPath, text);
  console.log('build-wasm: wrote csrc/abi.h from src/abi.ts');
}

const sourceNames = (dir) => readdirSync(dir).filter((name) => name.endsWith('.c')).sort();

/**
 * What the binaries are a function of, besides the compiler: every file in
 * csrc/ (line endings normalised, so a checkout with CRLF hashes the same)
 * and the flags. prebuilt/manifest.json records it, so a build without clang
 * can tell whether prebuilt/ still matches csrc/.
 */
function sourcesHash() {
  const hash = createHash('sha256');
  for (const name of readdirSync(sourceDir).sort()) {
    const text = readFileSync(join(sourceDir, name), 'utf8').replace(/\r\n/g, '\n');
    hash.update(`${name}\0${text}\0`);
  }
  hash.update(JSON.stringify({ common, targets }));
  return `sha256:${hash.digest('hex')}`;
}

function readManifest() {
  if (!existsSync(manifestPath)) return null;
  try {
    return JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    fail(`prebuilt/manifest.json is not valid JSON (${error.message}); run \`${rebuildCommand}\``);
  }
}

/** Compiles one target from the C files in `fromDir` (by relative name, from inside it) to `output`. */
function compile(target, fromDir, output) {
  return new Promise((resolve) => {
    const child = spawn(clang, [...common, ...target.flags, ...sourceNames(fromDir), '-o', output], { cwd: fromDir, stdio: 'inherit' });
    child.on('error', () => resolve(false));
    child.on('close', (status) => resolve(status === 0));
  });
}

async function compileAll(fromDir, toDir) {
  mkdirSync(toDir, { recursive: true });
  const results = await Promise.all(targets.map((target) => compile(target, fromDir, join(toDir, target.file))));
  const failed = targets.filter((_, i) => !results[i]).map((target) => target.file);
  if (failed.length > 0) fail(`clang failed building ${failed.join(', ')}; if the error mentions wasm-ld, install lld (apt-get install -y lld)`);
}

/** Copies prebuilt/ into dist/, leaving files that already hold the same bytes untouched. */
function copyPrebuilt(manifest) {
  mkdirSync(outDir, { recursive: true });
  for (const { file } of targets) {
    const bytes = readFileSync(join(prebuiltDir, file));
    const recorded = manifest.files?.[file];
    if (!recorded || recorded.sha256 !== sha256(bytes)) {
      fail(`prebuilt/${file} does not match prebuilt/manifest.json (a partial commit, or a checkout that rewrote it); run \`${rebuildCommand}\` or restore prebuilt/ from git`);
    }
    const output = join(outDir, file);
    if (existsSync(output) && readFileSync(output).equals(bytes)) continue;
    writeFileSync(output, bytes);
    console.log(`build-wasm: dist/${file} (${bytes.length} bytes, from prebuilt/)`);
  }
}

function writeManifest(fromDir, version) {
  const files = Object.fromEntries(targets.map(({ file }) => {
    const bytes = readFileSync(join(fromDir, file));
    return [file, { bytes: bytes.length, sha256: sha256(bytes) }];
  }));
  const manifest = { sources: sourcesHash(), compiler: version, files };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
}

async function updatePrebuilt() {
  const version = requireCompiler(`--update-prebuilt needs to compile csrc/`);
  await compileAll(sourceDir, prebuiltDir);
  // wasm-ld marks its output executable; committed data files should not be.
  for (const { file } of targets) chmodSync(join(prebuiltDir, file), 0o644);
  writeManifest(prebuiltDir, version);
  for (const { file } of targets) console.log(`build-wasm: prebuilt/${file} (${statSync(join(prebuiltDir, file)).size} bytes, ${version})`);
  console.log('build-wasm: wrote prebuilt/manifest.json; commit prebuilt/ with the csrc/ change');
  copyPrebuilt(readManifest());
}

async function checkPrebuilt() {
  const version = requireCompiler('the check needs to rebuild prebuilt/ from csrc/');
  const manifest = readManifest();
  if (manifest === null) fail(`prebuilt/manifest.json is missing; run \`${rebuildCommand}\` and commit prebuilt/`);
  const problems = [];
  // Without src/ (a copy of scripts/, csrc/ and prebuilt/ alone) the committed header is all there is.
  const header = await generatedAbiHeader();
  if (header === null && existsSync(abiSource)) {
    problems.push('cannot generate csrc/abi.h from src/abi.ts to compare (the typescript package is missing: run pnpm install)');
  } else if (header !== null && readTextIfAny(abiHeaderPath) !== header) {
    problems.push('csrc/abi.h is not what src/abi.ts generates (edited by hand, or src/abi.ts changed without a build)');
  }
  const currentSources = sourcesHash();
  if (manifest.sources !== currentSources) {
    problems.push(`prebuilt/ was built from other sources or flags (manifest ${manifest.sources}, csrc/ and flags now ${currentSources})`);
  }

  const work = mkdtempSync(join(tmpdir(), 'fathom-wasm-check-'));
  try {
    // The second build compiles a copy of csrc/ somewhere else, so a path
    // leaking into the binary shows up as a difference.
    const copiedSources = join(work, 'elsewhere', 'kernels');
    cpSync(sourceDir, copiedSources, { recursive: true });
    const first = join(work, 'first');
    const second = join(work, 'second');
    await Promise.all([compileAll(sourceDir, first), compileAll(copiedSources, second)]);

    for (const { file } of targets) {
      const fresh = readFileSync(join(first, file));
      const again = readFileSync(join(second, file));
      if (!fresh.equals(again)) {
        problems.push(`two builds of ${file} differ (${fresh.length} bytes sha256 ${sha256(fresh)} vs ${again.length} bytes sha256 ${sha256(again)}): the compile is not deterministic, so prebuilt/ cannot be checked`);
        continue;
      }
      const committedPath = join(prebuiltDir, file);
      if (!existsSync(committedPath)) {
        problems.push(`prebuilt/${file} is missing`);
        continue;
      }
      const committed = readFileSync(committedPath);
      if (!committed.equals(fresh)) {
        problems.push(
          `prebuilt/${file} differs from a fresh build of csrc/: committed ${committed.length} bytes sha256 ${sha256(committed)}, ` +
            `fresh ${fresh.length} bytes sha256 ${sha256(fresh)}`,
        );
      }
      const recorded = manifest.files?.[file];
      if (!recorded || recorded.sha256 !== sha256(committed) || recorded.bytes !== committed.length) {
        problems.push(`prebuilt/manifest.json does not describe prebuilt/${file}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  if (problems.length > 0) {
    const compilers = manifest.compiler === version ? `clang: ${version}` : `prebuilt/ was built with ${manifest.compiler}; this machine has ${version}`;
    fail(
      `check-prebuilt failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n  (${compilers})\n` +
        `  After changing csrc/ or the flags, run \`${rebuildCommand}\` with Debian bookworm's clang 14 and commit prebuilt/.`,
    );
  }
  console.log(`check-prebuilt: prebuilt/${targets.map((t) => t.file).join(' and prebuilt/')} equal two fresh builds of csrc/ byte for byte (${version})`);
}

/** Compiles into dist/ unless every output is newer than every input (a copy from prebuilt/ was made while csrc/ still matched it). */
async function buildFromSource({ force }) {
  const inputs = [...readdirSync(sourceDir).map((name) => join(sourceDir, name)), fileURLToPath(import.meta.url)];
  const newestInput = Math.max(...inputs.map((path) => statSync(path).mtimeMs));
  const upToDate = targets.every(({ file }) => existsSync(join(outDir, file)) && statSync(join(outDir, file)).mtimeMs >= newestInput);
  if (!force && upToDate) return;
  await compileAll(sourceDir, outDir);
  for (const { file } of targets) console.log(`build-wasm: dist/${file} (${statSync(join(outDir, file)).size} bytes, compiled from csrc/)`);
}

const args = process.argv.slice(2);
const known = ['--from-source', '--force', '--update-prebuilt', '--check-prebuilt'];
const unknown = args.filter((arg) => !known.includes(arg));
if (unknown.length > 0) fail(`unknown argument ${unknown.join(' ')} (expected one of ${known.join(', ')})`);

if (args.includes('--check-prebuilt')) {
  await checkPrebuilt();
} else if (args.includes('--update-prebuilt')) {
  await writeAbiHeader();
  await updatePrebuilt();
} else if (args.includes('--from-source') || args.includes('--force')) {
  requireCompiler('--from-source needs to compile csrc/');
  await writeAbiHeader();
  await buildFromSource({ force: true });
} else {
  await writeAbiHeader();
  const manifest = readManifest();
  const current = manifest !== null && manifest.sources === sourcesHash();
  if (current) {
    copyPrebuilt(manifest);
  } else {
    const compiler = compilerVersion();
    const why = manifest === null ? 'prebuilt/ has no manifest.json' : 'csrc/ (or the flags) changed since prebuilt/ was built';
    if (!compiler.ok) {
      fail(
        `${why}, and '${clang}' cannot run (${compiler.reason}) to compile the kernels from csrc/.\n` +
          `  Restore csrc/ to match prebuilt/, or install clang and run \`${rebuildCommand}\`.\n  ${installHint}`,
      );
    }
    await buildFromSource({ force: false });
    console.warn(`build-wasm: warning: ${why}; dist/ holds a fresh compile, but prebuilt/ is stale: run \`${rebuildCommand}\` and commit prebuilt/ (CI checks it)`);
  }
}
