import { useDevice, type Backend } from '@fathom/core';
import { createWasmBackend } from '@fathom/wasm';
import { webgpu } from '@fathom/webgpu';

/** The devices the page offers. */
export type PlaygroundDevice = 'webgpu' | 'wasm' | 'cpu';

/** The backend the page trains on, and why that one. */
export interface ChosenDevice {
  readonly device: PlaygroundDevice;
  readonly backend: Backend;
  /** What the page shows: the adapter or thread count, and what was skipped. */
  readonly description: string;
}

/**
 * Starts `wanted`, or (for 'auto') webgpu where this browser has an adapter,
 * else wasm (threads only on a cross-origin-isolated page), else cpu; every
 * device skipped is named with its error.
 */
export async function chooseDevice(wanted: PlaygroundDevice | 'auto'): Promise<ChosenDevice> {
  const order: PlaygroundDevice[] = wanted === 'auto' ? ['webgpu', 'wasm', 'cpu'] : [wanted];
  const skipped: string[] = [];
  for (const device of order) {
    try {
      const backend = await useDevice(device === 'webgpu' ? webgpu() : device === 'wasm' ? createWasmBackend() : 'cpu');
      const detail = 'adapterName' in backend ? String(backend.adapterName) : 'threads' in backend ? `${String(backend.threads)} thread(s)` : 'JavaScript';
      return { device, backend, description: [`${device} (${detail})`, ...skipped].join('; ') };
    } catch (error) {
      skipped.push(`${device} unavailable: ${(error as Error).message}`);
    }
  }
  throw new Error(skipped.join('; '));
}
