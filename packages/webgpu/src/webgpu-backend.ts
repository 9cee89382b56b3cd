import { DeviceError, ValueError, type Backend, type BackendCapabilities, type BackendMemoryStats, type DType, type TypedArray } from '@fathom/core';
import { BACKEND_API_VERSION, describeMemoryHolders, formatBytes, type BackendBuffer, type BinaryOp, type Kernels, type View } from '@fathom/core/backend';
import { BufferPool, largestSizeClass } from './buffer-pool.js';
import { CommandBatch } from './command-batch.js';
import { BufferUsage, MapMode } from './gpu-constants.js';
import { GpuTimer } from './gpu-timer.js';
import { conv2dInputGradKernel, conv2dKernel, conv2dWeightGradKernel } from './kernels/conv2d.js';
import { binaryKernel, copyKernel, fillKernel, unaryKernel, whereKernel } from './kernels/elementwise.js';
import { gatherKernel, scatterAddKernel } from './kernels/indexing.js';
import type { KernelLaunch, KernelRunner } from './kernels/launch.js';
import { matmulKernel } from './kernels/matmul.js';
import {
  adaptiveAvgPool2dGradKernel, adaptiveAvgPool2dKernel, avgPool2dGradKernel, avgPool2dKernel, maxPool2dGradKernel, maxPool2dKernel,
} from './kernels/pool2d.js';
import { randomFillKernel } from './kernels/random.js';
import { sgdStepKernel } from './kernels/sgd-step.js';
import { argReduceKernel, reduceKernel } from './kernels/reduce.js';
import { PendingElementwise } from './fusion/pending-elementwise.js';
import type { BufferBinding } from './bind-group-cache.js';
import type { SegmentLayout, WindowLimits } from './large/block-plan.js';
import { LargeKernels } from './large/large-kernels.js';
import { largeGather, largeScatterAdd } from './large/large-indexing.js';
import { largeMatmul } from './large/large-matmul.js';
import {
  largeAdaptiveAvgPool2d, largeAdaptiveAvgPool2dGrad, largeAvgPool2d, largeAvgPool2dGrad, largeConv2d, largeConv2dInputGrad, largeConv2dWeightGrad,
  largeMaxPool2d, largeMaxPool2dGrad,
} from './large/large-nchw.js';
import type { LargeBufferRunner } from './large/large-runner.js';
import { largeArgReduce, largeReduce } from './large/large-reductions.js';
import { PipelineCache } from './pipeline-cache.js';

/**
 * A buffer of the WebGPU backend. Every element is one 4-byte word (bool as
 * a u32 holding 0 or 1). One larger than a storage binding lives in several
 * GPU buffers, its segments, which kernels see through windows.
 */
export interface WebGpuBuffer extends BackendBuffer {
  /** The GPU buffer (of a pooled size class, so possibly longer than `length` elements); a large buffer's first segment. */
  readonly gpuBuffer: GPUBuffer;
  /** Its size in bytes; a large buffer's, over all its segments. */
  readonly byteSize: number;
}

// One GPU buffer of a large buffer, holding elements [start, start + length).
interface Segment {
  readonly buffer: GPUBuffer;
  readonly size: number;
  readonly start: number;
  readonly length: number;
}

// The backend's own record of a buffer it handed out, or of a window of a large one.
interface BufferRecord extends WebGpuBuffer {
  readonly owner: WebGpuBackend;
  /** A pooled buffer may hold old data; it is zeroed lazily, only if something reads it before a kernel overwrites it all. */
  needsZero: boolean;
  released: boolean;
  /** A large buffer's GPU buffers, in order; null for one bound whole. */
  readonly segments: readonly Segment[] | null;
  /** A window's large buffer, which holds its state; null otherwise. */
  readonly parent: BufferRecord | null;
  /** Where a window starts in its GPU buffer, in bytes (0 otherwise). */
  readonly byteOffset: number;
}

/** Memory the WebGPU backend holds: live buffers, plus those its pool keeps for reuse. */
export interface WebGpuMemoryStats extends BackendMemoryStats {
  /** Freed buffers the pool keeps for reuse. */
  readonly pooledBuffers: number;
  /** Bytes in those. */
  readonly pooledBytes: number;
  /** Compute pipelines compiled so far. */
  readonly pipelines: number;
  /** Bind groups cached for reuse (dropped as their buffers are destroyed). */
  readonly bindGroups: number;
}

