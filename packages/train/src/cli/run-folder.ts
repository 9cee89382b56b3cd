import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** `runs/<UTC time>-<name>`, made (with parents) if `given` is not set; else `given`, made. */
export function runFolder(given: string | undefined, name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
  const dir = given ?? join('runs', `${stamp}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
