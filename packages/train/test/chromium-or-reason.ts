import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The names Chromium's executable goes by, Debian's first. */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/** How to get Chromium where it is missing (tools/setup-system.sh installs it under CI). */
export const NO_CHROMIUM_HELP = "install Debian's chromium (apt-get install --no-install-recommends chromium, as tools/setup-system.sh does) or set CHROMIUM_PATH";

/**
 * The Chromium executable for the browser tests, or why there is none:
 * `CHROMIUM_PATH` when set, else the first of chromium, chromium-browser,
 * google-chrome on PATH.
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

interface Runner {
  it: { (name: string, fn: () => void): void; skip(name: string, fn: () => void): void };
}

/**
 * Registers the one test that stands in for a browser suite when Chromium is
 * missing: skipped on a developer's machine, failed under CI (CI=true), where
 * tools/setup-system.sh installs it (as packages/layers/test/backend-or-reason.ts
 * does for backends).
 */
export function noChromium(runner: Runner, suite: string, reason: string): void {
  if (process.env.CI) {
    runner.it(`${suite}: Chromium is required under CI`, () => {
      throw new Error(reason);
    });
  } else runner.it.skip(`${suite}: skipped, ${reason}`, () => {});
}
