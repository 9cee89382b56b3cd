import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, smallText, tmp, TINY } from './cli-run.js';

// Bad input of every kind: one line on stderr naming the problem, exit code 2, never a stack trace.

function expectUsageError(run: { code: number; stderr: string }, pattern: RegExp): void {
  expect(run.code).toBe(2);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

function file(name: string, content: string | Uint8Array): string {
  const path = join(tmp('bad'), name);
  writeFileSync(path, content);
  return path;
}

let checkpoint = '';
let text = '';

beforeAll(async () => {
  text = smallText().path;
  const out = tmp('bad-run');
  const run = await runCli(['train', '--text', text, ...TINY, '--steps', '2', '--eval-every', '0', '--sample-length', '0', '--out', out]);
  expect(run.code, run.stderr).toBe(0);
  checkpoint = join(out, 'last.safetensors');
});

describe('fathom-lm refuses bad input with one line and exit 2', () => {
  it('an unknown flag', async () => expectUsageError(await runCli(['train', '--step', '3']), /unknown option '--step'.*--steps/));
  it('an unknown cell', async () => expectUsageError(await runCli(['train', '--model', 'transformer']), /argument 'transformer' is invalid.*lstm, gru, rnn/));
  it('a non-numeric value', async () => expectUsageError(await runCli(['train', '--lr', 'fast']), /--lr.*expected a number > 0, got 'fast'/));
  it('--epochs and --steps together', async () => expectUsageError(await runCli(['train', '--epochs', '1', '--steps', '5']), /--epochs and --steps both set/));
  it('a missing text file', async () => expectUsageError(await runCli(['train', '--text', '/no/such/file.txt']), /cannot read \/no\/such\/file\.txt/));
  it('an empty text file', async () => expectUsageError(await runCli(['train', '--text', file('empty.txt', '')]), /--text .*empty\.txt: the file is empty/));
  it('a text that is not UTF-8', async () => {
    const latin1 = file('latin1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x21]));
    expectUsageError(await runCli(['train', '--text', latin1]), /latin1\.txt: is not valid UTF-8: malformed byte sequence at byte 3 \(e9 21\)/);
  });
  it('a text too short for the batch', async () => expectUsageError(await runCli(['train', '--text', file('short.txt', 'abcdefghij'.repeat(3)), '--batch-size', '32']), /too short for --batch-size 32/));
  it('a validation split too small', async () => expectUsageError(await runCli(['train', '--text', text, ...TINY, '--batch-size', '200', '--val-fraction', '0.05']), /--val-fraction 0.05 leaves 130 characters for validation/));
  it('--resume with another model', async () => {
    expectUsageError(await runCli(['train', '--text', text, ...TINY, '--hidden', '32', '--resume', checkpoint]), /--resume .*: the checkpoint's model differs in hidden; pass --hidden 16/);
  });
  it('--resume on another text', async () => {
    expectUsageError(await runCli(['train', '--text', file('other.txt', 'a different text entirely. '.repeat(50)), ...TINY, '--resume', checkpoint]), /the checkpoint was trained on another text/);
  });
  it('a checkpoint that is not a fathom-lm one', async () => {
    const weights = file('weights.safetensors', 'not a safetensors file at all');
    expectUsageError(await runCli(['sample', '--checkpoint', weights]), /--checkpoint .*weights\.safetensors: /);
  });
  it('a missing --checkpoint', async () => expectUsageError(await runCli(['sample']), /required option '--checkpoint <file>' not specified/));
  it('a prompt with characters outside the vocabulary', async () => {
    expectUsageError(await runCli(['sample', '--checkpoint', checkpoint, '--prompt', 'The Whale!', '--device', 'cpu']), /--prompt: 3 characters 'T' \(U\+0054\), 'W' \(U\+0057\), '!' \(U\+0021\) are not in the model's vocabulary of 20 characters/);
  });
  it('an empty prompt', async () => expectUsageError(await runCli(['sample', '--checkpoint', checkpoint, '--prompt', '']), /--prompt.*expected at least one character/));
  it('a bad --top-p', async () => expectUsageError(await runCli(['sample', '--checkpoint', checkpoint, '--top-p', '1.5']), /--top-p.*expected a number in \(0, 1\], got '1.5'/));
  it('an eval text with characters outside the vocabulary', async () => {
    expectUsageError(await runCli(['eval', '--checkpoint', checkpoint, '--text', file('new.txt', 'the whale — the ship'), '--device', 'cpu']), /--text .*new\.txt: the character '—' \(U\+2014\) is not in the model's vocabulary/);
  });
  it('an empty eval text', async () => expectUsageError(await runCli(['eval', '--checkpoint', checkpoint, '--text', file('empty.txt', '')]), /the file is empty/));
});
