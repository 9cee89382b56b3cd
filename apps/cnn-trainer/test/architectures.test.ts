import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeDigitImageFolder } from '@fathom/datasets/node';
import { ARCHITECTURES } from '../src/architectures.js';
import { runCli } from './run-cli.js';

// Every rung of the ladder trains a few steps on wasm, on the embedded digits
// and on a tiny ImageNet-style folder: the loss is finite, the run folder
// gets its checkpoints, metrics, plots and report. (VGG's 103M-weight layer,
// its gradient and momentum fit wasm32's 4 GiB since SGD releases its
// temporaries as it goes.)

let folder = '';
// VGG-16's run folder holds 2 GB of checkpoints: each run's goes when its test ends.
let runs: string[] = [];
const runFolder = (name: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `fathom-${name}-`));
  runs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of runs) rmSync(dir, { recursive: true, force: true });
  runs = [];
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));
beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'fathom-trainer-folder-'));
  await writeDigitImageFolder(folder, { trainPerClass: 2, valPerClass: 1, size: 32, channels: 3 });
});

function expectRun(out: string, code: number, stderr: string): void {
  expect(code, stderr).toBe(0);
  expect(stderr).toBe('');
  const report = /report: (.+)/.exec(out)?.[1];
  expect(report).toBeDefined();
  const dir = join(report!, '..');
  for (const file of ['last.safetensors', 'metrics.jsonl', 'metrics.csv', 'config.json', 'plots/loss.svg', 'plots/loss.png']) {
    expect(readFileSync(join(dir, file)).length, file).toBeGreaterThan(0);
  }
  const records = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const losses = records.filter((r) => r.split === 'train').map((r) => r.loss as number);
  expect(losses.length).toBeGreaterThan(0);
  expect(losses.every(Number.isFinite)).toBe(true);
}

// VGG-11 and VGG-16 are one class with two layer lists, and a VGG step is the slowest of all
// (its 103M-weight layer, and 1 GB of checkpoints a run): each runs on one of the two data sets,
// so both data sets still meet a VGG and both depths still train, in half the time.
const ONE_DATA_SET: Partial<Record<(typeof ARCHITECTURES)[number], 'digits' | 'folder'>> = { vgg11: 'digits', vgg16: 'folder' };

describe('every --arch trains', () => {
  for (const arch of ARCHITECTURES) {
    const runs = ONE_DATA_SET[arch];
    if (runs !== 'folder') it(`${arch} on the embedded digits`, async () => {
      const out = runFolder(arch);
      const { code, stdout, stderr } = await runCli(['--arch', arch, '--device', 'wasm', '--epochs', '1', '--limit', '8', '--batch-size', '4', '--out', out]);
      expectRun(stdout, code, stderr);
      expect(stdout).toMatch(/data: the 10,000 embedded MNIST digits: 8 to train, 8 held out/);
    });

    if (runs !== 'digits') it(`${arch} on an ImageFolder`, async () => {
      const out = runFolder(`${arch}-folder`);
      const size = arch === 'lenet5' ? '28' : arch === 'alexnet' ? '64' : '32';
      const { code, stdout, stderr } = await runCli([
        '--arch', arch, '--data', folder, '--device', 'wasm', '--epochs', '1', '--batch-size', '4', '--image-size', size, '--out', out,
      ]);
      expectRun(stdout, code, stderr);
      expect(stdout).toMatch(/data: ImageFolder .*: 20 training and 10 validation images in 10 classes/);
    });
  }
});
