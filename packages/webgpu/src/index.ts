export { webgpu } from './webgpu.js';
export { webgpuOrReason } from './webgpu-or-reason.js';
export { backendOnGpu, NO_ADAPTER_HELP, type DawnOptions, type GpuLike, type WebGpuOptions } from './backend-on-gpu.js';
export { WebGpuBackend, adapterName, type WebGpuAdapterInfo, type WebGpuBackendOptions, type WebGpuBuffer, type WebGpuMemoryStats } from './webgpu-backend.js';
export { describeKernel } from './pipeline-cache.js';
export { sizeClass } from './buffer-pool.js';
export type { KernelRunner, KernelLaunch, KernelKey, BindingSpec } from './kernels/launch.js';
export type { StorageType } from './wgsl/storage-type.js';
