import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { backendOrReason, noAdapter } from './adapter.js';

// Dawn keeps a Node process alive while its device lives (and, in older
// releases, spun a core: dawn-gpu/node-webgpu issues 17 and 18). A program
// that used the backend must end on its own: this runs one, built from dist
// as a user would import it, in a fresh process with no process.exit().

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXIT_TIMEOUT_MS = 60_000;

function newestIn(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }, 0);
}

// The tests may run before (or beside) this package's own build: build dist when it is missing or older than src.
function ensureBuilt(): void {
  const entry = join(packageDir, 'dist', 'index.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestIn(join(packageDir, 'src'))) return;
  const tsc = createRequire(join(packageDir, 'package.json')).resolve('typescript/bin/tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building @fathom/webgpu failed:\n${built.stdout}${built.stderr}`);
}

const SCRIPT = `
import { webgpu } from '@fathom/webgpu';
import { tensor, useDevice } from '@fathom/core';
const idle = async () => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / (performance.now() - start);
};
const backend = await useDevice(webgpu());
const values = await tensor([1, 2, 3]).exp().data();
const busy = await idle();
if (process.env.FATHOM_DESTROY === '1') await backend.destroy();
console.log(JSON.stringify({ values: Array.from(values), idleCores: busy }));
`;

function runScript(destroy: boolean) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    cwd: packageDir, encoding: 'utf8', timeout: EXIT_TIMEOUT_MS, env: { ...process.env, FATHOM_DESTROY: destroy ? '1' : '0' },
  });
}

const found = await backendOrReason();
if ('backend' in found) {
  await found.backend.destroy();
  for (const destroy of [true, false]) {
    it(`a program that used webgpu exits on its own${destroy ? ' after destroy()' : ' even without destroy()'}`, () => {
      ensureBuilt();
      const result = runScript(destroy);
      expect(result.error, `still running after ${EXIT_TIMEOUT_MS / 1000} s: ${result.stderr}`).toBeUndefined();
      expect(result.status, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout.trim().split('\n').pop() as string) as { values: number[]; idleCores: number };
      expect(report.values.map((v) => Math.round(v * 1000) / 1000)).toEqual([2.718, 7.389, 20.086]);
      // Reported, not asserted (TESTING.md: performance is not a test): the CPU an idle device costs.
      console.log(`webgpu: idle CPU with a live device: ${(report.idleCores * 100).toFixed(1)}% of one core`);
    });
  }
} else noAdapter({ it }, found.reason);
