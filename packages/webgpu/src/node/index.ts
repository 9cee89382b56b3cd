export { dawnBackend as webgpu, dawnGpu, dawnFlags } from './dawn.js';
export { WebGpuBackend, adapterName, type WebGpuAdapterInfo, type WebGpuBackendOptions, type WebGpuBuffer, type WebGpuMemoryStats } from '../webgpu-backend.js';
export { NO_ADAPTER_HELP, type DawnOptions, type GpuLike, type WebGpuOptions } from '../backend-on-gpu.js';
