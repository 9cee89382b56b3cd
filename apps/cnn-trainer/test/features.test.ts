import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `fathom-${name}-`));

describe('fathom-train features', () => {
  it('--pca K trains the softmax classifier on K principal components', async () => {
    const out = tmp('pca');
    const run = await runCli(['--arch', 'softmax', '--pca', '30', '--device', 'wasm', '--epochs', '3', '--limit', '2000', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/projected on 30 principal components \(\d+\.\d% of the variance\)/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { pca: number };
    expect(config.pca).toBe(30);
    // 30 numbers per digit still separate the classes well (a linear model on all 784 pixels reaches ~90%).
    const top1 = Number(/val top-1 ([\d.]+)%/.exec(run.stdout)?.[1]);
    expect(top1).toBeGreaterThan(80);
  });

  it('--profile writes the op table and a Chrome trace of the training', async () => {
    const out = tmp('profile');
    // 64 training images in batches of 32, 2 steps: each LeNet-5 step runs its two convolutions forward once.
    const run = await runCli(['--arch', 'lenet5', '--device', 'wasm', '--epochs', '1', '--limit', '64', '--batch-size', '32', '--grad-norm-every', '0', '--profile', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/profile: .*profile\.txt; trace: .*trace\.json/);
    const table = readFileSync(join(out, 'profile.txt'), 'utf8');
    const conv = /^conv2d +wasm +(\d+) /m.exec(table);
    // Two training steps and the validation of 64 images in one batch: (2 + 1) × 2 convolutions.
    expect(Number(conv?.[1]), table).toBe(6);
    const trace = JSON.parse(readFileSync(join(out, 'trace.json'), 'utf8')) as { traceEvents: { name: string; ph: string; ts: number; dur: number }[] };
    const complete = trace.traceEvents.filter((event) => event.ph === 'X');
    expect(complete.filter((event) => event.name === 'conv2d')).toHaveLength(6);
    expect(complete.every((event) => event.dur >= 0)).toBe(true);
  });

  it('--capture-steps replays the steps and trains to the same losses as an eager run', async () => {
    // 256 images in batches of 32: 8 steps, of which the last 4 or 5 replay.
    const args = ['--arch', 'lenet5', '--device', 'wasm', '--epochs', '1', '--limit', '256', '--batch-size', '32', '--grad-norm-every', '0'];
    const eager = await runCli([...args, '--out', tmp('eager')]);
    const captured = await runCli([...args, '--capture-steps', '--out', tmp('captured')]);
    expect(captured.code, captured.stderr).toBe(0);
    expect(captured.stdout).toMatch(/captured steps: replaying the forward and backward pass/);
    const losses = (stdout: string) => [...stdout.matchAll(/step (\d+)\/8 +loss ([\d.]+)/g)].map((m) => `${m[1]}: ${m[2]}`);
    expect(losses(captured.stdout)).toHaveLength(8);
    expect(losses(captured.stdout)).toEqual(losses(eager.stdout));
    expect(/done: .*/.exec(captured.stdout)?.[0]).toBe(/done: .*/.exec(eager.stdout)?.[0]);
  });

  it('--evaluate scores a checkpoint as the run that saved it did', async () => {
    const out = tmp('evaluate');
    const run = await runCli(['--arch', 'mlp', '--device', 'wasm', '--epochs', '1', '--limit', '500', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const trained = /val top-1 ([\d.]+)%, top-5 ([\d.]+)%, loss ([\d.]+)/.exec(run.stdout)!;
    const evaluation = await runCli(['--arch', 'mlp', '--device', 'wasm', '--limit', '500', '--evaluate', '--resume', join(out, 'last.safetensors')]);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const scored = /evaluate: loss ([\d.]+)  top-1 ([\d.]+)%  top-5 ([\d.]+)%/.exec(evaluation.stdout)!;
    expect([scored[2], scored[3], scored[1]]).toEqual([trained[1], trained[2], trained[3]]);
    // The same weights as a starting point: a run's checkpoint, and plain safetensors exported from it.
    const pretrained = await runCli(['--arch', 'mlp', '--device', 'wasm', '--limit', '500', '--evaluate', '--pretrained', join(out, 'best.safetensors')]);
    expect(pretrained.stdout).toContain(`top-1 ${trained[1]}%`);
  });

  it('gradient-flow shows the first layers of a deep sigmoid MLP starved beside ReLU, LayerNorm and residual', async () => {
    const out = tmp('flow');
    const run = await runCli(['gradient-flow', '--depth', '6', '--width', '32', '--steps', '20', '--device', 'wasm', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const ratio = (name: string): number => Number(new RegExp(`^${name.replace('+', '\\+')}\\s+.*first/last hidden layer gradient ([\\d.e+-]+)`, 'm').exec(run.stdout)?.[1]);
    // The lesson: the sigmoid's first layer gets orders of magnitude less gradient than its last; a residual path restores it.
    expect(ratio('sigmoid')).toBeLessThan(0.01);
    expect(ratio('sigmoid + residual')).toBeGreaterThan(10 * ratio('sigmoid'));
    expect(ratio('relu')).toBeGreaterThan(10 * ratio('sigmoid'));
    expect(readFileSync(join(out, 'plots', 'gradient-flow.svg'), 'utf8')).toMatch(/sigmoid \+ layernorm/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/Gradient flow/);
  });
});
