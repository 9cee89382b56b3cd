import { DeviceError } from '@fathom/core';
import type { WebGpuBackend } from '../webgpu-backend.js';
import { backendOnGpu, type DawnOptions, type GpuLike, type WebGpuOptions } from '../backend-on-gpu.js';

interface DawnModule {
  create(flags: string[]): GpuLike;
}

// Dawn rounds GPU timestamps (to 65.536 µs) against timing attacks by web pages. A Node program has no such
// adversary, and the profiler's per-kernel GPU times need the real ones.
const QUANTIZATION = 'timestamp_quantization';

/**
 * The flags Dawn's `create()` takes for `options`. They turn Dawn's
 * `timestamp_quantization` off, so that profiles get GPU times to the
 * nanosecond, unless `options` set that toggle or pass toggle flags of
 * their own (Dawn heeds only the last flag of each kind).
 */
export function dawnFlags(options: DawnOptions = {}): string[] {
  const flags = [...(options.flags ?? [])];
  const disable = [...(options.disable ?? [])];
  const ownToggles = [...(options.enable ?? []), ...disable].includes(QUANTIZATION) || flags.some((flag) => /^(enable|disable)-dawn-features=/.test(flag));
  if (!ownToggles) disable.push(QUANTIZATION);
  if (options.enable?.length) flags.push(`enable-dawn-features=${options.enable.join(',')}`);
  if (disable.length) flags.push(`disable-dawn-features=${disable.join(',')}`);
  return flags;
}

/** Loads Dawn's Node bindings (the `webgpu` npm package) and creates a GPU object, as `navigator.gpu` is in a browser. */
export async function dawnGpu(options: DawnOptions = {}): Promise<GpuLike> {
  let dawn: DawnModule;
  try {
    const specifier = 'webgpu';
    dawn = (await import(specifier)) as DawnModule;
  } catch (error) {
    throw new DeviceError(
      `webgpu: cannot load Dawn, the WebGPU implementation for Node (the 'webgpu' npm package, an optional dependency of @fathom/webgpu): ${(error as Error).message}; install it with npm install webgpu`,
    );
  }
  try {
    return dawn.create(dawnFlags(options));
  } catch (error) {
    throw new DeviceError(`webgpu: Dawn did not start with flags [${dawnFlags(options).join(', ')}]: ${(error as Error).message}`);
  }
}

/**
 * The `'webgpu'` backend on Dawn, whatever `navigator.gpu` holds. Dawn's
 * instance lives as long as the backend: `destroy()` releases both, and the
 * process can exit.
 *
 * ```ts
 * import { webgpu } from '@fathom/webgpu/node';
 * const backend = await useDevice(webgpu({ dawn: { enable: ['dump_shaders'] } }));
 * ```
 */
export async function dawnBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  const gpu = options.gpu ?? (await dawnGpu(options.dawn));
  return backendOnGpu(gpu, options, options.gpu ? 'the given GPU object' : "Dawn (the 'webgpu' package)", gpu);
}
