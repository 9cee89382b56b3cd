import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// Registers the 'cpu' backend as a side effect of importing it.
import '@tensorflow/tfjs-backend-cpu';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';

export { tf };

/** The TensorFlow.js backends we compare against. */
export type TfjsBackend = 'cpu' | 'wasm';

/** What the wasm backend found it could use, for the report. */
export interface TfjsInfo {
  readonly version: string;
  readonly wasmSimd: boolean;
  readonly wasmThreads: number;
}

let info: TfjsInfo | null = null;

/**
 * Points the wasm backend at its .wasm files and initialises both backends.
 * In Node the wasm backend loads its binaries from a file path, not a URL, and
 * never picks the threaded binary (no cross-origin isolation), so it runs on
 * one thread; we report the count it found rather than assume it.
 */
export async function initTfjs(): Promise<TfjsInfo> {
  if (info) return info;
  // Silences the "install tfjs-node" banner and other console noise; it changes no kernel.
  tf.enableProdMode();
  const require = createRequire(import.meta.url);
  const wasmDist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  tfWasm.setWasmPaths(wasmDist);
  await useTfjsBackend('wasm');
  const wasmSimd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const wasmThreads = tfWasm.getThreadsCount();
  await useTfjsBackend('cpu');
  info = { version: tf.version_core, wasmSimd, wasmThreads };
  return info;
}

/** Makes `backend` the active one; tensors made from now on live there. */
export async function useTfjsBackend(backend: TfjsBackend): Promise<void> {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend '${backend}' failed to initialise`);
  await tf.ready();
}
