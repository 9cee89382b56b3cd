import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fixture and check scripts' folder. */
export const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts');

/**
 * A Python that imports torch and torchvision (Debian's python3-torch and
 * python3-torchvision, which CI installs), or null. FATHOM_PYTHON names one
 * explicitly; otherwise `python3` on the PATH, then Debian's own.
 */
export function torchPython(): string | null {
  const candidates = process.env.FATHOM_PYTHON ? [process.env.FATHOM_PYTHON] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch, torchvision'], { encoding: 'utf8', env: pythonEnv() });
    if (probe.status === 0) return python;
  }
  return null;
}

/** The environment for PyTorch runs: single-threaded, so CI's two cores are not oversubscribed. */
export function pythonEnv(): NodeJS.ProcessEnv {
  return { ...process.env, OMP_NUM_THREADS: '1' };
}

/** Runs a script of SCRIPTS with `python`, returning its stdout; a failure throws with its stderr. */
export function runScript(python: string, script: string, args: readonly string[]): string {
  const run = spawnSync(python, [join(SCRIPTS, script), ...args], { encoding: 'utf8', env: pythonEnv(), maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`${script} failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}

/** Registers the stand-in for a PyTorch check: skipped with the reason on a developer's machine, failed under CI, which installs torch. */
export function noTorch(it: { (name: string, fn: () => void): void; skip(name: string, fn: () => void): void }, what: string): void {
  const reason = 'no Python with torch and torchvision here (apt-get install python3-torch python3-torchvision)';
  if (process.env.CI) it(`${what}: PyTorch is required under CI`, () => { throw new Error(reason); });
  else it.skip(`${what}: skipped, ${reason}`, () => {});
}
