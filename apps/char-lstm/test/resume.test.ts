import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSafetensors } from '@fathom/io/node';
import { runCli, smallText, tmp, TINY } from './cli-run.js';

// SIGINT finishes the step, saves last.safetensors (with the carried hidden
// state), prints the command that resumes and exits 0; that command ends the
// run with the weights and metrics of a run that was never interrupted.

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

async function weights(path: string): Promise<number[][]> {
  const { tensors } = await loadSafetensors(path);
  return Promise.all(Object.keys(tensors).filter((key) => key.startsWith('model.')).sort().map(async (key) => Array.from(await tensors[key].data())));
}

function validations(dir: string): unknown[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { split: string; time: number })
    .filter((record) => record.split === 'val').map(({ time: _time, ...rest }) => rest);
}

describe('fathom-lm: SIGINT and --resume', () => {
  it('saves mid-pass, prints the resume command, and the resumed run equals an uninterrupted one', async () => {
    const { path } = smallText();
    const flags = ['train', '--text', path, ...TINY, '--dropout', '0.2', '--steps', '300', '--eval-every', '100', '--sample-length', '20'];
    const whole = tmp('whole');
    expect((await runCli([...flags, '--out', whole])).code).toBe(0);

    const cut = tmp('cut');
    const child = spawn(process.execPath, [MAIN, ...flags, '--out', cut], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const before = stdout;
      stdout += chunk.toString();
      if (!/step \d+\/300 {2}loss/.test(before) && /step \d+\/300 {2}loss/.test(stdout)) child.kill('SIGINT'); // at the first progress line
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/SIGINT: finishing this step/);
    const stoppedAt = Number(/interrupted at step (\d+)/.exec(stdout)?.[1]);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(300);
    const command = /resume with: fathom-lm (.+)/.exec(stdout)?.[1];
    expect(command).toContain(`--resume ${join(cut, 'last.safetensors')}`);

    const resumed = await runCli(command!.split(' '));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await weights(join(cut, 'last.safetensors'))).toEqual(await weights(join(whole, 'last.safetensors')));
    expect(validations(cut)).toEqual(validations(whole));
  });
});
