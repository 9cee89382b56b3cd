import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// SIGINT finishes the step, saves last.safetensors, prints the command that
// resumes and exits 0; that command continues the run to the same metrics,
// bit for bit, as a run that was never interrupted.

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const FLAGS = ['--arch', 'lenet5', '--device', 'wasm', '--epochs', '2', '--limit', '640', '--batch-size', '32', '--grad-norm-every', '5'];

interface Record { split: string; step: number; loss?: number; acc1?: number; [key: string]: unknown }

function records(dir: string): Record[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record)
    .map(({ time: _time, samples_per_s: _rate, ...rest }) => rest as Record); // wall-clock measures differ between runs
}

/** Runs fathom-train in a child process and sends SIGINT once it has printed a progress line past step `after`. */
function interruptedRun(args: readonly string[], after: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const steps = [...stdout.matchAll(/step (\d+)\/\d+/g)].map((m) => Number(m[1]));
      if (!sent && steps.some((s) => s >= after)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('SIGINT and --resume', () => {
  it('saves, prints the resume command, and the resumed run equals an uninterrupted one', async () => {
    const whole = mkdtempSync(join(tmpdir(), 'fathom-whole-'));
    const uninterrupted = await runCli([...FLAGS, '--out', whole]);
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);

    const cut = mkdtempSync(join(tmpdir(), 'fathom-cut-'));
    const first = await interruptedRun([...FLAGS, '--out', cut], 6);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/SIGINT: finishing this step/);
    const command = /resume with: fathom-train (.+)/.exec(first.stdout)?.[1];
    expect(command).toBeDefined();
    expect(command).toContain(`--resume ${join(cut, 'last.safetensors')}`);

    const resumed = await runCli(command!.split(' '));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(records(cut)).toEqual(records(whole));
    expect(records(whole).filter((r) => r.split === 'val')).toHaveLength(2);
  });
});
