import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { summarize, type Measurement } from './measure.js';

/** The parameters of one case as python/torch_workloads.py reads them (its `workload` picks the function). */
export type PyTorchCase = { readonly workload: string } & Readonly<Record<string, number | boolean | string>>;

/** What the run found of PyTorch, for the report. */
export interface PyTorchInfo {
  /** The interpreter that has torch (and torchvision), or null. */
  readonly python: string | null;
  /** Its torch version, or why there is none. */
  readonly description: string;
}

const SCRIPT = fileURLToPath(new URL('../python/torch_workloads.py', import.meta.url));

/**
 * Finds a python with torch and torchvision: `FATHOM_BENCH_PYTHON`, then
 * `python3` on the PATH, then Debian's `/usr/bin/python3` (where
 * `apt-get install python3-torch python3-torchvision libopenblas0-pthread`
 * puts them). PyTorch is an optional peer: without it its rows say so.
 */
export function findPyTorch(): PyTorchInfo {
  const candidates = [process.env.FATHOM_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  for (const python of new Set(candidates)) {
    try {
      const version = execFileSync(python, ['-c', 'import torch, torchvision; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      return { python, description: `PyTorch ${version} (${python})` };
    } catch {
      // Not this one; try the next.
    }
  }
  return { python: null, description: 'not found (install python3-torch, python3-torchvision and libopenblas0-pthread, or set FATHOM_BENCH_PYTHON)' };
}

/** Runs one case in a PyTorch process on `threads` threads and returns its timings. */
export function runPyTorch(python: string, testCase: PyTorchCase, iterations: number, warmup: number, threads: number): Measurement {
  const argument = JSON.stringify({ ...testCase, iterations, warmup, threads });
  const output = execFileSync(python, [SCRIPT, argument], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
  const { samplesMs } = JSON.parse(output) as { samplesMs: number[] };
  return summarize(samplesMs);
}
