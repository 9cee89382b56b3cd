import { getBackend, memoryStats, registerBackend, scope, scopeAsync, unregisterBackend, type Backend, type Tensor } from '@fathom/core';
import { createWasmBackend, type WasmBackend } from '@fathom/wasm/node';
import { webgpu, type WebGpuBackend } from '@fathom/webgpu';
import { FATHOM_DEVICES, type FathomFramework, type PreparedRun } from './case.js';
import { dawnGpu } from './dawn.js';
import { peakBackendBytes } from './step-memory.js';

/** What the run found of Fathom's accelerated backends, for the report. */
export interface FathomDevicesInfo {
  readonly wasmThreads: number;
  /** The WebGPU adapter's name, or why there is none. */
  readonly webgpuAdapter: string;
}

let wasmBackend: WasmBackend | null = null;
let webgpuBackend: WebGpuBackend | null = null;
let webgpuMissing = '';

/**
 * Creates and registers devices 'wasm' (on `threads` threads) and 'webgpu'
 * (on the run's Dawn instance). A machine without a WebGPU adapter still
 * runs the rest: the webgpu cells say why they are empty.
 */
export async function initFathomDevices(threads: number, withWebgpu: boolean): Promise<FathomDevicesInfo> {
  wasmBackend ??= await createWasmBackend({ threads });
  registerBackend(wasmBackend);
  if (withWebgpu && !webgpuBackend) {
    try {
      webgpuBackend = await webgpu({ gpu: dawnGpu() });
      registerBackend(webgpuBackend);
    } catch (error) {
      webgpuMissing = error instanceof Error ? error.message.split('\n')[0] : String(error);
    }
  }
  const webgpuAdapter = webgpuBackend ? describeAdapter(webgpuBackend) : withWebgpu ? `none (${webgpuMissing})` : 'not run';
  return { wasmThreads: wasmBackend.threads, webgpuAdapter };
}

function describeAdapter(backend: WebGpuBackend): string {
  const { vendor, architecture } = backend.adapter;
  const details = [vendor, architecture].filter((part) => part && !backend.adapterName.includes(part));
  return `${backend.adapterName}${details.length ? ` (${details.join(', ')})` : ''}${backend.adapter.isFallbackAdapter ? ', a fallback (software) adapter' : ''}`;
}

/** Why Fathom's `framework` cannot run here, or null when it can. */
export function fathomUnavailable(framework: FathomFramework): string | null {
  if (framework === 'fathom-webgpu' && !webgpuBackend) return `n/a (no WebGPU adapter${webgpuMissing ? '' : ': not run'})`;
  return null;
}

/** Unregisters and destroys the backends (stops wasm's workers, releases the GPU device). */
export async function closeFathomDevices(): Promise<void> {
  for (const backend of [wasmBackend, webgpuBackend] as (Backend | null)[]) {
    if (!backend) continue;
    unregisterBackend(backend.name);
    await backend.destroy();
  }
  wasmBackend = null;
  webgpuBackend = null;
}

/**
 * The first element of `result`, to read back: what PyTorch's side reads
 * (`[0, 0].item()`), enough to wait for the work, without timing a copy of
 * the whole result (a fresh array: on the 2-core VM of docs/BENCHMARKS.md,
 * 4 MiB of first-touch page faults cost ~16 ms).
 */
const firstElement = (result: Tensor): Tensor => result.flatten().narrow(0, 0, 1);

/**
 * A prepared run on Fathom's `framework`: each iteration computes the tensors
 * `compute` returns and reads the first element of each back (synchronously
 * where the device can, else awaiting each read), releasing the temporaries;
 * `dispose` frees the inputs.
 */
export function fathomRun(framework: FathomFramework, compute: () => readonly Tensor[], inputs: readonly Tensor[]): PreparedRun {
  const device = FATHOM_DEVICES[framework];
  const iterate = device === 'webgpu'
    ? () => scopeAsync(async () => {
      for (const result of compute()) await firstElement(result).data();
    })
    : () => scope(() => {
      for (const result of compute()) firstElement(result).dataSync();
    });
  return {
    iterate,
    dispose: () => {
      for (const tensor of inputs) tensor.dispose();
    },
    liveTensors: () => memoryStats(device).tensors,
    stepMemory: () => peakBackendBytes(getBackend(device), iterate),
  };
}
