import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// `mpirun -np 2 fathom-train --distributed`: rank 0 alone writes the run
// folder; an interrupt stops both ranks at the same step and the resumed run
// equals an uninterrupted one record for record; the validation metrics,
// summed over the ranks' shards, equal a single process evaluating the same
// checkpoint on the whole validation set.

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const FLAGS = ['--distributed', '--arch', 'mlp', '--device', 'cpu', '--epochs', '2', '--limit', '256', '--batch-size', '32', '--grad-norm-every', '0'];
const MPIRUN = ['--allow-run-as-root', '--oversubscribe', '-np', '2', '--mca', 'btl', 'self,vader,tcp', '--mca', 'btl_tcp_if_include', 'lo'];

interface Record { split: string; step: number; loss?: number; acc1?: number; [key: string]: unknown }

function records(dir: string): Record[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record)
    .map(({ time: _time, samples_per_s: _rate, ...rest }) => rest as Record); // wall-clock measures differ between runs
}

function mpirunMissing(): boolean {
  const probe = spawnSync('mpirun', ['--version']);
  if (probe.error === undefined && probe.status === 0) return false;
  // tools/setup-system.sh installs Open MPI in CI: missing there is a broken machine, not a reason to skip.
  if (process.env.CI) throw new Error('mpirun not found: install openmpi-bin and libopenmpi-dev');
  return true;
}

// The pid of rank `rank` among mpirun's children (their environment carries OMPI_COMM_WORLD_RANK).
function rankPid(mpirunPid: number, rank: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
      if (parent !== mpirunPid) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`OMPI_COMM_WORLD_RANK=${rank}`)) return Number(entry);
    } catch { /* gone meanwhile */ }
  }
  return undefined;
}

/** Runs `mpirun … node main.js args`; with `interruptAfter`, sends SIGINT to rank 1 alone once rank 0 reports that step. */
function job(args: readonly string[], interruptAfter?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('mpirun', [...MPIRUN, process.execPath, MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // mpirun hands rank 0 a terminal, so progress is a bar: `epoch 1/2 ███░░ 3/8  loss …` (batches of the first epoch).
      const steps = [...stdout.matchAll(/ (\d+)\/\d+ {2}loss/g)].map((m) => Number(m[1]));
      if (interruptAfter !== undefined && !sent && steps.some((s) => s >= interruptAfter)) {
        const pid = rankPid(child.pid!, 1);
        if (pid !== undefined) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(mpirunMissing())('fathom-train --distributed on 2 ranks', () => {
  const folders: string[] = [];
  const folder = (name: string) => { const dir = mkdtempSync(join(tmpdir(), `fathom-ddp-${name}-`)); folders.push(dir); return dir; };
  afterAll(() => { for (const dir of folders) rmSync(dir, { recursive: true, force: true }); });

  it('an interrupt on one rank stops both after the same step; --resume continues to the records of an uninterrupted run; validation equals one process evaluating the whole set', async () => {
    const whole = folder('whole');
    const uninterrupted = await job([...FLAGS, '--out', whole]);
    expect(uninterrupted.code, uninterrupted.stdout + uninterrupted.stderr).toBe(0);
    expect(uninterrupted.stdout).toMatch(/distributed: 2 ranks over mpi .*, 16 images a rank per step/);
    // Rank 0 alone writes: one epoch summary (train, without a step's grad_norm) and one validation per epoch, at steps 8 and 16.
    const wholeRecords = records(whole);
    expect(wholeRecords.filter((r) => r.split === 'train' && !('grad_norm' in r)).map((r) => r.step)).toEqual([8, 16]);
    expect(wholeRecords.filter((r) => r.split === 'val').map((r) => r.step)).toEqual([8, 16]);
    expect(readdirSync(whole)).toEqual(expect.arrayContaining(['config.json', 'last.safetensors', 'best.safetensors', 'report.html']));

    const cut = folder('cut');
    // The interrupt goes out at the first bar that shows a finished step: the bar redraws a few
    // times a second, so under load it can show step 6 of 8 first, and a later trigger let one
    // CI run reach the end of the epoch before rank 1 saw the signal.
    const first = await job([...FLAGS, '--out', cut], 1);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // Rank 1 got the SIGINT; rank 0 reports stopping with it, mid-epoch.
    expect(first.stdout).toMatch(/interrupted at epoch 1, step [1-7];/);
    const command = /resume with: fathom-train (.+)/.exec(first.stdout)?.[1];
    expect(command, first.stdout).toBeDefined();
    const resumed = await job(command!.split(' '));
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(records(cut)).toEqual(wholeRecords);

    // The same checkpoint evaluated by one process on the whole validation set.
    const single = await runCli(['--arch', 'mlp', '--device', 'cpu', '--limit', '256', '--evaluate', '--resume', join(whole, 'last.safetensors')]);
    expect(single.code, single.stderr).toBe(0);
    const [, loss, top1] = /evaluate: loss (\S+)\s+top-1 (\S+)%.*\((\d+) images\)/.exec(single.stdout) ?? [];
    expect(single.stdout).toMatch(/\(256 images\)/);
    const lastVal = wholeRecords.filter((r) => r.split === 'val').at(-1)!;
    expect(Number(loss)).toBeCloseTo(lastVal.loss!, 3); // printed with 4 decimals
    expect(Number(top1)).toBeCloseTo(100 * lastVal.acc1!, 1); // printed with 2 decimals; 1/256 apart at least
  });
});
