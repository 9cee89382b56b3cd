import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// One lookup for every browser test in the workspace (train's report, the
// packages in the browser, the playground). A tool that only tests import:
// tools/check-deps.mjs lists it in TEST_HELPERS.

/** The names Chromium's executable goes by, Debian's first. */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/** How to get Chromium where it is missing (tools/setup-system.sh installs it under CI). */
export const NO_CHROMIUM_HELP = "install Debian's chromium (apt-get install --no-install-recommends chromium, as tools/setup-system.sh does) or set CHROMIUM_PATH";

/**
 * Chromium's flags for the tests. `--enable-unsafe-webgpu` gives
 * navigator.gpu a SwiftShader adapter (Dawn on the CPU) on a machine with no
 * GPU; tools/browser-tests/README.md lists what else was tried.
 */
export const CHROMIUM_ARGS = [
  // Root in a container has no user namespace for Chromium's sandbox.
  '--no-sandbox',
  '--headless=new',
  // Docker's 64 MB /dev/shm is too small for the renderer's shared memory.
  '--disable-dev-shm-usage',
  '--enable-unsafe-webgpu',
];

/**
 * The Chromium executable, or why there is none: `CHROMIUM_PATH` when set,
 * else the first of chromium, chromium-browser, google-chrome on PATH.
 */
export function chromiumOrReason(): { executablePath: string } | { reason: string } {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) return isExecutable(explicit) ? { executablePath: explicit } : { reason: `CHROMIUM_PATH=${explicit} is not an executable file` };
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of NAMES) {
      const path = join(dir, name);
      if (isExecutable(path)) return { executablePath: path };
    }
  }
  return { reason: `no Chromium on PATH: ${NO_CHROMIUM_HELP}` };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The part of vitest's API that {@link cannotRun} needs. */
export interface Runner {
  it: { (name: string, fn: () => void): void; skip(name: string, fn: () => void): void };
}

/**
 * Registers the one test that stands in for a suite that cannot run (no
 * Chromium, no WebGPU adapter): skipped on a developer's machine, failed
 * under CI (CI set), where tools/setup-system.sh installs Chromium.
 */
export function cannotRun(runner: Runner, suite: string, reason: string): void {
  if (process.env.CI) {
    runner.it(`${suite}: required under CI`, () => {
      throw new Error(reason);
    });
  } else runner.it.skip(`${suite}: skipped, ${reason}`, () => {});
}
