#!/usr/bin/env node
// How much each published package weighs once a user installs it on its own.
//
//   node tools/install-sizes.mjs                  (after `pnpm build`) every package in packages/*
//   node tools/install-sizes.mjs datasets layers  only these (directory names)
//   node tools/install-sizes.mjs --json out.json  also write the figures as JSON
//
// Each publishable package is packed with `pnpm pack`; then, for each one, an
// empty folder gets a package.json that depends on its tarball (and on the
// tarballs of the @fathom packages it needs: its dependencies and its
// required peers, which npm 7+ installs by itself), and `npm install` runs
// there as a user's would: third-party packages come from the npm registry
// (or npm's cache), optional peers are left out. The size is what lands in
// node_modules: bytes of the files (apparent size, not disk blocks, so it is
// the same on every file system), the number of files and of packages, and
// the largest packages. Native packages (sharp's libvips, koffi) install the
// binaries of the machine that runs this, so the figures are per platform.
//
// It takes about a minute with a warm npm cache, so CI does not run it; the
// latest figures are in docs/ARCHITECTURE.md ("Install size").

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCOPE = '@fathom/';
const CONCURRENCY = 4;
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

function publishablePackages() {
  const base = join(root, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
    .map((entry) => ({ id: entry.name, dir: join(base, entry.name), manifest: readJson(join(base, entry.name, 'package.json')) }))
    .filter(({ manifest }) => manifest.private !== true);
}

/** The @fathom packages npm will install with `name`: dependencies and required peers, transitively. */
function fathomClosure(name, byName) {
  const seen = new Set();
  const visit = (current) => {
    if (seen.has(current)) return;
    seen.add(current);
    const { manifest } = byName.get(current);
    const optionalPeers = manifest.peerDependenciesMeta ?? {};
    const needed = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}).filter((peer) => optionalPeers[peer]?.optional !== true),
    ];
    for (const dependency of needed) if (dependency.startsWith(SCOPE) && byName.has(dependency)) visit(dependency);
  };
  visit(name);
  return [...seen];
}

/** Apparent size, file count and package list of a node_modules tree. */
function measure(nodeModules) {
  let bytes = 0;
  let files = 0;
  const packages = new Map(); // "name" -> bytes of its own folder (nested node_modules excluded)
  const walk = (dir, owner) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue; // .bin links
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules') walkModules(path);
        else walk(path, owner);
      } else if (entry.isFile()) {
        const size = lstatSync(path).size;
        bytes += size;
        files += 1;
        if (owner !== null) packages.set(owner, (packages.get(owner) ?? 0) + size);
      }
    }
  };
  const walkModules = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (!entry.isDirectory() || entry.isSymbolicLink()) continue;
      if (entry.name.startsWith('.')) { walk(path, null); continue; } // .bin, .package-lock.json's folder
      if (entry.name.startsWith('@')) {
        for (const scoped of readdirSync(path, { withFileTypes: true })) {
          if (scoped.isDirectory()) packageAt(join(path, scoped.name), `${entry.name}/${scoped.name}`);
        }
      } else packageAt(path, entry.name);
    }
  };
  const packageAt = (dir, name) => {
    if (!packages.has(name)) packages.set(name, 0);
    walk(dir, name);
  };
  if (existsSync(nodeModules)) walkModules(nodeModules);
  return { bytes, files, packages };
}

function run(command, args, options) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('close', (status) => resolvePromise({ status, output }));
  });
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(argv) {
  const jsonFlag = argv.indexOf('--json');
  const jsonPath = jsonFlag === -1 ? null : resolve(argv[jsonFlag + 1]);
  const only = argv.filter((arg, i) => !arg.startsWith('--') && !(jsonFlag !== -1 && i === jsonFlag + 1));
  const all = publishablePackages();
  const byName = new Map(all.map((entry) => [entry.manifest.name, entry]));
  const measured = only.length === 0 ? all : all.filter(({ id, manifest }) => only.includes(id) || only.includes(manifest.name));
  if (measured.length === 0) { console.error(`install-sizes: no package matches ${only.join(' ')}`); return 1; }

  const work = mkdtempSync(join(tmpdir(), 'fathom-install-sizes-'));
  try {
    const tarballDir = join(work, 'tarballs');
    mkdirSync(tarballDir);
    const tarballs = new Map();
    const needed = new Set(measured.flatMap(({ manifest }) => fathomClosure(manifest.name, byName)));
    console.error(`install-sizes: packing ${needed.size} package(s)`);
    for (const name of needed) {
      const { dir } = byName.get(name);
      const output = execFileSync('pnpm', ['pack', '--json', '--pack-destination', tarballDir], { cwd: dir, encoding: 'utf8' });
      const packed = JSON.parse(output.slice(output.indexOf('{')));
      tarballs.set(name, resolve(tarballDir, packed.filename));
    }

    const results = [];
    const queue = [...measured];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const { id, manifest } = next;
        const consumer = join(work, `install-${id}`);
        mkdirSync(consumer);
        const dependencies = Object.fromEntries(fathomClosure(manifest.name, byName).map((name) => [name, `file:${tarballs.get(name)}`]));
        writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: `size-of-${id}`, private: true, dependencies }, null, 2));
        const started = performance.now();
        const install = await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', '--loglevel=error'], { cwd: consumer });
        const seconds = (performance.now() - started) / 1000;
        if (install.status !== 0) {
          console.error(`install-sizes: npm install of ${manifest.name} failed:\n${install.output}`);
          results.push({ name: manifest.name, error: install.output.trim().split('\n').slice(0, 5).join(' ') });
          continue;
        }
        const { bytes, files, packages } = measure(join(consumer, 'node_modules'));
        const largest = [...packages].filter(([name]) => !name.startsWith(SCOPE)).sort((a, b) => b[1] - a[1]).slice(0, 3);
        results.push({
          name: manifest.name, bytes, files, packages: packages.size,
          fathom: [...packages.keys()].filter((name) => name.startsWith(SCOPE)).sort(),
          largest: largest.map(([name, size]) => ({ name, bytes: size })),
        });
        console.error(`  ${manifest.name}: ${megabytes(bytes)} (${packages.size} packages, npm install ${seconds.toFixed(1)} s)`);
        rmSync(consumer, { recursive: true, force: true });
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, measured.length) }, worker));

    results.sort((a, b) => a.name.localeCompare(b.name));
    const platform = `${process.platform}-${process.arch}, Node ${process.version}`;
    console.log(`Install size of each package installed alone with npm (${platform}):\n`);
    console.log('| package | node_modules | files | packages | largest third-party packages |');
    console.log('|---|---:|---:|---:|---|');
    for (const result of results) {
      if (result.error) { console.log(`| ${result.name} | failed | | | ${result.error} |`); continue; }
      const largest = result.largest.map(({ name, bytes }) => `${name} ${megabytes(bytes)}`).join(', ') || '—';
      console.log(`| ${result.name} | ${megabytes(result.bytes)} | ${result.files} | ${result.packages} | ${largest} |`);
    }
    if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify({ platform, results }, null, 2)}\n`);
    return results.some((result) => result.error) ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
