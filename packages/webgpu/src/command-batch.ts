import { BindGroupCache, type BufferBinding } from './bind-group-cache.js';
import { BufferUsage, ShaderStage } from './gpu-constants.js';
import type { GpuTimer } from './gpu-timer.js';
import type { KernelLayout } from './pipeline-cache.js';

/**
 * Records work for the queue and submits it in one command buffer per batch:
 * a read, `flush()`, or a full batch submits; kernels only record. All
 * dispatches of a batch share one compute pass, and their parameter blocks
 * share one storage buffer, written with a single `writeBuffer` just before
 * the submit (the queue runs that write before the batch's commands, and the
 * next batch's write after them, so one buffer serves every batch).
 *
 * A dispatch binds two groups: its buffers (group 0, cached by
 * BindGroupCache) and its parameter block (group 1). Blocks start on
 * 256-byte slots of the parameter buffer, and each slot has one group, made
 * on first use, that binds from the slot to the buffer's end; so no dispatch
 * makes a group for its parameters. (A dynamic offset into one group would
 * do the same with fewer groups, but lavapipe then spends about 25 µs more
 * per dispatch: a char-LSTM step took 1.5× as long.)
 *
 * Dawn in Node frees a bind group only once the event loop turns, so a long
 * synchronous loop whose dispatches keep needing new groups would pile up
 * enough to crash lavapipe. Past `maxBindGroups` live groups, a dispatch
 * whose group is not cached copies its buffers into fixed scratch buffers
 * (one per binding of each layout, whose groups are cached), runs on those
 * and copies the written ones back: slower, but it makes no new group.
 *
 * While a profile times the GPU ({@link timePasses}), each dispatch charged
 * to a kernel call gets a pass of its own, timestamped at its start and end:
 * one pass per batch would give one time for all its kernels.
 */
export class CommandBatch {
  /** Counts submits; a buffer last touched in batch `id` is in the unsubmitted one. */
  id = 0;
  /** Dispatches recorded since the batch was made. */
  totalDispatches = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  // Whether the open pass is timestamped: no other dispatch may join it.
  private passTimed = false;
  // Non-null only while a profile times the GPU.
  private timer: GpuTimer | null = null;
  private readonly arena: Uint8Array;
  private used = 0;
  private dispatches = 0;
  private readonly paramsBuffer: GPUBuffer;
  // Where parameter blocks may start, in bytes: a multiple of the device's offset alignment.
  private readonly slot: number;
  // Group 1 for a block starting at slot i, made on first use.
  private readonly paramsGroups: (GPUBindGroup | undefined)[] = [];
  private readonly retiring: GPUBuffer[] = [];
  /** The layout of group 1, the parameter block, shared by every kernel. */
  readonly paramsLayout: GPUBindGroupLayout;
  /** The bind groups of dispatches' buffers, reused while their buffers live. */
  readonly bindGroups: BindGroupCache;
  // Per layout id, the buffers a dispatch runs on when it may not make a bind group.
  private readonly scratch = new Map<number, GPUBuffer[]>();

