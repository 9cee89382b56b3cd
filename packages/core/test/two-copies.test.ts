import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as firstBackend from '../src/backend-entry.js';
import * as first from '../src/index.js';

// A package manager may install two copies of @fathom/core (mismatched versions, nested
// installs, a bundler's duplicate): each its own modules, so module-scope state would split.
// The second copy here is the built package copied to another folder — a distinct set of
// modules, as npm's nested copy is — beside this test's own (the sources).
const built = fileURLToPath(new URL('../dist', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fathom-core-copy-'));
cpSync(built, join(dir, 'dist'), { recursive: true });
const second = (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as typeof first;
const secondBackend = (await import(pathToFileURL(join(dir, 'dist', 'backend-entry.js')).href)) as typeof firstBackend;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('two copies of @fathom/core in one process', () => {
  it('are two sets of modules (the premise)', () => {
    expect(existsSync(join(dir, 'dist', 'index.js'))).toBe(true);
    expect(second.Tensor).not.toBe(first.Tensor);
  });

  it('share one gradient engine: installed through one, used by tensors of the other', () => {
    const recorded: string[] = [];
    const engine: firstBackend.GradientEngine = {
      isRecording: () => true,
      record: (op) => { recorded.push(op); },
      backward: () => undefined,
      retainGrad: () => undefined,
      registerHook: () => () => undefined,
    };
    const previous = firstBackend.installGradientEngine(engine);
    try {
      expect(secondBackend.gradientEngine()).toBe(engine);
      const w = second.randn([2, 2]);
      w.requiresGrad = true; // needs an engine: this threw "no gradient engine is installed" with split state
      w.mul(2);
      expect(recorded).toEqual(['mul']);
    } finally {
      firstBackend.installGradientEngine(previous);
    }
  });

  it('share the device registry and the default device', async () => {
    const backend = { ...firstBackend.createCpuBackend(), name: 'cpu-copy' };
    first.registerBackend(backend);
    try {
      expect(second.registeredDevices()).toContain('cpu-copy');
      await second.useDevice('cpu-copy');
      expect(first.defaultDevice()).toBe('cpu-copy');
      expect(first.zeros([2]).device).toBe('cpu-copy');
    } finally {
      await first.useDevice('cpu');
      first.unregisterBackend('cpu-copy');
    }
  });

  it('share scopes: tensors made through one copy are released by the other copy’s scope', () => {
    const before = first.memoryStats();
    let made: first.Tensor | undefined;
    first.scope(() => {
      made = second.randn([3]).exp();
    });
    expect(made!.isReleased).toBe(true);
    expect(second.memoryStats()).toEqual(before);
  });

  it('share the default generator: a seed set through one draws the same numbers through the other', async () => {
    first.manualSeed(7);
    const a = Array.from(await first.randn([4]).data());
    first.manualSeed(7);
    const b = Array.from(await second.randn([4]).data());
    expect(b).toEqual(a);
  });
});
