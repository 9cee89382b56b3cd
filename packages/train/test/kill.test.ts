import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Linear, Sequential } from '@fathom/layers';
import { loadCheckpoint } from '../src/index.js';

// TESTING.md: a process killed by SIGKILL at random points while saving,
// many times: the last whole checkpoint always loads, and no temp file is
// left once the checkpoint is loaded again.

const KILLS = Number(process.env.CHECKPOINT_KILLS ?? 30);
const child = join(dirname(fileURLToPath(import.meta.url)), 'save-until-killed.mjs');

/** Starts the saver, waits for its first whole save, kills it `delayMs` later; resolves with the last step it reported. */
function saveThenKill(path: string, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const saver = spawn(process.execPath, [child, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    saver.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!armed && out.includes('saved 1\n')) {
        armed = true;
        setTimeout(() => saver.kill('SIGKILL'), delayMs);
      }
    });
    saver.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    saver.on('error', reject);
    saver.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`saver exited without being killed: ${err}`));
      else resolve(Math.max(...[...out.matchAll(/saved (\d+)/g)].map((m) => Number(m[1]))));
    });
  });
}

describe('a checkpoint save killed at random points', () => {
  it(`leaves the last whole checkpoint loadable and no temp file, ${KILLS} times`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fathom-kill-'));
    const path = join(dir, 'last.safetensors');
    // Seeded delays: reproducible, spread over many points of a save.
    let state = 12345;
    const model = new Sequential(new Linear(512, 512), new Linear(512, 512), new Linear(512, 512));
    let cutMidWrite = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      const reported = await saveThenKill(path, state % 60);
      if (readdirSync(dir).some((name) => name.endsWith('.tmp'))) cutMidWrite++;
      const { step } = await loadCheckpoint(path, { model });
      // The file is the last completed save or the one whose rename landed just before the kill.
      expect(step === reported || step === reported + 1, `kill ${kill}: loaded step ${step}, last reported ${reported}`).toBe(true);
      for (const parameter of model.parameters()) {
        const values = await parameter.data();
        expect(values.every((v) => v === step), `kill ${kill}: a weight differs from ${step}`).toBe(true);
      }
      expect(readdirSync(dir)).toEqual(['last.safetensors']);
    }
    // Some kills must land inside a write, or the test proves nothing.
    expect(cutMidWrite).toBeGreaterThan(0);
  });
});
