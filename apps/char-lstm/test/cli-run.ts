import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { bufferedOutput } from '@fathom/train/cli';
import { main } from '../src/cli.js';

/** What one `fathom-lm` call printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Separate writes to stdout's stream (streamed characters count one each). */
  readonly writes: number;
}

/** Runs the CLI in this process with captured output (progress as plain lines). */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const output = bufferedOutput();
  const code = await main(args, output);
  return { code, stdout: output.stdout(), stderr: output.stderr(), writes: output.writes() };
}

const made: string[] = [];
afterAll(() => { for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true }); });

/** A fresh temporary folder, removed when the test file's tests are done. */
export function tmp(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fathom-lm-${name}-`));
  made.push(dir);
  return dir;
}

/** A small English text (2,617 characters, 20 distinct) in a temporary file. */
export function smallText(): { readonly path: string; readonly text: string } {
  const text = 'the whale swam over the sea and the ship sailed after the whale. '.repeat(40) + 'call me ishmael.\n';
  const path = join(tmp('text'), 'text.txt');
  writeFileSync(path, text);
  return { path, text };
}

/** Flags of a tiny, fast model. */
export const TINY = ['--layers', '1', '--hidden', '16', '--embedding', '8', '--seq-len', '8', '--batch-size', '4', '--device', 'cpu'];