/** What the adapter under a {@link WebGpuBackend} says about itself. */
export interface WebGpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A software or otherwise limited adapter (Mesa's lavapipe, SwiftShader): correct, not fast. */
  readonly isFallbackAdapter: boolean;
}

/** How errors and logs name an adapter: its description, else vendor and architecture. */
export function adapterName(info: WebGpuAdapterInfo): string {
  return info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
}

/** Tuning of a {@link WebGpuBackend}. */
export interface WebGpuBackendOptions {
  /** Bytes of freed buffers kept for reuse (default 512 MiB, or a quarter of one storage binding if smaller, 64 MiB at least). */
  readonly maxPooledBytes?: number;
  /** Dispatches recorded before a batch submits on its own (default 1024). */
  readonly maxDispatchesPerBatch?: number;
  /**
   * Bind groups alive at once (default 32,768), cached or awaiting garbage
   * collection, which in Node happens only as the event loop turns. Past it,
   * a dispatch whose bind group is not cached copies its buffers through
   * scratch buffers instead of making one (lavapipe crashes near 65,536).
   */
  readonly maxBindGroups?: number;
  /**
   * Fuse chains of elementwise ops (unary, binary, where, scalar fills and
   * copies of their results) into one kernel, computing a result only when
   * something else needs it (default true; see the README's "Fusion"). Off,
   * every op dispatches its own kernel: for comparing bits or debugging.
   */
  readonly fuseElementwise?: boolean;
  /**
   * Bytes one storage binding may hold, below the adapter's
   * `maxStorageBufferBindingSize`: tensors larger than this are split into
   * windows. For testing the split paths with small tensors (the
   * conformance kit runs with 1 KiB); the default is the adapter's limit.
   */
  readonly maxBindingBytes?: number;
  /** Bytes one GPU buffer may hold, below the adapter's `maxBufferSize`: larger tensors span several (for tests, as {@link maxBindingBytes}). */
  readonly maxBufferBytes?: number;
  /**
   * Time kernels on the GPU while a profile runs, where the adapter has the
   * 'timestamp-query' feature (default true: `webgpu()` requests the
   * feature when the adapter offers it). False: the device is made without
   * it, and profiles have host times only, with a note saying so.
   */
  readonly timestampQueries?: boolean;
}

const ELEMENT_BYTES = 4;
// The most elements of one tensor: a JavaScript typed array's limit, so that it can be read back.
const MAX_ELEMENTS = 2 ** 32 - 1;

function alignDown(bytes: number, alignment: number): number {
  return Math.floor(bytes / alignment) * alignment;
}


/**
 * The WebGPU backend over an already created GPUDevice. Use {@link webgpu} to
 * get one: it finds the adapter and turns a missing one into an error that
 * says what to install.
 */
export class WebGpuBackend implements Backend, LargeBufferRunner {
  readonly name = 'webgpu';
  readonly apiVersion = BACKEND_API_VERSION;
  readonly capabilities: BackendCapabilities;
  readonly kernels: Kernels;
  /** The adapter this backend's device came from. */
  readonly adapter: WebGpuAdapterInfo;
  /** The adapter's description, as errors name it. */
  readonly adapterName: string;
  readonly maxWorkgroupsPerDimension: number;
  /** KernelRunner.cpuTiles: the adapter is lavapipe. */
  readonly cpuTiles: boolean;
  readonly limits: WindowLimits;
  /**
   * Times each kernel's compute passes on the GPU with timestamp queries,
   * for `profileAsync`; idle unless a profile runs. Where the device has no
   * 'timestamp-query' feature it says so, and the profile notes it.
   */
  readonly deviceTimer: GpuTimer;

