import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSafetensors } from '@fathom/io/node';
import { readMetrics } from '@fathom/train';
import { loadLmCheckpoint } from '../src/lm-checkpoint.js';
import { runCli, smallText, tmp, TINY } from './cli-run.js';

async function modelWeights(path: string): Promise<Record<string, number[]>> {
  const { tensors } = await loadSafetensors(path);
  const weights: Record<string, number[]> = {};
  for (const [key, tensor] of Object.entries(tensors)) if (key.startsWith('model.')) weights[key] = Array.from(await tensor.data());
  return weights;
}

describe('fathom-lm train', () => {
  it('trains, validates in bits per character, samples, and saves checkpoints that hold the vocabulary', async () => {
    const { path, text } = smallText();
    const out = tmp('run');
    const run = await runCli(['train', '--text', path, ...TINY, '--steps', '12', '--eval-every', '6', '--sample-length', '40', '--grad-norm-every', '4', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/text: .*text\.txt \(2,617 characters\), 20 distinct; 2,356 for training, 261 for validation/);
    expect(run.stdout).toMatch(/step 6\/12 {2}val loss \d\.\d{4} {2}\d\.\d{3} bits\/char {2}perplexity \d+\.\d\d/);
    const done = /validation (\d\.\d{3}) bits\/char \(loss (\d\.\d{4}) nats, perplexity (\d+\.\d\d)\)/.exec(run.stdout);
    expect(done).not.toBeNull();
    expect(Number(done![1])).toBeCloseTo(Number(done![2]) / Math.LN2, 2);
    for (const file of ['last.safetensors', 'best.safetensors', 'metrics.jsonl', 'metrics.csv', 'report.html', 'plots/loss.svg', 'plots/bpc.svg', 'plots/gradient-norms.svg']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const records = await readMetrics(join(out, 'metrics.jsonl'));
    expect(records.filter((r) => r.split === 'val').map((r) => r.step)).toEqual([6, 12]);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toContain('<h2>Samples</h2>');
    expect(report).toMatch(/step 12 · val \d\.\d{3} bits\/char/);

    // The checkpoint rebuilds the model with the text's vocabulary and the trained weights.
    const loaded = await loadLmCheckpoint(join(out, 'last.safetensors'));
    expect(loaded.vocabulary.chars.join('')).toBe([...new Set(text)].sort().join(''));
    expect(loaded.step).toBe(12);
    const saved = await modelWeights(join(out, 'last.safetensors'));
    const rebuilt = loaded.model.stateDict();
    expect(Object.keys(saved).sort()).toEqual(Object.keys(rebuilt).map((key) => `model.${key}`).sort());
    for (const [key, tensor] of Object.entries(rebuilt)) expect(Array.from(await tensor.data())).toEqual(saved[`model.${key}`]);

    // eval on the validation text, cut as training cut it, reproduces the run's last validation.
    const validation = join(tmp('val'), 'val.txt');
    writeFileSync(validation, [...text].slice(2356).join(''));
    const scored = await runCli(['eval', '--checkpoint', join(out, 'last.safetensors'), '--text', validation, '--batch-size', '4', '--device', 'cpu']);
    expect(scored.code, scored.stderr).toBe(0);
    expect(scored.stdout).toContain(`${done![1]} bits/char, loss ${done![2]} nats`);
  });

  it('--capture-steps replays the windows and trains to the same weights as an eager run', async () => {
    const { path } = smallText();
    const args = ['train', '--text', path, ...TINY, '--steps', '12', '--eval-every', '0', '--sample-length', '0', '--grad-norm-every', '0'];
    const eagerOut = tmp('eager');
    const capturedOut = tmp('captured');
    const eager = await runCli([...args, '--out', eagerOut]);
    const captured = await runCli([...args, '--capture-steps', '--out', capturedOut]);
    expect(captured.code, captured.stderr).toBe(0);
    expect(captured.stdout).toMatch(/captured steps: replaying the forward and backward pass/);
    expect(await modelWeights(join(capturedOut, 'last.safetensors'))).toEqual(await modelWeights(join(eagerOut, 'last.safetensors')));
    const bpc = (stdout: string) => /validation (\d\.\d{3}) bits\/char/.exec(stdout)?.[1];
    expect(bpc(captured.stdout)).toBe(bpc(eager.stdout));
  });
});