  constructor(
    private readonly device: GPUDevice,
    /** Byte alignment of parameter blocks (the device's minStorageBufferOffsetAlignment). */
    alignment: number,
    /** Submit on its own after this many dispatches, bounding a batch's memory. */
    private readonly maxDispatches = 1024,
    /** Bind groups alive at once (cached or awaiting garbage collection) before dispatches go through scratch buffers. */
    maxBindGroups = 32768,
    capacity = 1 << 19,
  ) {
    // 256 bytes at least, so that the parameter groups stay few (2,048 for 512 KiB).
    this.slot = Math.ceil(256 / alignment) * alignment;
    this.arena = new Uint8Array(capacity);
    this.paramsBuffer = device.createBuffer({ size: capacity, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST, label: 'fathom params' });
    this.paramsLayout = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: ShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } }],
      label: 'fathom params',
    });
    // Keep at most a quarter of the live groups cached, leaving the rest for groups awaiting collection.
    this.bindGroups = new BindGroupCache(device, Math.min(8192, Math.max(Math.floor(maxBindGroups / 4), 1)), maxBindGroups);
  }

  /** Whether commands wait to be submitted. */
  get pending(): boolean {
    return this.encoder !== null;
  }

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: `fathom batch ${this.id}` });
    return this.encoder;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
    this.passTimed = false;
  }

  /** Timestamps each dispatch's pass through `timer` from now on; null stops. */
  timePasses(timer: GpuTimer | null): void {
    // A pass open now is timed, or shared by untimed dispatches, as the setting was when it began.
    this.endPass();
    this.timer = timer;
  }

  /** Records one dispatch; `buffers` bind in order from 0 as `layout` says, and the parameter block after them. */
  dispatch(pipeline: GPUComputePipeline, layout: KernelLayout, buffers: readonly BufferBinding[], params: Uint32Array, workgroups: readonly [number, number] | readonly [number, number, number]): void {
    const bytes = params.byteLength;
    const start = Math.ceil(this.used / this.slot) * this.slot;
    if (start + bytes > this.arena.byteLength) {
      this.submit();
      return this.dispatch(pipeline, layout, buffers, params, workgroups);
    }
    this.arena.set(new Uint8Array(params.buffer, params.byteOffset, bytes), start);
    this.used = start + bytes;
    const paramsGroup = this.paramsGroup(start);
    const bindGroup = this.bindGroups.tryGet(layout, buffers);
    if (bindGroup) this.record(pipeline, bindGroup, paramsGroup, workgroups);
    else {
      const scratch = this.scratchFor(layout, buffers);
      // Written buffers too: a kernel may leave some of their elements as they were.
      buffers.forEach((binding, i) => this.copyBuffer(binding.buffer, scratch[i], binding.size, binding.offset));
      const bound = scratch.slice(0, buffers.length).map((buffer, i) => ({ buffer, offset: 0, size: buffers[i].size }));
      this.record(pipeline, this.bindGroups.get(layout, bound), paramsGroup, workgroups);
      for (let i = layout.reads; i < buffers.length; i++) this.copyBuffer(scratch[i], buffers[i].buffer, buffers[i].size, 0, buffers[i].offset);
    }
    this.totalDispatches++;
    if (++this.dispatches >= this.maxDispatches || this.timer?.full) this.submit();
  }

  private record(pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, paramsGroup: GPUBindGroup, workgroups: readonly [number, number] | readonly [number, number, number]): void {
    const timestampWrites = this.timer?.timestampWrites() ?? null;
    if (timestampWrites || this.passTimed) this.endPass();
    if (!this.pass) {
      this.pass = this.commandEncoder().beginComputePass(timestampWrites ? { timestampWrites } : undefined);
      this.passTimed = timestampWrites !== null;
    }
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.setBindGroup(1, paramsGroup);
    this.pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2] ?? 1);
  }

  // Group 1 for a block at byte `start`: it binds to the buffer's end, so it fits every block starting there.
  private paramsGroup(start: number): GPUBindGroup {
    const index = start / this.slot;
    this.paramsGroups[index] ??= this.device.createBindGroup({
      layout: this.paramsLayout,
      entries: [{ binding: 0, resource: { buffer: this.paramsBuffer, offset: start, size: this.arena.byteLength - start } }],
      label: `fathom params @${start}`,
    });
    return this.paramsGroups[index];
  }

  // The scratch buffers of `layout`, each at least as large as the buffer bound in its place.
  private scratchFor(layout: KernelLayout, buffers: readonly BufferBinding[]): readonly GPUBuffer[] {
    let scratch = this.scratch.get(layout.id);
    if (!scratch) this.scratch.set(layout.id, (scratch = []));
    buffers.forEach((buffer, i) => {
      if (scratch[i] && scratch[i].size >= buffer.size) return;
      if (scratch[i]) this.destroyAfterSubmit(scratch[i]);
      scratch[i] = this.device.createBuffer({ size: buffer.size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: `fathom scratch ${layout.id}.${i}` });
    });
    return scratch;
  }

  /** Records zeroing the first `size` bytes of `buffer`. */
  clearBuffer(buffer: GPUBuffer, size: number): void {
    this.endPass();
    this.commandEncoder().clearBuffer(buffer, 0, size);
  }

  /** Records a buffer-to-buffer copy of `size` bytes. */
  copyBuffer(source: GPUBuffer, destination: GPUBuffer, size: number, sourceOffset = 0, destinationOffset = 0): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(source, sourceOffset, destination, destinationOffset, size);
  }

  /**
   * Destroys `buffer` once the commands recorded so far are submitted: a
   * command buffer that names a destroyed buffer fails validation at submit,
   * while destroying after the submit lets the queued work finish first.
   */
  destroyAfterSubmit(buffer: GPUBuffer): void {
    // Its bind groups go now (the unsubmitted commands hold those they use).
    this.bindGroups.forget(buffer);
    if (this.encoder) this.retiring.push(buffer);
    else buffer.destroy();
  }

  /** Submits what was recorded (nothing when nothing was). */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    const readTimestamps = this.timer?.resolve(this.encoder);
    if (this.used > 0) this.device.queue.writeBuffer(this.paramsBuffer, 0, this.arena.buffer, this.arena.byteOffset, Math.ceil(this.used / 4) * 4);
    this.device.queue.submit([this.encoder.finish()]);
    readTimestamps?.();
    for (const buffer of this.retiring.splice(0)) buffer.destroy();
    this.encoder = null;
    this.used = 0;
    this.dispatches = 0;
    this.id++;
  }

  /** Forgets unsubmitted work and frees the parameter buffer (the device is going away). */
  dispose(): void {
    this.encoder = null;
    this.pass = null;
    this.timer = null;
    for (const buffer of this.retiring.splice(0)) buffer.destroy();
    for (const buffers of this.scratch.values()) for (const buffer of buffers) buffer.destroy();
    this.scratch.clear();
    this.bindGroups.clear();
    this.paramsGroups.length = 0;
    this.paramsBuffer.destroy();
  }
}