  private device: GPUDevice | null;
  private readonly batch: CommandBatch;
  private readonly pool: BufferPool;
  private readonly staging: BufferPool;
  private readonly pipelines: PipelineCache;
  private failure: DeviceError | null = null;
  // The GPU object the device came from (Dawn's instance in Node), released with the device.
  private keepAlive: unknown;
  private destroyed = false;
  private liveBuffers = 0;
  private liveBytes = 0;
  // Null when fusion is off.
  private readonly fusion: PendingElementwise | null;
  private readonly large: LargeKernels;
  // The binding and buffer sizes in force, and the largest segment (a size class within the buffer limit).
  private readonly bindingBytes: number;
  private readonly segmentBytes: number;
  private readonly adapterLimits: string;
  // What the last large allocation was, for an out-of-memory error to name.
  private lastLargeAllocation = '';

  constructor(device: GPUDevice, adapter: WebGpuAdapterInfo, options: WebGpuBackendOptions = {}, keepAlive?: unknown) {
    this.device = device;
    this.adapter = adapter;
    const name = adapterName(adapter);
    this.adapterName = name;
    this.keepAlive = keepAlive;
    const limits = device.limits;
    this.maxWorkgroupsPerDimension = limits.maxComputeWorkgroupsPerDimension;
    this.cpuTiles = adapter.isFallbackAdapter && adapter.vendor === 'mesa' && adapter.device.startsWith('llvmpipe');
    const alignment = Math.max(limits.minStorageBufferOffsetAlignment, ELEMENT_BYTES);
    const bufferBytes = Math.min(options.maxBufferBytes ?? Infinity, limits.maxBufferSize);
    this.bindingBytes = alignDown(Math.min(options.maxBindingBytes ?? Infinity, limits.maxStorageBufferBindingSize, bufferBytes), alignment);
    this.segmentBytes = largestSizeClass(bufferBytes);
    if (this.bindingBytes < alignment || this.segmentBytes < alignment) {
      throw new ValueError(`webgpu: maxBindingBytes and maxBufferBytes must be at least the binding alignment (${alignment} bytes)`);
    }
    this.limits = { windowElements: this.bindingBytes / ELEMENT_BYTES, alignElements: alignment / ELEMENT_BYTES };
    this.adapterLimits = `maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}, maxBufferSize ${limits.maxBufferSize}`;
    this.capabilities = {
      dtypes: ['float32', 'int32', 'bool'],
      // Past one binding a tensor spans windows and segments; WGSL indexes a window with u32, JavaScript reads one typed array.
      maxBufferElements: MAX_ELEMENTS,
      syncRead: false,
    };
    const maxPooled = options.maxPooledBytes ?? Math.min(512 * 2 ** 20, Math.max(this.bindingBytes / 4, 64 * 2 ** 20));
    this.batch = new CommandBatch(device, Math.max(limits.minStorageBufferOffsetAlignment, 4), options.maxDispatchesPerBatch, options.maxBindGroups);
    // A buffer freed inside a batch may still be named by its unsubmitted commands.
    const retire = (buffer: GPUBuffer): void => this.batch.destroyAfterSubmit(buffer);
    const timer = new GpuTimer(device, { timePasses: (on) => this.batch.timePasses(on), flush: () => this.flush() }, timestampsUnavailable(device, options));
    this.deviceTimer = timer;
    this.pool = new BufferPool(
      (size) => device.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST }),
      maxPooled,
      retire,
    );
    this.staging = new BufferPool((size) => device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST }), 64 * 2 ** 20, retire);
    this.pipelines = new PipelineCache(device, name, (error) => this.fail(error, true), this.batch.paramsLayout);

    device.lost.then((info) => {
      if (!this.destroyed) this.fail(new DeviceError(`webgpu: the device on adapter '${name}' was lost (${info.reason}): ${info.message}`));
    }, () => undefined);
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      const kind = error.constructor?.name;
      if (kind === 'GPUOutOfMemoryError') {
        // Say who holds the memory, as the wasm and cpu backends do, while the tensors are still live.
        this.fail(new DeviceError(
          `webgpu: out of memory on adapter '${name}': ${error.message}; ${this.lastLargeAllocation}${describeMemoryHolders(this.name)}. ` +
            'Release tensors sooner (scope(), dispose()) or use smaller batches.',
        ));
      } else this.fail(new DeviceError(`webgpu: ${kind === 'GPUInternalError' ? 'internal error' : 'validation error'} on adapter '${name}': ${error.message}`));
    });

    const run = this as KernelRunner;
    // A fused kernel binds two storage buffers besides its reads: its output and its parameter block.
    const fusion = options.fuseElementwise === false ? null : new PendingElementwise({
      dispatch: (launch, owner) => timer.charging(owner, () =>
        this.encode(launch, launch.reads as BufferRecord[], launch.writes.map(({ buffer, whole }) => ({ record: buffer as BufferRecord, whole })))),
      chargedCall: () => timer.chargedCall,
      unread: (buffer) => this.unread(buffer as BufferRecord),
      snapshot: (buffer) => this.snapshot(buffer as BufferRecord),
      release: (buffer) => this.release(buffer),
      maxWorkgroupsPerDimension: this.maxWorkgroupsPerDimension,
    }, limits.maxStorageBuffersPerShaderStage - 2);
    this.fusion = fusion;
    const large = new LargeKernels(this);
    this.large = large;
    // Ops that touch a buffer larger than one binding go block by block (never fused); all others as before.
    const big = (...buffers: BackendBuffer[]): boolean => large.involves(...buffers);
    this.kernels = {
      fill: (out, value) => {
        if (big(out)) large.fill(out, value);
        else if (fusion) this.fused('fill', [], out).fill(out, value);
        else fillKernel(run, out, value);
      },
      copy: (src, dst) => {
        if (big(src.buffer, dst.buffer)) large.copy(src, dst);
        else if (!fusion || !this.fused('copy', [src], dst.buffer).copy(src, dst)) copyKernel(run, src, dst);
      },
      unary: (op, x, out, params) => {
        if (big(x.buffer, out)) large.unary(op, x, out, params);
        else if (fusion) this.fused('unary', [x], out).unary(op, x, out, params);
        else unaryKernel(run, op, x, out, params);
      },
      binary: (op, a, b, out, alpha = 1) => {
        if (big(a.buffer, b.buffer, out)) large.binary(op, a, b, out, alpha);
        else if (fusion) this.fused('binary', [a, b], out).binary(op, a, b, out, alpha);
        else binaryKernel(run, op, a, b, out, alpha);
      },
      where: (cond, a, b, out) => {
        if (big(cond.buffer, a.buffer, b.buffer, out)) large.where(cond, a, b, out);
        else if (fusion) this.fused('where', [cond, a, b], out).where(cond, a, b, out);
        else whereKernel(run, cond, a, b, out);
      },
      reduce: (op, x, dims, out) => (big(x.buffer, out) ? largeReduce(large, op, x, dims, out) : reduceKernel(run, op, x, dims, out)),
      argReduce: (op, x, dim, out) => (big(x.buffer, out) ? largeArgReduce(large, op, x, dim, out) : argReduceKernel(run, op, x, dim, out)),
      matmul: (a, b, out) => (big(a.buffer, b.buffer, out) ? largeMatmul(large, a, b, out) : matmulKernel(run, a, b, out)),
      conv2d: (x, weight, out, params) => (big(x.buffer, weight.buffer, out) ? largeConv2d(large, x, weight, out, params) : conv2dKernel(run, x, weight, out, params)),
      conv2dInputGrad: (gradOut, weight, out, params) =>
        (big(gradOut.buffer, weight.buffer, out) ? largeConv2dInputGrad(large, gradOut, weight, out, params) : conv2dInputGradKernel(run, gradOut, weight, out, params)),
      conv2dWeightGrad: (x, gradOut, out, params) =>
        (big(x.buffer, gradOut.buffer, out) ? largeConv2dWeightGrad(large, x, gradOut, out, params) : conv2dWeightGradKernel(run, x, gradOut, out, params)),
      maxPool2d: (x, out, indices, params) =>
        (big(x.buffer, out, indices) ? largeMaxPool2d(large, x, out, indices, params) : maxPool2dKernel(run, x, out, indices, params)),
      maxPool2dGrad: (gradOut, indices, out, params) =>
        (big(gradOut.buffer, indices.buffer, out) ? largeMaxPool2dGrad(large, gradOut, indices, out, params) : maxPool2dGradKernel(run, gradOut, indices, out, params)),
      avgPool2d: (x, out, params) => (big(x.buffer, out) ? largeAvgPool2d(large, x, out, params) : avgPool2dKernel(run, x, out, params)),
      avgPool2dGrad: (gradOut, out, params) => (big(gradOut.buffer, out) ? largeAvgPool2dGrad(large, gradOut, out, params) : avgPool2dGradKernel(run, gradOut, out, params)),
      adaptiveAvgPool2d: (x, out, params) => (big(x.buffer, out) ? largeAdaptiveAvgPool2d(large, x, out, params) : adaptiveAvgPool2dKernel(run, x, out, params)),
      adaptiveAvgPool2dGrad: (gradOut, out, params) =>
        (big(gradOut.buffer, out) ? largeAdaptiveAvgPool2dGrad(large, gradOut, out, params) : adaptiveAvgPool2dGradKernel(run, gradOut, out, params)),
      gather: (x, dim, index, out) => (big(x.buffer, index.buffer, out) ? largeGather(large, x, dim, index, out) : gatherKernel(run, x, dim, index, out)),
      scatterAdd: (out, outShape, dim, index, src) =>
        (big(out, index.buffer, src.buffer) ? largeScatterAdd(large, out, outShape, dim, index, src) : scatterAddKernel(run, out, outShape, dim, index, src)),
      randomFill: (out, spec) => (big(out) ? large.randomFill(out, spec) : randomFillKernel(run, out, spec)),
      sgdStep: (param, grad, momentum, params) =>
        (big(param) ? large.sgdStep(param, grad, momentum, params) : sgdStepKernel(run, param, grad, momentum, params)),
    };
  }

  // The first failure sticks: every later call reports it. A shader's compile
  // error arrives after the "invalid pipeline" errors its first use raised,
  // and says more, so it takes their place.
  private fail(error: DeviceError, isCompileError = false): void {
    if (isCompileError && this.failure?.message.includes('is invalid due to a previous error')) this.failure = error;
    this.failure ??= error;
  }

  private live(op: string): GPUDevice {
    if (this.failure) throw this.failure;
    if (this.destroyed || !this.device) throw new DeviceError(`webgpu.${op}: the device on adapter '${this.adapterName}' was destroyed`);
    return this.device;
  }

  // The fusion, once the buffers of a deferred op are known to be live and this backend's (as launch checks them).
  private fused(kernel: string, inputs: readonly View[], out: BackendBuffer): PendingElementwise {
    this.live(kernel);
    for (const input of inputs) this.record(input.buffer, kernel);
    this.record(out, kernel);
    return this.fusion as PendingElementwise;
  }

  private record(buffer: BackendBuffer, op: string): BufferRecord {
    const record = buffer as BufferRecord;
    if (record.owner !== this) throw new DeviceError(`webgpu.${op}: the buffer does not belong to this webgpu backend`);
    if ((record.parent ?? record).released) throw new DeviceError(`webgpu.${op}: the buffer was already released`);
    return record;
  }

  /** LargeBufferRunner.layoutOf: the segments of a buffer larger than one binding. */
  layoutOf(buffer: BackendBuffer): SegmentLayout | null {
    const record = buffer as BufferRecord;
    return record.segments ? { segments: record.segments } : null;
  }

  /** LargeBufferRunner.window: `length` elements of a large buffer from `start`, bound as one binding. */
  window(buffer: BackendBuffer, start: number, length: number): BackendBuffer {
    const parent = this.record(buffer, 'window');
    const segment = parent.segments?.find((s) => start >= s.start && start + length <= s.start + s.length);
    if (!segment || (start - segment.start) % this.limits.alignElements !== 0 || length > this.limits.windowElements) {
      throw new DeviceError(`webgpu: no window of ${length} elements from ${start} fits one binding of the buffer`);
    }
    const window: BufferRecord = {
      dtype: parent.dtype, length, gpuBuffer: segment.buffer, byteSize: length * ELEMENT_BYTES, owner: this,
      needsZero: false, released: false, segments: null, parent, byteOffset: (start - segment.start) * ELEMENT_BYTES,
    };
    return window;
  }

  allocate(dtype: DType, length: number): BackendBuffer {
    this.live('allocate');
    if (dtype === 'float64') {
      throw new DeviceError(`webgpu: cannot hold float64 tensors (WGSL has no 64-bit floats); use float32, or the cpu device for float64`);
    }
    if (!Number.isInteger(length) || length < 0 || length > this.capabilities.maxBufferElements) {
      throw new ValueError(`webgpu: cannot allocate ${length} elements of ${dtype} (at most ${this.capabilities.maxBufferElements} per tensor on adapter '${this.adapterName}')`);
    }
    if (length * ELEMENT_BYTES > this.bindingBytes) return this.allocateLarge(dtype, length);
    const { buffer, size, reused } = this.pool.acquire(Math.max(length, 1) * ELEMENT_BYTES);
    this.liveBuffers++;
    this.liveBytes += size;
    const record: BufferRecord = {
      dtype, length, gpuBuffer: buffer, byteSize: size, owner: this, needsZero: reused, released: false, segments: null, parent: null, byteOffset: 0,
    };
    return record;
  }

  // A buffer larger than one binding: segments of at most the largest size class within the buffer limit.
  private allocateLarge(dtype: DType, length: number): BufferRecord {
    const perSegment = this.segmentBytes / ELEMENT_BYTES;
    const count = Math.ceil(length / perSegment);
    this.lastLargeAllocation = `the last large tensor allocated holds ${length.toLocaleString('en-US')} ${dtype} elements ` +
      `(${formatBytes(length * ELEMENT_BYTES)} in ${count} GPU buffer${count === 1 ? '' : 's'}; adapter limits: ${this.adapterLimits}); `;
    const segments: Segment[] = [];
    let needsZero = false;
    for (let start = 0; start < length; start += perSegment) {
      const elements = Math.min(perSegment, length - start);
      const { buffer, size, reused } = this.pool.acquire(elements * ELEMENT_BYTES);
      needsZero ||= reused;
      segments.push({ buffer, size, start, length: elements });
    }
    const byteSize = segments.reduce((sum, segment) => sum + segment.size, 0);
    this.liveBuffers++;
    this.liveBytes += byteSize;
    return { dtype, length, gpuBuffer: segments[0].buffer, byteSize, owner: this, needsZero, released: false, segments, parent: null, byteOffset: 0 };
  }

  // The GPU buffers of a record: its segments, or itself.
  private segmentsOf(record: BufferRecord): readonly Segment[] {
    return record.segments ?? [{ buffer: record.gpuBuffer, size: record.byteSize, start: 0, length: record.length }];
  }

  upload(buffer: BackendBuffer, data: TypedArray): void {
    const device = this.live('upload');
    const record = this.record(buffer, 'upload');
    if (data.length !== record.length) {
      throw new ValueError(`webgpu.upload: ${data.length} values for a buffer of ${record.length} ${record.dtype} elements`);
    }
    if (record.length === 0) return;
    this.fusion?.beforeWrite(record, true);
    // queue.writeBuffer runs before the unsubmitted batch: if that batch uses
    // this memory (an earlier owner's last reads), submit it first.
    const segments = this.segmentsOf(record);
    if (segments.some((segment) => this.lastBatch.get(segment.buffer) === this.batch.id) && this.batch.pending) this.batch.submit();
    const words = toWords(record.dtype, data);
    for (const { buffer, start, length } of segments) {
      device.queue.writeBuffer(buffer, 0, words.buffer, words.byteOffset + start * ELEMENT_BYTES, length * ELEMENT_BYTES);
    }
    record.needsZero = false;
  }

  async read(buffer: BackendBuffer): Promise<TypedArray> {
    if (this.failure) await this.pipelines.settled();
    this.live('read');
    const record = this.record(buffer, 'read');
    this.fusion?.materialize(record);
    const { dtype, length } = record;
    if (length === 0 || record.needsZero) return fromWords(dtype, new Uint32Array(length));
    const words = new Uint32Array(length);
    // One segment at a time: a staging buffer is a GPU buffer too.
    for (const segment of this.segmentsOf(record)) {
      const bytes = segment.length * ELEMENT_BYTES;
      const staging = this.staging.acquire(bytes);
      this.batch.copyBuffer(segment.buffer, staging.buffer, bytes);
      this.batch.submit();
      try {
        await staging.buffer.mapAsync(MapMode.READ, 0, bytes);
      } catch (error) {
        await this.pipelines.settled();
        this.live('read');
        throw new DeviceError(`webgpu.read: mapping the result on adapter '${this.adapterName}' failed: ${(error as Error).message}`);
      }
      words.set(new Uint32Array(staging.buffer.getMappedRange(0, bytes)), segment.start);
      staging.buffer.unmap();
      if (!this.destroyed) this.staging.release(staging.buffer, staging.size);
    }
    await this.pipelines.settled();
    this.live('read');
    return fromWords(dtype, words);
  }

  release(buffer: BackendBuffer): void {
    const record = this.record(buffer, 'release');
    record.released = true;
    this.liveBuffers--;
    this.liveBytes -= record.byteSize;
    // A pending expression still to read it keeps it from reuse until then (see unread).
    if (this.fusion?.release(record)) return;
    // Reuse inside the unsubmitted batch is safe: its commands run in order.
    if (this.destroyed) return;
    // Most buffers are one GPU buffer: no segment list made per release.
    if (!record.segments) this.pool.release(record.gpuBuffer, record.byteSize);
    else for (const segment of record.segments) this.pool.release(segment.buffer, segment.size);
  }

  // No pending expression reads the buffer any more.
  private unread(record: BufferRecord): void {
    if (record.released && !this.destroyed) this.pool.release(record.gpuBuffer, record.byteSize);
  }

  // A new buffer with `record`'s current contents, for a pending expression to read once `record` changes.
  private snapshot(record: BufferRecord): BufferRecord {
    const copy = this.allocate(record.dtype, record.length) as BufferRecord;
    if (record.needsZero) copy.needsZero = true;
    else {
      this.batch.copyBuffer(record.gpuBuffer, copy.gpuBuffer, record.length * ELEMENT_BYTES);
      for (const buffer of [record.gpuBuffer, copy.gpuBuffer]) this.lastBatch.set(buffer, this.batch.id);
      copy.needsZero = false;
    }
    return copy;
  }

  flush(): void {
    this.live('flush');
    this.fusion?.materializeAll();
    this.batch.submit();
  }

  async sync(): Promise<void> {
    if (this.failure) await this.pipelines.settled();
    const device = this.live('sync');
    this.fusion?.materializeAll();
    this.batch.submit();
    await device.queue.onSubmittedWorkDone();
    await this.pipelines.settled();
    this.live('sync');
  }

  memory(): WebGpuMemoryStats {
    const pooled = this.pool.stats();
    return {
      buffers: this.liveBuffers, bytes: this.liveBytes, pooledBuffers: pooled.buffers, pooledBytes: pooled.bytes,
      pipelines: this.pipelines.size, bindGroups: this.batch.bindGroups.size,
    };
  }

  /**
   * Work recorded and submitted so far: dispatches are recorded per kernel
   * (a fused chain of elementwise ops is one), submits happen per read,
   * flush or full batch, and bind groups (of buffers) are made only for a
   * dispatch whose buffers no cached group binds. `fusedAway` counts the
   * elementwise ops that got no dispatch of their own: inlined into a
   * later op's kernel, or released before anything needed them.
   */
  activity(): { readonly dispatches: number; readonly submits: number; readonly bindGroups: number; readonly fusedAway: number } {
    return { dispatches: this.batch.totalDispatches, submits: this.batch.id, bindGroups: this.batch.bindGroups.created, fusedAway: this.fusion?.fusedAway ?? 0 };
  }

  async destroy(): Promise<void> {
    if (this.destroyed || !this.device) return;
    const device = this.device;
    // Pending results are dropped; their released leaves return to the pool, which is cleared below.
    this.fusion?.clear();
    // Let submitted work finish, so nothing reads a destroyed buffer.
    if (!this.failure) {
      this.batch.submit();
      await device.queue.onSubmittedWorkDone().catch(() => undefined);
    }
    this.destroyed = true;
    this.pool.clear();
    this.staging.clear();
    this.deviceTimer.dispose();
    this.batch.dispose();
    device.destroy();
    // Dawn keeps the process alive while its objects are reachable.
    this.device = null;
    this.keepAlive = undefined;
  }

  // The batch that last recorded a command on each GPU buffer (see upload).
  private readonly lastBatch = new WeakMap<GPUBuffer, number>();

  /** KernelRunner.launch: records one dispatch of a generated kernel, after the pending results it reads or overwrites. */
  launch(launch: KernelLaunch): void {
    this.live(launch.kernel);
    const reads = launch.reads.map((buffer) => this.record(buffer, launch.kernel));
    const writes = launch.writes.map(({ buffer, whole }) => ({ record: this.record(buffer, launch.kernel), whole }));
    if (this.fusion) {
      for (const record of reads) this.fusion.materialize(record);
      for (const { record, whole } of writes) this.fusion.beforeWrite(record, whole);
    }
    this.encode(launch, reads, writes);
  }

  // Records a dispatch of buffers already checked (a fused kernel's reads may be released buffers kept for it: see unread).
  private encode(launch: KernelLaunch, reads: readonly BufferRecord[], writes: readonly { record: BufferRecord; whole: boolean }[]): void {
    const { pipeline, layout } = this.pipelines.get(launch.kernel, launch.key, launch.source, reads.length, writes.length);
    const written = new Set(writes.map((w) => w.record.gpuBuffer));
    const temporaries: { buffer: GPUBuffer; size: number }[] = [];
    const bound: BufferBinding[] = [];
    for (const record of reads) {
      this.zeroIfNeeded(record);
      const binding = this.binding(record);
      if (written.has(record.gpuBuffer)) {
        // WebGPU forbids binding one buffer both read-only and writable in a
        // dispatch; read a copy (the views do not overlap, so it is the same data).
        const copy = this.pool.acquire(binding.size);
        this.batch.copyBuffer(record.gpuBuffer, copy.buffer, binding.size, binding.offset);
        temporaries.push(copy);
        bound.push({ buffer: copy.buffer, offset: 0, size: binding.size });
      } else bound.push(binding);
    }
    for (const { record, whole } of writes) {
      // A window's whole is not its buffer's: the rest must be zeroed first.
      if (whole && !record.parent) record.needsZero = false;
      else this.zeroIfNeeded(record);
      bound.push(this.binding(record));
    }
    this.batch.dispatch(pipeline, layout, bound, launch.params, launch.workgroups);
    for (const { buffer } of bound) this.lastBatch.set(buffer, this.batch.id);
    for (const { buffer, size } of temporaries) this.pool.release(buffer, size);
  }

  // What a dispatch binds for a record: a window's range, or a buffer from its start (no more than one binding of a pooled, larger one).
  private binding(record: BufferRecord): BufferBinding {
    if (record.parent) return { buffer: record.gpuBuffer, offset: record.byteOffset, size: record.byteSize };
    return { buffer: record.gpuBuffer, offset: 0, size: Math.min(record.byteSize, this.bindingBytes) };
  }

  private zeroIfNeeded(record: BufferRecord): void {
    const owner = record.parent ?? record;
    if (!owner.needsZero) return;
    for (const { buffer, size } of this.segmentsOf(owner)) {
      this.batch.clearBuffer(buffer, size);
      this.lastBatch.set(buffer, this.batch.id);
    }
    owner.needsZero = false;
  }
}

// Why the profiler gets no GPU times from `device`, or null when it does.
function timestampsUnavailable(device: GPUDevice, options: WebGpuBackendOptions): string | null {
  if (options.timestampQueries === false) return 'timestamp queries are off (the timestampQueries option is false)';
  return device.features.has('timestamp-query') ? null : "adapter has no timestamp-query (the device lacks the 'timestamp-query' feature)";
}

// Elements as 4-byte words for the GPU: bool becomes one u32 per element.
function toWords(dtype: DType, data: TypedArray): Uint32Array | Float32Array | Int32Array {
  if (dtype === 'float32') return data instanceof Float32Array ? data : Float32Array.from(data);
  if (dtype === 'int32') return data instanceof Int32Array ? data : Int32Array.from(data);
  const words = new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) words[i] = data[i] !== 0 ? 1 : 0;
  return words;
}

function fromWords(dtype: DType, words: Uint32Array): TypedArray {
  if (dtype === 'float32') return new Float32Array(words.buffer, words.byteOffset, words.length);
  if (dtype === 'int32') return new Int32Array(words.buffer, words.byteOffset, words.length);
  return Uint8Array.from(words, (w) => (w !== 0 ? 1 : 0));
}
