import { DeviceError } from '@fathom/core';
import type { KernelKey } from './kernels/launch.js';

/** `kernel {a: 1, b: 'x'}`, how errors name a generated kernel. */
export function describeKernel(kernel: string, key: KernelKey): string {
  const entries = Object.entries(key).map(([name, value]) => `${name}: ${JSON.stringify(value)}`);
  return entries.length > 0 ? `${kernel} {${entries.join(', ')}}` : kernel;
}

/**
 * Compute pipelines by kernel name and static parameters: each generated
 * kernel compiles once per device. A shader that fails to compile reports,
 * through `onError`, a DeviceError naming the kernel and its parameters
 * (WebGPU reports it asynchronously; the backend raises it at the next call).
 */
export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  // Compile checks not yet answered; sync points wait for them so an error names its kernel.
  private readonly checks = new Set<Promise<void>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly adapterName: string,
    private readonly onError: (error: DeviceError) => void,
  ) {}

  /** Pipelines compiled so far. */
  get size(): number {
    return this.pipelines.size;
  }

  /** Resolves once every pipeline compiled so far has been checked. */
  async settled(): Promise<void> {
    while (this.checks.size > 0) await Promise.all([...this.checks]);
  }

  /** The pipeline of `kernel` for `key`, compiling `source()` on first use. */
  get(kernel: string, key: KernelKey, source: () => string): GPUComputePipeline {
    const cacheKey = `${kernel}:${JSON.stringify(key)}`;
    const cached = this.pipelines.get(cacheKey);
    if (cached) return cached;
    const label = describeKernel(kernel, key);
    const code = source();
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label });
    const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
    const check = this.device.popErrorScope().then(async (error) => {
      if (!error) return;
      const info = await module.getCompilationInfo().catch(() => undefined);
      const details = info?.messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}: ${m.message}`).join('; ');
      this.onError(new DeviceError(`webgpu: kernel ${label} failed to compile on adapter '${this.adapterName}': ${details || error.message}`));
    }, () => undefined).finally(() => this.checks.delete(check));
    this.checks.add(check);
    this.pipelines.set(cacheKey, pipeline);
    return pipeline;
  }
}
