import { create, globals } from 'webgpu';

let gpu: GPU | null = null;

/**
 * One Dawn instance for the whole run, so Fathom's WebGPU backend and
 * tfjs-webgpu ask the same adapter for their devices. tfjs-webgpu looks for
 * `navigator.gpu` and the `GPUBufferUsage`-style constants on the global
 * object, which Node lacks: they are installed here.
 */
export function dawnGpu(): GPU {
  if (gpu) return gpu;
  gpu = create([]);
  Object.assign(globalThis, globals);
  const navigatorLike = ((globalThis as { navigator?: object }).navigator ?? {}) as { gpu?: GPU };
  Object.defineProperty(navigatorLike, 'gpu', { value: gpu, configurable: true });
  if (!(globalThis as { navigator?: object }).navigator) Object.defineProperty(globalThis, 'navigator', { value: navigatorLike, configurable: true });
  return gpu;
}
