import { manualSeed, matmul, randn } from '@fathom/core';
import { FATHOM_DEVICES, type BenchCase, type FathomFramework, type PreparedRun } from './case.js';
import { fathomRun } from './fathom-devices.js';
import { tf, tfjsRun, useTfjsBackend, type TfjsBackend } from './tfjs.js';

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

function prepareFathom(framework: FathomFramework, n: number): PreparedRun {
  manualSeed(1);
  const device = FATHOM_DEVICES[framework];
  const a = randn([n, n], { device }); // (n, n) float32
  const b = randn([n, n], { device }); // (n, n) float32
  return fathomRun(framework, () => [matmul(a, b)], [a, b]);
}

async function prepareTfjs(backend: TfjsBackend, n: number): Promise<PreparedRun> {
  await useTfjsBackend(backend);
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  return tfjsRun(backend, () => [tf.matMul(a, b)], [a, b]);
}

/** W1: C = A·B for square float32 matrices; 2n³ flops. */
export function sgemmCases(quick: boolean): BenchCase[] {
  return (quick ? QUICK_SIZES : FULL_SIZES).map((n) => ({
    workload: 'W1 sgemm',
    size: `n=${n}`,
    throughput: { unit: 'GFLOP/s', perIteration: (2 * n ** 3) / 1e9 },
    iterations: iterationsFor(n, quick),
    prepare: {
      fathom: async () => prepareFathom('fathom', n),
      'fathom-wasm': async () => prepareFathom('fathom-wasm', n),
      'fathom-webgpu': async () => prepareFathom('fathom-webgpu', n),
      'tfjs-cpu': () => prepareTfjs('cpu', n),
      'tfjs-wasm': () => prepareTfjs('wasm', n),
      'tfjs-webgpu': () => prepareTfjs('webgpu', n),
    },
    pytorch: { workload: 'w1', n },
  }));
}
