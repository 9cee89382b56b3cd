import { DeviceError } from '@fathom/core';
import { WebGpuBackend, adapterName, type WebGpuAdapterInfo, type WebGpuBackendOptions } from './webgpu-backend.js';

/** Toggles and flags for Dawn, the WebGPU implementation in Node (ignored by browsers). */
export interface DawnOptions {
  /** Dawn toggles to enable, e.g. `'allow_unsafe_apis'`, `'dump_shaders'`. */
  readonly enable?: readonly string[];
  /** Dawn toggles to disable. */
  readonly disable?: readonly string[];
  /** Other flags for Dawn's `create()`, e.g. `'backend=vulkan'` or `'adapter=<name>'`. */
  readonly flags?: readonly string[];
}

/** The part of `navigator.gpu` (a `GPU` object) the backend uses. */
export interface GpuLike {
  /** Resolves with a GPUAdapter, or null when there is none. */
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<unknown>;
}

/** Options of {@link webgpu}. */
export interface WebGpuOptions extends WebGpuBackendOptions {
  /** Which adapter to prefer when there are several. */
  readonly powerPreference?: 'low-power' | 'high-performance';
  /** Dawn's toggles and flags (Node only). */
  readonly dawn?: DawnOptions;
  /** A `GPU` object to use instead of `navigator.gpu` or Dawn. */
  readonly gpu?: GpuLike;
}

/** What to install when no adapter turns up. */
export const NO_ADAPTER_HELP =
  'install a GPU driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows) support; on Linux without a GPU, ' +
  "Mesa's software Vulkan driver lavapipe works from Mesa 25 on (Debian bookworm: " +
  "apt-get install -t bookworm-backports mesa-vulkan-drivers, as tools/setup-mesa.sh in Fathom's repository does; Mesa 22 is too old for Dawn)";

// Limits worth raising above WebGPU's defaults when the adapter allows (bigger buffers, bigger workgroups).
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxStorageBuffersPerShaderStage',
] as const;

function adapterInfo(adapter: GPUAdapter): WebGpuAdapterInfo {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean(info?.isFallbackAdapter ?? legacy),
  };
}

/**
 * Creates a backend on an adapter of `gpu`: the shared path of the browser
 * entry and the Node one. `where` names the WebGPU implementation in errors;
 * `keepAlive` is released with the device (Dawn's instance in Node).
 */
export async function backendOnGpu(gpu: GpuLike, options: WebGpuOptions, where: string, keepAlive?: unknown): Promise<WebGpuBackend> {
  let adapter: GPUAdapter | null = null;
  let why = '';
  try {
    adapter = (await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined)) as GPUAdapter | null;
  } catch (error) {
    why = ` (${(error as Error).message})`;
  }
  if (!adapter) throw new DeviceError(`webgpu: ${where} found no WebGPU adapter${why}; ${NO_ADAPTER_HELP}`);
  const info = adapterInfo(adapter);
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  // Only what the adapter offers may be required; the profiler's GPU times need it.
  const requiredFeatures: GPUFeatureName[] = options.timestampQueries !== false && adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'fathom' });
  } catch (error) {
    throw new DeviceError(`webgpu: adapter '${adapterName(info)}' did not give a device: ${(error as Error).message}`);
  }
  return new WebGpuBackend(device, info, options, keepAlive);
}
