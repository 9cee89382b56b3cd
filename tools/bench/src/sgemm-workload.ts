import { manualSeed, matmul, memoryStats, randn, scope } from '@fathom/core';
import type { BenchCase, PreparedRun } from './case.js';
import { tf, useTfjsBackend, type TfjsBackend } from './tfjs.js';

const FULL_SIZES = [256, 512, 1024, 2048];
const QUICK_SIZES = [256, 512];

// Enough samples for a stable median without the n=2048 row taking minutes
// per framework (tfjs-cpu runs near 1 GFLOP/s: ~17 s per product there).
function iterationsFor(n: number, quick: boolean): number {
  if (quick) return 3;
  if (n <= 256) return 30;
  if (n <= 512) return 15;
  if (n <= 1024) return 5;
  return 3;
}

function prepareFathom(n: number, device: 'cpu' | 'wasm'): PreparedRun {
  manualSeed(1);
  const a = randn([n, n], { device }); // (n, n) float32
  const b = randn([n, n], { device }); // (n, n) float32
  return {
    iterate: () => scope(() => {
      matmul(a, b).dataSync();
    }),
    dispose: () => {
      a.dispose();
      b.dispose();
    },
    liveTensors: () => memoryStats(device).tensors,
  };
}

async function prepareTfjs(backend: TfjsBackend, n: number): Promise<PreparedRun> {
  await useTfjsBackend(backend);
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  return {
    iterate: () => tf.tidy(() => {
      tf.matMul(a, b).dataSync();
    }),
    dispose: () => tf.dispose([a, b]),
    liveTensors: () => tf.memory().numTensors,
  };
}

/** W1: C = A·B for square float32 matrices; 2n³ flops. */
export function sgemmCases(quick: boolean): BenchCase[] {
  return (quick ? QUICK_SIZES : FULL_SIZES).map((n) => ({
    workload: 'W1 sgemm',
    size: `n=${n}`,
    flops: 2 * n ** 3,
    iterations: iterationsFor(n, quick),
    prepare: {
      fathom: async () => prepareFathom(n, 'cpu'),
      'fathom-wasm': async () => prepareFathom(n, 'wasm'),
      'tfjs-cpu': () => prepareTfjs('cpu', n),
      'tfjs-wasm': () => prepareTfjs('wasm', n),
    },
  }));
}
