import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '@fathom/core';
import { noGrad, useAutograd } from '@fathom/autograd';
import type { Module } from '@fathom/layers';
import { loadWeights } from '@fathom/io/node';
import { AlexNet, resnet18, resnet50 } from '../src/index.js';
import { noTorch, runScript, torchPython } from './torch-python.js';
import { yieldToRunner } from './yield-to-runner.js';

useAutograd();

// torchvision's own models, saved by torch.save as torchvision's released
// .pth files are (random weights: nothing is downloaded), load by path into
// the zoo's models and give PyTorch's logits.

const ARCHS: Record<string, () => Module & { forward(x: ReturnType<typeof tensor>): ReturnType<typeof tensor> }> = {
  resnet18: () => resnet18(),
  resnet50: () => resnet50(),
  alexnet: () => new AlexNet(),
};

const python = torchPython();
if (!python) {
  describe('torchvision weights', () => noTorch(it, 'torchvision weights'));
} else {
  describe('torchvision weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fathom-torchvision-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    let written = false;

    for (const [arch, make] of Object.entries(ARCHS)) {
      it(`${arch}: torchvision's state dict loads by path and gives its logits`, async () => {
        if (!written) {
          runScript(python, 'torchvision_reference.py', [dir, ...Object.keys(ARCHS)]);
          written = true;
        }
        await yieldToRunner();
        const model = make();
        model.eval();
        await loadWeights(model, join(dir, `${arch}.pth`));
        const want = JSON.parse(readFileSync(join(dir, `${arch}.json`), 'utf8')) as Record<'input' | 'output', { shape: number[]; data: number[] }>;
        const logits = noGrad(() => model.forward(tensor(new Float32Array(want.input.data), { shape: want.input.shape })));
        expect(logits.shape).toEqual(want.output.shape);
        const got = await logits.data();
        const scale = Math.max(...want.output.data.map(Math.abs));
        const worst = Math.max(...want.output.data.map((v, i) => Math.abs(got[i] - v)));
        console.log(`${arch}: max |logit difference| ${worst.toExponential(2)} (largest logit ${scale.toFixed(3)})`);
        // Float32 against float32 through tens of layers: T3's 1e-4, relative to the logits' scale.
        expect(worst).toBeLessThanOrEqual(1e-4 * Math.max(1, scale));
      });
    }
  });
}
