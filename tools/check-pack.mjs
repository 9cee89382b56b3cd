#!/usr/bin/env node
// Install the packed packages the way a user would, and import every entry point.
//
//   node tools/check-pack.mjs          (after `pnpm build`)
//
// Tests inside the workspace resolve @fathom/* through symlinks to src and
// dist, so they cannot see a wrong `files` list, an `exports` path that was
// never built, a `workspace:` range left in a manifest, or an import with a
// side effect that keeps Node alive. This does: each publishable package is
// packed with `pnpm pack`, all tarballs are installed together into an empty
// folder with npm (so @fathom dependencies among them resolve to the
// tarballs), and each entry point is imported in a fresh Node process.
//
// The packages under examples/ are installed there too, packed with npm as an
// outside author's package would be (they are not workspace members and take
// @fathom/core by a version range), and each one's `npm test` runs against the
// tarball-installed packages: examples/counting-backend passes the backend
// conformance kit through its one runConformance call this way.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// An import that takes longer than this has hung, most likely on a handle
// (worker, device, timer) opened as a side effect of importing.
const IMPORT_TIMEOUT_MS = 60_000;
// An example's whole test (the conformance kit takes ~5 s on one backend).
const EXAMPLE_TEST_TIMEOUT_MS = 300_000;

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const failures = [];
const fail = (message) => { failures.push(message); console.error(`  FAIL ${message}`); };

