import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBackend, unregisterBackend, useDevice, type Backend } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { wasm } from '@fathom/wasm';
import { webgpuOrReason } from '@fathom/webgpu';
import { sampleText } from '../src/generate-text.js';
import { loadLmCheckpoint, type LoadedModel } from '../src/lm-checkpoint.js';
import { runCli, smallText, tmp, TINY } from './cli-run.js';

useAutograd();

let checkpoint = '';
let loaded: LoadedModel;
let backend: Backend;

beforeAll(async () => {
  const { path } = smallText();
  const out = tmp('sample');
  const run = await runCli(['train', '--text', path, ...TINY, '--steps', '40', '--eval-every', '0', '--sample-length', '0', '--out', out]);
  expect(run.code, run.stderr).toBe(0);
  checkpoint = join(out, 'last.safetensors');
  loaded = await loadLmCheckpoint(checkpoint);
  backend = await wasm({ threads: 2 });
  registerBackend(backend);
  await useDevice('cpu');
});

afterAll(async () => { await backend?.destroy(); });

const options = { prompt: 'the whale', length: 120, temperature: 1, device: 'cpu' as const };

describe('sampling', () => {
  it('writes the same text for the same seed, and another for another seed', async () => {
    const first = await sampleText(loaded.model, loaded.vocabulary, { ...options, seed: 7 });
    expect(first).toHaveLength(120);
    expect(await sampleText(loaded.model, loaded.vocabulary, { ...options, seed: 7 })).toBe(first);
    expect(await sampleText(loaded.model, loaded.vocabulary, { ...options, seed: 8 })).not.toBe(first);
    expect([...first].every((char) => loaded.vocabulary.indexOf(char) >= 0)).toBe(true);
  });

  it('writes the same text on the cpu and wasm backends', async () => {
    const onCpu = await sampleText(loaded.model, loaded.vocabulary, { ...options, seed: 3, topP: 0.9 });
    const model = (await loadLmCheckpoint(checkpoint)).model.to(backend.name);
    const onWasm = await sampleText(model, loaded.vocabulary, { ...options, seed: 3, topP: 0.9, device: backend.name });
    expect(onWasm).toBe(onCpu);
  });

  it('writes the same text on the webgpu backend', async (context) => {
    const found = await webgpuOrReason();
    if ('reason' in found) {
      if (process.env.CI) throw new Error(found.reason); // CI installs lavapipe: no adapter there is a failure
      context.skip();
      return;
    }
    registerBackend(found.backend);
    try {
      const onCpu = await sampleText(loaded.model, loaded.vocabulary, { ...options, seed: 3, topP: 0.9 });
      const model = (await loadLmCheckpoint(checkpoint)).model.to(found.backend.name);
      expect(await sampleText(model, loaded.vocabulary, { ...options, seed: 3, topP: 0.9, device: found.backend.name })).toBe(onCpu);
    } finally {
      unregisterBackend(found.backend.name);
      await found.backend.destroy();
    }
  });

  it('greedy decoding (temperature 0) takes the argmax of a forward pass over prompt and text', async () => {
    const text = await sampleText(loaded.model, loaded.vocabulary, { ...options, length: 5, temperature: 0, seed: 1 });
    // Independently: each next character is the argmax of one forward pass over everything so far, from zeros.
    let written = 'the whale';
    const { tensor } = await import('@fathom/core');
    for (let i = 0; i < 5; i++) {
      const ids = loaded.vocabulary.encode(written);
      const logits = loaded.model.eval().forward(tensor(ids, { shape: [1, ids.length] })).logits; // (1, L, V)
      const last = Array.from(await logits.select(1, ids.length - 1).data());
      written += loaded.vocabulary.chars[last.indexOf(Math.max(...last))];
    }
    expect(text).toBe(written.slice('the whale'.length));
  });

  it('fathom-lm sample streams the prompt and each character as it is drawn', async () => {
    const run = await runCli(['sample', '--checkpoint', checkpoint, '--prompt', 'the whale', '--length', '60', '--seed', '7', '--temperature', '1', '--device', 'cpu']);
    expect(run.code, run.stderr).toBe(0);
    const expected = await sampleText(loaded.model, loaded.vocabulary, { ...options, length: 60, seed: 7 });
    expect(run.stdout).toBe(`the whale${expected}\n`);
    expect(run.writes).toBe(1 + 60 + 1); // prompt, one write per character, the closing newline
    const topK = await runCli(['sample', '--checkpoint', checkpoint, '--prompt', 'the', '--length', '30', '--top-k', '1', '--device', 'cpu']);
    const greedy = await runCli(['sample', '--checkpoint', checkpoint, '--prompt', 'the', '--length', '30', '--temperature', '0', '--device', 'cpu']);
    expect(topK.stdout).toBe(greedy.stdout); // top-k 1 is greedy decoding, whatever the seed
  });
});
