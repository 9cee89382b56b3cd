import { Writable } from 'node:stream';
import { main, type Output } from '../src/cli.js';

/** What one `fathom-train` call printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in this process with captured output (progress as plain lines, as off a terminal). */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _encoding, done) { out.push(chunk.toString()); done(); } });
  const output: Output = { log: (line) => out.push(`${line}\n`), error: (line) => err.push(`${line}\n`), stream };
  const code = await main(args, output);
  return { code, stdout: out.join(''), stderr: err.join('') };
}
