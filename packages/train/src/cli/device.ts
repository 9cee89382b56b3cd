import { isFathomError, registerBackend, useDevice, type Backend } from '@fathom/core';
import type { WebGpuBackend } from '@fathom/webgpu';
import { UsageError } from './usage-error.js';

/** What `--device` accepts. */
export const DEVICE_CHOICES = ['auto', 'cpu', 'wasm', 'webgpu'] as const;

/** One of {@link DEVICE_CHOICES}. */
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];

/** The device a run uses, why, and how to let it go. */
export interface ChosenDevice {
  /** The device name to pass to `.to()` and the loops: the backend now the default. */
  readonly device: 'cpu' | 'wasm' | 'webgpu';
  /** One line for the log: what was chosen and why. */
  readonly reason: string;
  /** Releases the backend (Dawn keeps a process alive until its device is destroyed). */
  release(): Promise<void>;
}

// Software rasterisers that expose a WebGPU adapter: correct, but slower than wasm for training.
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software/i;

function isSoftware(backend: WebGpuBackend): boolean {
  return backend.adapter.isFallbackAdapter || SOFTWARE_ADAPTER.test(backend.adapterName);
}

async function use(backend: Backend, device: ChosenDevice['device'], reason: string): Promise<ChosenDevice> {
  registerBackend(backend);
  await useDevice(backend);
  return { device, reason, release: async () => { await backend.destroy(); } };
}

// The backends are optional peers, loaded only when asked for: a cpu run needs neither.
async function backendPackage<T>(name: '@fathom/wasm' | '@fathom/webgpu', load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw new UsageError(`${name} is not installed; add it beside @fathom/train to run on it`);
    throw error;
  }
}

async function useWasm(reason: string): Promise<ChosenDevice> {
  const { wasm } = await backendPackage('@fathom/wasm', () => import('@fathom/wasm'));
  const backend = await wasm();
  return use(backend, 'wasm', reason);
}

/**
 * Starts the device a command line's `--device` names and makes it the default. `auto` takes WebGPU only on a hardware
 * adapter, else wasm (WebAssembly SIMD on worker threads), and says why;
 * `webgpu` with no adapter is a {@link UsageError} that says how to get one.
 * `@fathom/wasm` and `@fathom/webgpu` are optional peer dependencies, loaded
 * only for the devices that need them.
 *
 * ```ts
 * const chosen = await chooseDevice('auto');
 * console.log(`device: ${chosen.reason}`);
 * try { … } finally { await chosen.release(); }
 * ```
 */
export async function chooseDevice(choice: DeviceChoice): Promise<ChosenDevice> {
  switch (choice) {
    case 'cpu':
      await useDevice('cpu');
      return { device: 'cpu', reason: 'cpu (asked for; the TypeScript reference backend)', release: async () => {} };
    case 'wasm':
      return useWasm('wasm (asked for)');
    case 'webgpu': {
      const { webgpu } = await backendPackage('@fathom/webgpu', () => import('@fathom/webgpu'));
      let backend: WebGpuBackend;
      try {
        backend = await webgpu();
      } catch (error) {
        throw new UsageError(`--device webgpu: ${isFathomError(error) ? error.message : String(error)}`);
      }
      return use(backend, 'webgpu', `webgpu (asked for) on ${backend.adapterName}`);
    }
    case 'auto': {
      const { webgpuOrReason } = await backendPackage('@fathom/webgpu', () => import('@fathom/webgpu'));
      const found = await webgpuOrReason();
      if ('reason' in found) return useWasm('wasm (auto: no WebGPU adapter here)');
      const backend = found.backend;
      if (isSoftware(backend)) {
        const name = backend.adapterName;
        await backend.destroy();
        return useWasm(`wasm (auto: the only WebGPU adapter, ${name}, runs on the CPU)`);
      }
      return use(backend, 'webgpu', `webgpu (auto: hardware adapter ${backend.adapterName})`);
    }
  }
}
