import { BufferUsage } from './gpu-constants.js';

/**
 * Records work for the queue and submits it in one command buffer per batch:
 * a read, `flush()`, or a full batch submits; kernels only record. All
 * dispatches of a batch share one compute pass, and their parameter blocks
 * share one storage buffer, written with a single `writeBuffer` just before
 * the submit (the queue runs that write before the batch's commands, and the
 * next batch's write after them, so one buffer serves every batch).
 */
export class CommandBatch {
  /** Counts submits; a buffer last touched in batch `id` is in the unsubmitted one. */
  id = 0;
  /** Dispatches recorded since the batch was made. */
  totalDispatches = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly arena: Uint8Array;
  private used = 0;
  private dispatches = 0;
  private readonly paramsBuffer: GPUBuffer;
  private readonly retiring: GPUBuffer[] = [];

  constructor(
    private readonly device: GPUDevice,
    /** Byte alignment of parameter blocks (the device's minStorageBufferOffsetAlignment). */
    private readonly alignment: number,
    /** Submit on its own after this many dispatches, bounding a batch's memory. */
    private readonly maxDispatches = 1024,
    capacity = 1 << 20,
  ) {
    this.arena = new Uint8Array(capacity);
    this.paramsBuffer = device.createBuffer({ size: capacity, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST, label: 'fathom params' });
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
  }

  /** Records one dispatch; `buffers` bind in order from 0 and the parameter block after them. */
  dispatch(pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[], params: Uint32Array, workgroups: readonly [number, number] | readonly [number, number, number]): void {
    const bytes = params.byteLength;
    const start = Math.ceil(this.used / this.alignment) * this.alignment;
    if (start + bytes > this.arena.byteLength) {
      this.submit();
      return this.dispatch(pipeline, buffers, params, workgroups);
    }
    this.arena.set(new Uint8Array(params.buffer, params.byteOffset, bytes), start);
    this.used = start + bytes;
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    entries.push({ binding: buffers.length, resource: { buffer: this.paramsBuffer, offset: start, size: bytes } });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (!this.pass) this.pass = this.commandEncoder().beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2] ?? 1);
    this.totalDispatches++;
    if (++this.dispatches >= this.maxDispatches) this.submit();
  }

  /** Records zeroing the first `size` bytes of `buffer`. */
  clearBuffer(buffer: GPUBuffer, size: number): void {
    this.endPass();
    this.commandEncoder().clearBuffer(buffer, 0, size);
  }

  /** Records a buffer-to-buffer copy. */
  copyBuffer(source: GPUBuffer, destination: GPUBuffer, size: number): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(source, 0, destination, 0, size);
  }

  /**
   * Destroys `buffer` once the commands recorded so far are submitted: a
   * command buffer that names a destroyed buffer fails validation at submit,
   * while destroying after the submit lets the queued work finish first.
   */
  destroyAfterSubmit(buffer: GPUBuffer): void {
    if (this.encoder) this.retiring.push(buffer);
    else buffer.destroy();
  }

  /** Submits what was recorded (nothing when nothing was). */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.used > 0) this.device.queue.writeBuffer(this.paramsBuffer, 0, this.arena.buffer, this.arena.byteOffset, Math.ceil(this.used / 4) * 4);
    this.device.queue.submit([this.encoder.finish()]);
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
    for (const buffer of this.retiring.splice(0)) buffer.destroy();
    this.paramsBuffer.destroy();
  }
}
