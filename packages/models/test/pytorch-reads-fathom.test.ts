import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualSeed, randn } from '@fathom/core';
import { noGrad, useAutograd } from '@fathom/autograd';
import { saveWeights } from '@fathom/io/node';
import { LeNet5 } from '../src/index.js';
import { noTorch, runScript, torchPython } from './torch-python.js';

useAutograd();

// A file Fathom writes opens in PyTorch: saveWeights' safetensors, read to
// the spec in Python, loads strictly into PyTorch's LeNet-5 and gives
// Fathom's logits.

const python = torchPython();
describe('PyTorch reads weights Fathom saved', () => {
  if (!python) {
    noTorch(it, 'PyTorch reads Fathom weights');
    return;
  }
  it('LeNet-5: PyTorch loads the file strictly and computes the same logits', async () => {
    manualSeed(7);
    const model = new LeNet5();
    model.eval();
    const x = randn([3, 1, 28, 28]);
    const ours = await noGrad(() => model.forward(x)).data();
    const dir = mkdtempSync(join(tmpdir(), 'fathom-to-torch-'));
    try {
      await saveWeights(model, join(dir, 'lenet5.safetensors'), { metadata: { arch: 'lenet5' } });
      writeFileSync(join(dir, 'input.json'), JSON.stringify({ shape: x.shape, data: Array.from(await x.data()) }));
      const theirs = JSON.parse(runScript(python, 'logits_from_fathom_weights.py', [join(dir, 'lenet5.safetensors'), join(dir, 'input.json')])) as {
        metadata: Record<string, string>; dtypes: string[]; shape: number[]; data: number[];
      };
      expect(theirs.metadata).toEqual({ arch: 'lenet5' });
      expect(theirs.dtypes).toEqual(['torch.float32']);
      expect(theirs.shape).toEqual([3, 10]);
      theirs.data.forEach((v, i) => expect(Math.abs(v - ours[i])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(v)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
