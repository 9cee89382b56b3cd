import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeDigitImageFolder } from '@fathom/datasets/node';
import { runCli } from './run-cli.js';

// Bad input of every kind: one line on stderr naming the problem, exit code
// 2, never a stack trace.

function expectUsageError(run: { code: number; stderr: string }, pattern: RegExp): void {
  expect(run.code).toBe(2);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `fathom-bad-${name}-`));

describe('fathom-train refuses bad input with one line and exit 2', () => {
  it('an unknown flag', async () => expectUsageError(await runCli(['--epoch', '3']), /unknown option '--epoch'.*--epochs/));
  it('an unknown architecture', async () => expectUsageError(await runCli(['--arch', 'resnet19']), /argument 'resnet19' is invalid.*resnet18/));
  it('a non-numeric value', async () => expectUsageError(await runCli(['--lr', 'fast']), /--lr.*expected a number > 0, got 'fast'/));
  it('zero epochs', async () => expectUsageError(await runCli(['--epochs', '0']), /--epochs.*expected a positive integer, got '0'/));
  it('a missing data folder', async () => expectUsageError(await runCli(['--data', '/no/such/folder']), /--data \/no\/such\/folder: no such folder/));
  it('a data folder without train/', async () => expectUsageError(await runCli(['--data', tmp('layout')]), /no 'train' folder \(expected ImageNet's layout/));

  it('an empty class folder', async () => {
    const root = tmp('empty');
    for (const split of ['train', 'val']) mkdirSync(join(root, split, 'cat'), { recursive: true });
    expectUsageError(await runCli(['--data', root, '--device', 'cpu']), /ImageFolder.*(empty|no image)/i);
  });

  it('a class folder with no decodable image', async () => {
    const root = tmp('undecodable');
    await writeDigitImageFolder(root, { trainPerClass: 1, valPerClass: 1, size: 28 });
    for (const split of ['train', 'val']) {
      mkdirSync(join(root, split, 'noise'), { recursive: true });
      writeFileSync(join(root, split, 'noise', 'broken.png'), 'this is not a PNG file');
    }
    expectUsageError(await runCli(['--data', root, '--arch', 'lenet5', '--device', 'cpu', '--epochs', '1', '--out', tmp('undecodable-run')]), /broken\.png/);
  });

  it('--pretrained weights of another architecture', async () => {
    const out = tmp('lenet');
    expect((await runCli(['--arch', 'softmax', '--device', 'cpu', '--epochs', '1', '--limit', '8', '--out', out])).code).toBe(0);
    expectUsageError(await runCli(['--arch', 'lenet5', '--pretrained', join(out, 'best.safetensors'), '--device', 'cpu']), /--pretrained .*best\.safetensors: .*missing key/);
  });

  it('--resume a checkpoint of another architecture', async () => {
    const out = tmp('resume-other');
    expect((await runCli(['--arch', 'softmax', '--device', 'cpu', '--epochs', '1', '--limit', '8', '--out', out])).code).toBe(0);
    expectUsageError(await runCli(['--arch', 'mlp', '--resume', join(out, 'last.safetensors'), '--device', 'cpu']), /the checkpoint is of --arch softmax, not mlp/);
  });

  it('--resume a file that is not a checkpoint', async () => {
    const path = join(tmp('not-checkpoint'), 'last.safetensors');
    writeFileSync(path, 'garbage');
    expectUsageError(await runCli(['--resume', path]), /--resume .*last\.safetensors: .*too short for a safetensors file|not valid/);
  });

  it('--evaluate without weights', async () => expectUsageError(await runCli(['--evaluate']), /--evaluate needs weights/));
  it('--pca with a convolutional network', async () => expectUsageError(await runCli(['--pca', '20', '--arch', 'lenet5']), /--pca trains a classifier on principal components: use --arch softmax/));

  it('--device webgpu with no adapter', () => {
    // A child process whose Vulkan loader finds no driver: Dawn has no adapter to offer.
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    const run = spawnSync(process.execPath, [main, '--device', 'webgpu', '--epochs', '1', '--limit', '8'], {
      encoding: 'utf8', env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' },
    });
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('fathom-train'));
    expect(run.status).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--device webgpu: .*no WebGPU adapter/);
    // Dawn logs its own Vulkan warnings (C++ frames); no JavaScript stack may follow ours.
    expect(run.stderr).not.toMatch(/\n\s+at .*\.js/);
  });
});
