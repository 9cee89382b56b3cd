import { bufferedOutput } from '@fathom/train/cli';
import { main } from '../src/cli.js';

/** What one `fathom-train` call printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in this process with captured output (progress as plain lines, as off a terminal). */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const output = bufferedOutput();
  const code = await main(args, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}
