// The digit folder tool end to end: write PNGs from the embedded digits, read them back with ImageFolder.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLoader } from '../src/index.js';
import { ImageFolder, loadMnistDigits, writeDigitImageFolder } from '../src/node/index.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fathom-digits-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeDigitImageFolder', () => {
  it('writes train/<digit> and val/<digit> PNGs that ImageFolder reads back pixel for pixel', async () => {
    const out = join(root, 'png');
    const written = await writeDigitImageFolder(out, { trainPerClass: 3, valPerClass: 2 });
    expect(written.files.filter((f) => f.split === 'train')).toHaveLength(30);
    expect(written.files.filter((f) => f.split === 'val')).toHaveLength(20);
    expect(await readdir(join(out, 'train', '7'))).toEqual(['7_0000.png', '7_0001.png', '7_0002.png']);
    expect(await readdir(join(out, 'val', '7'))).toEqual(['7_0003.png', '7_0004.png']);

    const train = new ImageFolder(out, { split: 'train', mode: 'grayscale' });
    const val = new ImageFolder(out, { split: 'val', mode: 'grayscale' });
    expect(train.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect([train.length, val.length]).toEqual([30, 20]);

    // Image k of digit d is at position 10k + d of the embedded digits (every class has more than 5 images).
    const digits = await loadMnistDigits({ limit: 50 });
    const pixels = await digits.images.data();
    for (const [folder, index, k] of [[train, 7 * 3 + 2, 2], [val, 7 * 2 + 1, 4]] as const) {
      const { x, y } = await folder.get(index);
      expect(y).toBe(7);
      expect(x.shape).toEqual([1, 28, 28]);
      const read = await x.data();
      const position = 10 * k + 7;
      for (let i = 0; i < 784; i++) expect(Math.round(read[i] * 255)).toBe(Math.round(pixels[position * 784 + i] * 255));
    }

    // And through a DataLoader, as a trainer would.
    let seen = 0;
    for await (const { x, y } of new DataLoader(train, { batchSize: 8, shuffle: true, seed: 0 })) {
      expect(x.shape.slice(1)).toEqual([1, 28, 28]);
      seen += y.shape[0];
    }
    expect(seen).toBe(30);
  });

  it('writes resized RGB JPEGs with .JPEG names, as ImageNet', async () => {
    const out = join(root, 'jpeg');
    await writeDigitImageFolder(out, { trainPerClass: 1, valPerClass: 0, size: 64, format: 'jpeg', channels: 3 });
    expect(await readdir(join(out, 'train', '0'))).toEqual(['0_0000.JPEG']);
    const train = new ImageFolder(out, { split: 'train' });
    expect((await train.get(0)).x.shape).toEqual([3, 64, 64]);
    await expect(writeDigitImageFolder(out, { trainPerClass: 900 })).rejects.toThrow(/863 of the rarest class/);
  });

  it('is a command: fathom-digit-folder', () => {
    const cli = fileURLToPath(new URL('../dist/node/cli/make-digit-folder.js', import.meta.url));
    const out = join(root, 'cli');
    const result = spawnSync(process.execPath, [cli, out, '--train-per-class', '2', '--val-per-class', '1'], { encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/wrote 20 train and 10 val images in 10 classes/);
    expect(result.status).toBe(0);
    const bad = spawnSync(process.execPath, [cli, out, '--size', 'big'], { encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--size must be an integer/);
    expect(spawnSync(process.execPath, [cli], { encoding: 'utf8' }).status).toBe(2);
  });
});
