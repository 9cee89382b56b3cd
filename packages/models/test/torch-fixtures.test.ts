import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBackend, tensor, unregisterBackend, type Backend, type Device, type Tensor } from '@fathom/core';
import { noGrad, useAutograd } from '@fathom/autograd';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, LSTM, ReLU, Sequential, type Module } from '@fathom/layers';
import { loadWeights } from '@fathom/io/node';
import { BasicBlock, LeNet5 } from '../src/index.js';
import { wasm } from '@fathom/wasm';
import { webgpuOrReason } from '@fathom/webgpu';

useAutograd();

// Weights that PyTorch 1.13 saved (torch.save .pth, and safetensors written to
// the spec), loaded into Fathom's twins of the same models, give PyTorch's
// outputs on every backend. scripts/make_torch_fixtures.py wrote the fixtures.

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'torch');

interface Recorded { readonly shape: number[]; readonly data: number[] }
type Expected = Record<'input' | 'output', Recorded> & Partial<Record<'h_n' | 'c_n', Recorded>>;

function expected(name: string): Expected {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Expected;
}

/** The narrow ResNet of the fixture script: torchvision's BasicBlock at 8 and 16 planes. */
function narrowResNet(): Sequential {
  const downsample = new Sequential(new Conv2d(8, 16, 1, { stride: 2, bias: false }), new BatchNorm2d(16));
  return new Sequential(
    new Conv2d(3, 8, 3, { padding: 1, bias: false }), new BatchNorm2d(8), new ReLU(),
    new BasicBlock(8, 8), new BasicBlock(8, 16, { stride: 2, downsample }),
    new AdaptiveAvgPool2d(1), new Flatten(), new Linear(16, 10),
  );
}

interface Case {
  readonly name: string;
  readonly files: readonly string[];
  readonly make: () => Module;
  readonly run: (model: Module, x: Tensor) => Record<string, Tensor>;
}

const CASES: readonly Case[] = [
  { name: 'lenet5', files: ['lenet5.pth'], make: () => new LeNet5(), run: (m, x) => ({ output: (m as LeNet5).forward(x) }) },
  { name: 'narrow_resnet', files: ['narrow_resnet.pth', 'narrow_resnet.safetensors'], make: narrowResNet, run: (m, x) => ({ output: (m as Sequential).forward(x) }) },
  {
    name: 'bilstm',
    files: ['bilstm.pth', 'bilstm.safetensors'],
    make: () => new LSTM(5, 7, { numLayers: 2, bidirectional: true, batchFirst: true }),
    run: (m, x) => {
      const { output, h, c } = (m as LSTM).forward(x);
      return { output, h_n: h, c_n: c };
    },
  },
];

function checkClose(got: Float32Array | Float64Array | Int32Array | Uint8Array, want: readonly number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const error = Math.abs(got[i] - want[i]) - 1e-4 * Math.abs(want[i]);
    worst = Math.max(worst, error);
  }
  // TESTING.md's T3 tier (float32 against another float32 implementation's summation order).
  expect(worst, `${what}: |got - want| - rtol·|want| reaches ${worst}`).toBeLessThanOrEqual(1e-5);
}

function suite(device: Device): void {
  for (const { name, files, make, run } of CASES) {
    for (const file of files) {
      it(`${file} loads and gives PyTorch's outputs`, async () => {
        const model = make().to(device);
        model.eval();
        const result = await loadWeights(model, join(FIXTURES, file));
        expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
        const want = expected(name);
        const x = tensor(new Float32Array(want.input.data), { shape: want.input.shape, device });
        const outputs = noGrad(() => run(model, x));
        for (const [key, value] of Object.entries(outputs)) {
          const recorded = want[key as keyof Expected]!;
          expect(value.shape, key).toEqual(recorded.shape);
          checkClose(await value.data(), recorded.data, `${file} ${key} on ${device}`);
        }
      });
    }
  }
}

describe('PyTorch-saved weights on cpu', () => suite('cpu'));

const others = [['wasm', async () => ({ backend: await wasm() })], ['webgpu', () => webgpuOrReason()]] as const;
for (const [name, find] of others) {
  const found: { backend: Backend } | { reason: string } = await find();
  if ('reason' in found) {
    // Skipped on a machine without an adapter; under CI (lavapipe installed) it must run.
    describe(name, () => (process.env.CI ? it : it.skip)(`${name}: ${found.reason}`, () => { throw new Error(found.reason); }));
    continue;
  }
  describe(`PyTorch-saved weights on ${name}`, () => {
    beforeAll(() => { registerBackend(found.backend); });
    afterAll(() => {
      unregisterBackend(found.backend.name);
      found.backend.destroy();
    });
    suite(name);
  });
}

describe('a strict load of a file for another model', () => {
  it('names every missing key, unexpected key and shape mismatch at once, with shapes', async () => {
    const other = new Sequential(new Conv2d(3, 8, 3, { padding: 1, bias: false }), new BatchNorm2d(4), new ReLU(), new Linear(2, 2));
    const error = await loadWeights(other, join(FIXTURES, 'narrow_resnet.safetensors')).then(() => null, (e: unknown) => e as Error);
    expect(error?.name).toBe('ValueError');
    const message = error!.message;
    expect(message).toContain('narrow_resnet.safetensors does not fit the model');
    expect(message).toMatch(/2 missing keys \(3\.weight \[2,2\], 3\.bias \[2\]\)/);
    expect(message).toMatch(/unexpected keys \(.*3\.conv1\.weight \[8,8,3,3\]/);
    expect(message).toMatch(/shape mismatches \(1\.weight: file \[8\], model \[4\], 1\.bias: file \[8\], model \[4\]/);
  });
});