function publishablePackages() {
  const base = join(root, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
    .map((entry) => ({ dir: join(base, entry.name), manifest: readJson(join(base, entry.name, 'package.json')) }))
    .filter(({ manifest }) => manifest.private !== true);
}

/** The example packages under examples/: outside the workspace, tested as installed from the tarballs. */
function examplePackages() {
  const base = join(root, 'examples');
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
    .map((entry) => ({ dir: join(base, entry.name), where: `examples/${entry.name}`, manifest: readJson(join(base, entry.name, 'package.json')) }));
}

/** Packs, installs beside the tarballs and tests each example; returns the seconds it took. */
function testExamples(examples, consumer) {
  const started = performance.now();
  for (const { where, manifest } of examples) {
    console.log(`check-pack: ${where} (${manifest.name}), installed from its tarball`);
    const installedDir = join(consumer, 'node_modules', ...manifest.name.split('/'));
    const nested = join(installedDir, 'node_modules', '@fathom');
    if (existsSync(nested)) {
      fail(`${where}: npm installed its own copy of ${readdirSync(nested).map((n) => `@fathom/${n}`).join(', ')} instead of the packed one (does its range still match?)`);
      continue;
    }
    if (!manifest.scripts?.test) {
      fail(`${where}: package.json has no "test" script`);
      continue;
    }
    const result = spawnSync('npm', ['test', '--silent'], {
      cwd: installedDir, encoding: 'utf8', timeout: EXAMPLE_TEST_TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1' },
    });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    // node --test's spec reporter ends with "ℹ tests N", "ℹ pass N", … and, on failure, the failing tests again.
    const summary = (name) => output.match(new RegExp(`^ℹ ${name} (\\d+)`, 'm'))?.[1];
    if (result.error?.code === 'ETIMEDOUT') fail(`${where}: npm test did not finish within ${EXAMPLE_TEST_TIMEOUT_MS / 1000} s`);
    else if (result.status !== 0) {
      const failing = output.indexOf('failing tests:');
      const shown = (failing >= 0 ? output.slice(failing) : output).trim().split('\n').slice(0, 60).join('\n');
      fail(`${where}: npm test failed (${summary('fail') ?? '?'} of ${summary('tests') ?? '?'} tests):\n${shown.replace(/^/gm, '      ')}`);
    } else console.log(`  ok   npm test: ${summary('pass') ?? '?'} of ${summary('tests') ?? '?'} tests passed`);
  }
  return (performance.now() - started) / 1000;
}

/** Every path an exports map points at, through nested conditions. */
function exportTargets(value) {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(exportTargets);
}

/** The specifiers a user can import: the main entry and each subpath. */
function entrySpecifiers(manifest) {
  const { name, exports } = manifest;
  if (exports === undefined) return [name];
  const isSubpathMap = typeof exports === 'object' && exports !== null && Object.keys(exports).some((key) => key.startsWith('.'));
  if (!isSubpathMap) return [name];
  return Object.keys(exports)
    .filter((key) => !key.includes('*') && !key.endsWith('.json')) // patterns and ./package.json are not modules to probe
    .map((key) => (key === '.' ? name : name + key.slice(1)));
}

function main() {
  const packages = publishablePackages();
  if (packages.length === 0) {
    console.log('check-pack: no publishable packages');
    return 0;
  }
  const work = mkdtempSync(join(tmpdir(), 'fathom-check-pack-'));
  try {
    const tarballDir = join(work, 'tarballs');
    const consumer = join(work, 'consumer');
    mkdirSync(tarballDir);
    mkdirSync(consumer);

    console.log(`check-pack: packing ${packages.length} package(s)`);
    const dependencies = {};
    const peers = {};
    for (const { dir, manifest } of packages) {
      const output = execFileSync('pnpm', ['pack', '--json', '--pack-destination', tarballDir], { cwd: dir, encoding: 'utf8' });
      // pnpm may print lifecycle-script output before the JSON.
      const packed = JSON.parse(output.slice(output.indexOf('{')));
      dependencies[manifest.name] = `file:${resolve(tarballDir, packed.filename)}`;
      console.log(`  ${manifest.name}@${manifest.version}: ${packed.files.length} files`);
      // Install peers, optional ones included: an entry such as core's
      // ./testing needs them, and its users have them.
      for (const [peer, range] of Object.entries(manifest.peerDependencies ?? {})) {
        if (!peer.startsWith('@fathom/')) peers[peer] ??= range;
      }
    }
    // Examples are packed with npm, as their authors outside this workspace would.
    const examples = examplePackages();
    const packStarted = performance.now();
    for (const { dir, where, manifest } of examples) {
      const output = execFileSync('npm', ['pack', '--json', '--pack-destination', tarballDir], { cwd: dir, encoding: 'utf8' });
      const [packed] = JSON.parse(output.slice(output.indexOf('[')));
      dependencies[manifest.name] = `file:${resolve(tarballDir, packed.filename)}`;
      console.log(`  ${where} (${manifest.name}@${manifest.version}): ${packed.files.length} files`);
    }
    const examplePackSeconds = (performance.now() - packStarted) / 1000;

    writeFileSync(join(consumer, 'package.json'), JSON.stringify({
      name: 'fathom-pack-check',
      private: true,
      type: 'module',
      dependencies: { ...peers, ...dependencies },
    }, null, 2));
    console.log('check-pack: installing the tarballs with npm into an empty folder');
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], {
      cwd: consumer, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (install.status !== 0) {
      console.error(install.stdout, install.stderr);
      console.error('check-pack: npm install of the packed tarballs failed');
      if (examples.length > 0) console.error(`check-pack: if an example's peer range no longer matches a packed version, update ${examples.map((e) => `${e.where}/package.json`).join(', ')}`);
      return 1;
    }

    for (const { manifest } of packages) {
      console.log(`check-pack: ${manifest.name}`);
      const installedDir = join(consumer, 'node_modules', ...manifest.name.split('/'));
      const installed = readJson(join(installedDir, 'package.json'));

      for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
        for (const [dep, range] of Object.entries(installed[field] ?? {})) {
          if (String(range).startsWith('workspace:')) fail(`${manifest.name}: ${field}.${dep} is still "${range}" in the packed manifest`);
        }
      }
      // A nested copy means npm did not take the tarball (a version mismatch
      // among our packages) and fetched one from the registry instead.
      const nested = join(installedDir, 'node_modules', '@fathom');
      if (existsSync(nested)) fail(`${manifest.name}: npm installed its own copy of ${readdirSync(nested).map((n) => `@fathom/${n}`).join(', ')} instead of the packed one`);
      const targets = [...exportTargets(installed.exports), installed.main, installed.types].filter(Boolean);
      for (const target of new Set(targets)) {
        if (target.includes('*')) continue;
        if (!existsSync(join(installedDir, target))) fail(`${manifest.name}: "${target}" is referenced by package.json but missing from the tarball`);
      }

      for (const specifier of entrySpecifiers(installed)) {
        // A fresh process per entry, so each import is checked on its own.
        const probe = [
          'const m = await import(process.env.FATHOM_SPECIFIER);',
          'const names = Object.keys(m);',
          'if (names.length === 0) { console.error("the module has no exports"); process.exit(1); }',
          'console.log(names.length);',
        ].join('\n');
        const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
          cwd: consumer, encoding: 'utf8', timeout: IMPORT_TIMEOUT_MS,
          env: { ...process.env, FATHOM_SPECIFIER: specifier },
        });
        if (result.error?.code === 'ETIMEDOUT') fail(`import('${specifier}') did not finish within ${IMPORT_TIMEOUT_MS / 1000} s (a handle opened on import?)`);
        else if (result.status !== 0) {
          // The message and the first frames say enough; Node's full stack is noise here.
          const output = (result.stderr || result.stdout).trim().split('\n').slice(0, 12).join('\n');
          fail(`import('${specifier}') failed:\n${output.replace(/^/gm, '      ')}`);
        }
        else console.log(`  ok   import('${specifier}'): ${result.stdout.trim()} exports`);
      }
    }

    if (examples.length > 0) {
      const seconds = examplePackSeconds + testExamples(examples, consumer);
      console.log(`check-pack: ${examples.length} example(s) packed and tested in ${seconds.toFixed(1)} s`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  if (failures.length > 0) {
    console.error(`check-pack: ${failures.length} problem(s)`);
    return 1;
  }
  console.log(`check-pack: all ${packages.length} package(s) install from their tarballs and import cleanly`);
  return 0;
}

process.exitCode = main();
