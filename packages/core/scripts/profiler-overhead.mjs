// What the profiler's hook costs when no profile runs: 100,000 adds of
// 4-element tensors on cpu, timed with core's built dist/ as it is and with
// a copy whose Storage constructor lacks the hook (the only code the profiler
// adds to a path that runs without it). Both load in one process and take
// turns, so the machine's load falls on both alike.
//   npx turbo run build --filter @fathom/core && node packages/core/scripts/profiler-overhead.mjs [rounds]
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'fathom-profiler-overhead-'));
const copies = { with: join(work, 'with'), without: join(work, 'without') };
cpSync(dist, copies.with, { recursive: true });
cpSync(dist, copies.without, { recursive: true });
const storage = join(copies.without, 'storage.js');
const source = readFileSync(storage, 'utf8');
const stripped = source.replace(/\n\s*const probe = allocationHook\.probe;\s*\n\s*if \(probe !== null\)\s*\n?\s*probe\([^)]*\);/, '');
if (stripped === source) throw new Error(`profiler-overhead: no allocation hook found in ${storage}; has storage.ts changed?`);
writeFileSync(storage, stripped);

const ADDS = 100_000;
const rounds = Number(process.argv[2] ?? 10);
const runs = {};
for (const [name, path] of Object.entries(copies)) {
  const core = await import(pathToFileURL(join(path, 'index.js')).href);
  const a = core.tensor([1, 2, 3, 4]);
  const b = core.tensor([5, 6, 7, 8]);
  runs[name] = () => {
    for (let i = 0; i < ADDS; i++) a.add(b).dispose();
  };
}
for (const run of Object.values(runs)) for (let i = 0; i < 3; i++) run(); // warm up
const times = { with: [], without: [] };
for (let round = 0; round < rounds; round++) {
  // Alternate which goes first: the second of a pair tends to run warmer.
  const order = round % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
  for (const name of order) {
    const start = performance.now();
    runs[name]();
    times[name].push(performance.now() - start);
  }
}
rmSync(work, { recursive: true, force: true });
const median = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];
const withHook = median(times.with);
const withoutHook = median(times.without);
console.log(`${ADDS.toLocaleString('en-US')} adds, median of ${rounds}: without hook ${withoutHook.toFixed(1)} ms, with hook ${withHook.toFixed(1)} ms, ratio ${(withHook / withoutHook).toFixed(3)}`);
