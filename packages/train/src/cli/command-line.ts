import { isFathomError } from '@fathom/core';
import { Writable } from 'node:stream';
import { CommanderError, type Command } from 'commander';
import { DivergenceError } from '../loop/divergence-error.js';
import type { ProgressStream } from '../progress/progress-reporter.js';
import { UsageError } from './usage-error.js';

/** Where a command line writes: stdout and stderr by default, buffers in tests. */
export interface CliOutput {
  /** A line of ordinary output. */
  log(line: string): void;
  /** A line of error output. */
  error(line: string): void;
  /** The stream progress bars draw on (stdout by default). */
  readonly stream: ProgressStream;
}

/** stdout and stderr. */
export const consoleOutput: CliOutput = {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
  stream: process.stdout,
};

/** A {@link CliOutput} that keeps what was written, for tests and for embedding a command line. */
export interface BufferedOutput extends CliOutput {
  /** Everything written to stdout so far: log lines and the stream (progress, streamed text). */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** How many separate writes reached the stream. */
  writes(): number;
}

/**
 * Output kept in memory; its stream is not a terminal, so progress comes as
 * plain lines.
 *
 * ```ts
 * const output = bufferedOutput();
 * const code = await main(['--steps', '10'], output);
 * console.log(code, output.stdout());
 * ```
 */
export function bufferedOutput(): BufferedOutput {
  const out: string[] = [];
  const err: string[] = [];
  let writes = 0;
  const stream = new Writable({ write(chunk: Buffer, _encoding, done) { writes++; out.push(chunk.toString()); done(); } });
  return {
    log: (line) => out.push(`${line}\n`),
    error: (line) => err.push(`${line}\n`),
    stream,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    writes: () => writes,
  };
}

/**
 * Runs a commander program on `argv` (the arguments after the script name)
 * and resolves to the exit code: 0 done (or help, or interrupted and saved);
 * 2 for bad input of any kind — a usage error, a corrupt or missing file, a
 * shape or device problem — printed as one line on stderr with no stack
 * trace; 1 when training diverged. Nothing calls `process.exit`, so tests
 * can call it. Errors that are not Fathom's are bugs and are rethrown.
 *
 * ```ts
 * process.exitCode = await runCommandLine(program, process.argv.slice(2));
 * ```
 */
export async function runCommandLine(program: Command, argv: readonly string[], output: CliOutput = consoleOutput): Promise<number> {
  const name = program.name();
  const commands = [program, ...program.commands];
  for (const command of commands) {
    command.exitOverride().configureOutput({
      writeOut: (text) => output.log(text.replace(/\n$/, '')),
      // One line, suggestion included ("error: unknown option '--epoch' (Did you mean --epochs?)").
      writeErr: (text) => output.error(text.trim().replace(/\s*\n\s*/g, ' ')),
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // help (0), or a usage error commander printed
    if (error instanceof DivergenceError) {
      output.error(`${name}: ${firstLine(error)}`);
      return 1;
    }
    if (error instanceof UsageError || isFathomError(error)) {
      output.error(`${name}: ${firstLine(error)}`);
      return 2;
    }
    throw error;
  }
}

function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split('\n')[0];
}
