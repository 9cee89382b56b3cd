import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// The union bundle: tfjs-core with every gradient registered, tfjs-layers for
// the training workloads, and the 'cpu' backend (registered on import).
import * as tf from '@tensorflow/tfjs';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import type { PreparedRun } from './case.js';
import { dawnGpu } from './dawn.js';

export { tf };

/** The TensorFlow.js backends we compare against. */
export type TfjsBackend = 'cpu' | 'wasm' | 'webgpu';

/** What the backends found they could use, for the report. */
export interface TfjsInfo {
  readonly version: string;
  readonly wasmSimd: boolean;
  readonly wasmThreads: number;
  /** Whether tfjs-webgpu found an adapter (it uses the run's Dawn instance). */
  readonly webgpu: boolean;
}

let info: TfjsInfo | null = null;

/**
 * Points the wasm backend at its .wasm files and initialises the backends.
 * In Node the wasm backend loads its binaries from a file path, not a URL, and
 * never picks the threaded binary (no cross-origin isolation), so it runs on
 * one thread; we report the count it found rather than assume it.
 */
export async function initTfjs(withWebgpu: boolean): Promise<TfjsInfo> {
  if (info) return info;
  // Silences the "install tfjs-node" banner and other console noise; it changes no kernel.
  tf.enableProdMode();
  const require = createRequire(import.meta.url);
  const wasmDist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  tfWasm.setWasmPaths(wasmDist);
  await useTfjsBackend('wasm');
  const wasmSimd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const wasmThreads = tfWasm.getThreadsCount();
  let webgpu = false;
  if (withWebgpu) {
    dawnGpu();
    // Registers the 'webgpu' backend; it asks navigator.gpu for an adapter when first selected.
    await import('@tensorflow/tfjs-backend-webgpu');
    webgpu = await tf.setBackend('webgpu').catch(() => false);
  }
  await useTfjsBackend('cpu');
  info = { version: tf.version_core, wasmSimd, wasmThreads, webgpu };
  return info;
}

/** Makes `backend` the active one; tensors made from now on live there. */
export async function useTfjsBackend(backend: TfjsBackend): Promise<void> {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend '${backend}' failed to initialise`);
  await tf.ready();
}

/**
 * A prepared run on tfjs `backend`: each iteration computes the tensors
 * `compute` returns and reads the first element of each back, as the other
 * frameworks do (dataSync on cpu and wasm; awaited reads on webgpu, which
 * cannot read synchronously), releasing temporaries.
 */
export function tfjsRun(backend: TfjsBackend, compute: () => tf.Tensor[], inputs: readonly tf.Tensor[]): PreparedRun {
  const firstElement = (result: tf.Tensor): tf.Tensor => result.flatten().slice(0, 1);
  const iterate = backend === 'webgpu'
    ? async () => {
      const results = tf.tidy(() => compute().map(firstElement));
      for (const result of results) await result.data();
      tf.dispose(results);
    }
    : () => tf.tidy(() => {
      for (const result of compute()) firstElement(result).dataSync();
    });
  return { iterate, dispose: () => tf.dispose([...inputs]), liveTensors: () => tf.memory().numTensors };
}
