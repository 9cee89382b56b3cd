import { DeviceError } from '@fathom/core';
import { ShaderStage } from './gpu-constants.js';
import type { KernelKey } from './kernels/launch.js';

/**
 * The layout of every kernel that binds `reads` read-only buffers, then
 * `writes` writable ones, in group 0 (the order of `bindingDeclarations` and
 * of the backend's `launch`), and its parameter block in group 1.
 */
export interface KernelLayout {
  /** Tells layouts apart in the bind group cache's keys. */
  readonly id: number;
  readonly reads: number;
  readonly writes: number;
  /** The layout of group 0, the buffers. */
  readonly bindGroupLayout: GPUBindGroupLayout;
  readonly pipelineLayout: GPUPipelineLayout;
}

/** A compiled kernel and the layout its bind groups follow. */
export interface CompiledKernel {
  readonly pipeline: GPUComputePipeline;
  readonly layout: KernelLayout;
}

/** `kernel {a: 1, b: 'x'}`, how errors name a generated kernel. */
export function describeKernel(kernel: string, key: KernelKey): string {
  const entries = Object.entries(key).map(([name, value]) => `${name}: ${JSON.stringify(value)}`);
  return entries.length > 0 ? `${kernel} {${entries.join(', ')}}` : kernel;
}

/**
 * Compute pipelines by kernel name and static parameters: each generated
 * kernel compiles once per device. Layouts are explicit, one per count of
 * read and written buffers, rather than `'auto'`: kernels with the same
 * counts share the layout of group 0, so a bind group of buffers serves any of
 * them and can be cached, and every kernel shares the layout of group 1, the
 * parameter block. A shader that fails to compile reports,
 * through `onError`, a DeviceError naming the kernel and its parameters
 * (WebGPU reports it asynchronously; the backend raises it at the next call).
 */
export class PipelineCache {
  private readonly pipelines = new Map<string, CompiledKernel>();
  private readonly layouts = new Map<string, KernelLayout>();
  // Compile checks not yet answered; sync points wait for them so an error names its kernel.
  private readonly checks = new Set<Promise<void>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly adapterName: string,
    private readonly onError: (error: DeviceError) => void,
    /** The layout of group 1, which holds the parameter block. */
    private readonly paramsLayout: GPUBindGroupLayout,
  ) {}

  /** Pipelines compiled so far. */
  get size(): number {
    return this.pipelines.size;
  }

  /** Resolves once every pipeline compiled so far has been checked. */
  async settled(): Promise<void> {
    while (this.checks.size > 0) await Promise.all([...this.checks]);
  }

  /** The layout of kernels binding `reads` read-only buffers, then `writes` writable ones. */
  layout(reads: number, writes: number): KernelLayout {
    const key = `${reads},${writes}`;
    const cached = this.layouts.get(key);
    if (cached) return cached;
    const entries: GPUBindGroupLayoutEntry[] = [];
    for (let binding = 0; binding < reads + writes; binding++) {
      entries.push({ binding, visibility: ShaderStage.COMPUTE, buffer: { type: binding < reads ? 'read-only-storage' : 'storage' } });
    }
    const label = `fathom ${reads} read, ${writes} written`;
    const bindGroupLayout = this.device.createBindGroupLayout({ entries, label });
    const pipelineLayout = this.device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout, this.paramsLayout], label });
    const layout: KernelLayout = { id: this.layouts.size, reads, writes, bindGroupLayout, pipelineLayout };
    this.layouts.set(key, layout);
    return layout;
  }

  /**
   * The pipeline of `kernel` for `key`, compiling `source()` on first use,
   * whose shader binds `reads` read-only buffers and then `writes` writable
   * ones (a shader that declares them otherwise fails like one that does not
   * compile, with an error naming the kernel).
   */
  get(kernel: string, key: KernelKey, source: () => string, reads: number, writes: number): CompiledKernel {
    const cacheKey = `${kernel}:${reads},${writes}:${JSON.stringify(key)}`;
    const cached = this.pipelines.get(cacheKey);
    if (cached) return cached;
    const layout = this.layout(reads, writes);
    const label = describeKernel(kernel, key);
    const code = source();
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label });
    const pipeline = this.device.createComputePipeline({ layout: layout.pipelineLayout, compute: { module, entryPoint: 'main' }, label });
    const check = this.device.popErrorScope().then(async (error) => {
      if (!error) return;
      const info = await module.getCompilationInfo().catch(() => undefined);
      const details = info?.messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}: ${m.message}`).join('; ');
      this.onError(new DeviceError(`webgpu: kernel ${label} failed to compile on adapter '${this.adapterName}': ${details || error.message}`));
    }, () => undefined).finally(() => this.checks.delete(check));
    this.checks.add(check);
    const compiled: CompiledKernel = { pipeline, layout };
    this.pipelines.set(cacheKey, compiled);
    return compiled;
  }
}
