import { DeviceError } from '@fathom/core';
import { NO_ADAPTER_HELP, backendOnGpu, type GpuLike, type WebGpuOptions } from './backend-on-gpu.js';
import type { WebGpuBackend } from './webgpu-backend.js';

// True in Node (and Deno, Bun), where Dawn supplies WebGPU.
function inNode(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof process?.versions?.node === 'string';
}

/**
 * Finds a WebGPU adapter and creates the `'webgpu'` backend on it: the
 * `gpu` option if given, else `navigator.gpu` (browsers), else Dawn through
 * the `webgpu` npm package (Node, loaded only now). The device is created
 * here, not on import, and released by `destroy()`: until then Dawn keeps a
 * Node process alive.
 *
 * ```ts
 * const backend = await useDevice(webgpu());
 * // … train …
 * await backend.destroy();
 * ```
 *
 * Throws a {@link DeviceError} saying what to install when there is no adapter.
 */
export async function webgpu(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  if (options.gpu) return backendOnGpu(options.gpu, options, 'the given GPU object');
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (navigatorGpu) return backendOnGpu(navigatorGpu, options, 'navigator.gpu');
  if (inNode()) {
    // A computed specifier keeps bundlers from pulling Dawn's native addon into browser builds.
    const nodeEntry = './node/dawn.js';
    const { dawnBackend } = (await import(/* @vite-ignore */ nodeEntry)) as { dawnBackend(options: WebGpuOptions): Promise<WebGpuBackend> };
    return dawnBackend(options);
  }
  throw new DeviceError(`webgpu: this JavaScript environment has no navigator.gpu (WebGPU is off or unsupported); ${NO_ADAPTER_HELP}`);
}
