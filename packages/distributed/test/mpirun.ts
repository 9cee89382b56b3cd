import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory of the rank scripts the tests launch (they import the built package, dist/). */
export const RANKS = join(dirname(fileURLToPath(import.meta.url)), 'ranks');

/**
 * Why mpirun cannot be used here, or null when it can. In CI a missing mpirun
 * fails the suite instead of skipping it: tools/setup-system.sh installs
 * Open MPI there, so its absence is a broken machine, not a reason to skip.
 */
export function mpirunMissing(): string | null {
  const probe = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return null;
  const reason = 'mpirun not found: install openmpi-bin and libopenmpi-dev (tools/setup-system.sh does in CI)';
  if (process.env.CI) throw new Error(reason);
  return reason;
}

/** What one mpirun job did. */
export interface MpirunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  readonly ms: number;
  /** Whether the test's own deadline killed it (a hang). */
  readonly timedOut: boolean;
}

/**
 * Runs `node <script> <args…>` as `ranks` processes under mpirun on this
 * machine (`--oversubscribe`: CI has 2 cores; `--allow-run-as-root`: CI runs
 * as root). A job still running at `deadlineMs` is killed and reported as
 * timed out, so a hang fails a test instead of stalling the suite.
 */
export function mpirun(script: string, args: readonly string[] = [], options: { ranks?: number; deadlineMs?: number; env?: Record<string, string> } = {}): Promise<MpirunResult> {
  const { ranks = 2, deadlineMs = 45_000 } = options;
  const command = [
    '--allow-run-as-root', '--oversubscribe', '-np', String(ranks),
    // Loopback only, and no warnings about the machine's other network interfaces.
    '--mca', 'btl', 'self,vader,tcp', '--mca', 'btl_tcp_if_include', 'lo',
    process.execPath, join(RANKS, script), ...args,
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('mpirun', command, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: mpirun and the ranks it started.
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, deadlineMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started, timedOut });
    });
  });
}

/** A fresh directory for the ranks' outputs, and a function that reads `rank-<r>.json` from it. */
export function outputDirectory(): { path: string; read: <T>(rank: number) => T; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'fathom-distributed-'));
  return {
    path,
    read: <T>(rank: number) => JSON.parse(readFileSync(join(path, `rank-${rank}.json`), 'utf8')) as T,
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** The mpirun result as text, for a failing assertion's message. */
export function describeRun(result: MpirunResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''} after ${Math.round(result.ms)} ms${result.timedOut ? ', killed by the test deadline' : ''}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}
