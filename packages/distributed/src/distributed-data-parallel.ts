import { DTypeError, keep, tensor, ValueError, type Tensor } from '@fathom/core';
import { registerPostAccumulateGradHook } from '@fathom/autograd';
import { Module } from '@fathom/layers';
import { broadcastTensors } from './broadcast-tensors.js';
import { DistributedError } from './distributed-error.js';
import { assignBuckets, DEFAULT_BUCKET_CAP_MB, type GradientBucket } from './gradient-bucket.js';
import { writeFromHost } from './host-copy.js';
import type { ProcessGroup } from './process-group.js';

/** Options of {@link DistributedDataParallel.create}. */
export interface DistributedDataParallelOptions {
  /** Mebibytes of float32 gradients per all-reduce (PyTorch's `bucket_cap_mb`, default 25). */
  readonly bucketCapMB?: number;
}

/**
 * Data-parallel training (PyTorch's `DistributedDataParallel`): each rank
 * holds a whole replica of `module`, runs it on its own share of the batch,
 * and the gradients are averaged over the ranks before the optimizer step,
 * so every replica takes the same step and stays identical.
 *
 * - **Start**: rank 0's parameters and buffers are broadcast to every rank.
 * - **Buckets**: gradients are averaged in buckets of about 25 MB, taken in
 *   reverse parameter order. On devices that read synchronously (cpu, wasm)
 *   a bucket's all-reduce starts from a gradient hook as soon as backward has
 *   produced all of its gradients, so it runs on the MPI thread while
 *   backward continues; on webgpu (async reads only) every bucket starts when
 *   backward returns.
 * - **Finishing**: JavaScript cannot block inside `loss.backward()` until the
 *   network is done, as PyTorch does; await {@link backward} (or call
 *   `loss.backward()` and await {@link synchronizeGradients}) before
 *   `optimizer.step()`.
 * - **Gradient accumulation**: run the backward passes whose gradients
 *   should only accumulate locally inside {@link noSync}.
 * - **BatchNorm**: each rank normalises with its own batch's statistics and
 *   keeps its own running statistics (PyTorch's default); they are made
 *   equal at the start, and {@link broadcastBuffers} copies rank 0's again
 *   (before evaluating or saving, say). PyTorch also rebroadcasts them
 *   before every forward; this wrapper does not (a forward cannot await).
 *   For statistics over the batch of all ranks, convert the model's
 *   BatchNorms with `SyncBatchNorm.convertSyncBatchnorm(model, group)`.
 *
 * ```ts
 * const group = await init();
 * const ddp = await DistributedDataParallel.create(model, group);
 * const optimizer = new SGD(ddp.parameters(), { lr: 0.1 });
 * for await (const { x, y } of loader) {        // loader over a DistributedSampler
 *   optimizer.zeroGrad();
 *   await ddp.backward(crossEntropy(ddp.forward(x), y));
 *   optimizer.step();
 * }
 * ```
 */
export class DistributedDataParallel<M extends Module> extends Module {
  /** The wrapped module (state-dict keys gain a `module.` prefix, as in PyTorch). */
  readonly module: M;
  /** The ranks the gradients are averaged over. */
  readonly group: ProcessGroup;
  /** The buckets, in the order they are reduced. */
  readonly buckets: readonly GradientBucket[];
  private readonly bucketOf = new Map<Tensor, { bucket: GradientBucket; slot: number }>();
  private readonly names = new Map<Tensor, string>();
  private readonly removeHooks: (() => void)[] = [];
  private syncing = true;
  private nextToLaunch = 0;
  // Parameters whose gradient grew after their bucket had been sent (a parameter used twice late in the graph).
  private readonly late = new Set<Tensor>();

  private constructor(module: M, group: ProcessGroup, options: DistributedDataParallelOptions) {
    super();
    this.module = this.registerModule('module', module);
    this.group = group;
    const capMB = options.bucketCapMB ?? DEFAULT_BUCKET_CAP_MB;
    if (!(capMB > 0)) throw new ValueError(`DistributedDataParallel: bucketCapMB must be > 0, got ${capMB}`);
    const named = module.namedParameters();
    for (const [name, p] of named) {
      if (p.dtype !== 'float32') throw new DTypeError(`DistributedDataParallel: parameter ${name} is ${p.dtype}; gradients are averaged in float32`);
      this.names.set(p, name);
    }
    this.buckets = assignBuckets(named.map(([, p]) => p), capMB * 1024 * 1024);
    for (const bucket of this.buckets) {
      bucket.parameters.forEach((p, slot) => {
        this.bucketOf.set(p, { bucket, slot });
        this.removeHooks.push(registerPostAccumulateGradHook(p, () => this.onGradient(p)));
      });
    }
  }

  /**
   * Wraps `module` for data-parallel training over `group`, after making its
   * parameters and buffers equal to rank 0's on every rank. Async because
   * that broadcast is (a constructor cannot await it). Every rank must build
   * the same module; a different parameter count or size is an error.
   */
  static async create<M extends Module>(module: M, group: ProcessGroup, options: DistributedDataParallelOptions = {}): Promise<DistributedDataParallel<M>> {
    const ddp = new DistributedDataParallel(module, group, options);
    await broadcastTensors(group, module.parameters(), 'DistributedDataParallel parameters');
    await ddp.broadcastBuffers();
    return ddp;
  }

  /** Runs the wrapped module's forward. */
  forward(...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    return (this.module.forward as (...args: unknown[]) => ReturnType<M['forward']>)(...inputs);
  }

  /**
   * Runs `fn` (typically `() => loss.backward()`) with gradient averaging
   * off: gradients only accumulate locally (PyTorch's `no_sync()`). The next
   * backward outside `noSync` averages everything accumulated.
   */
  noSync<T>(fn: () => T): T {
    const before = this.syncing;
    this.syncing = false;
    try {
      return fn();
    } finally {
      this.syncing = before;
    }
  }

  /** `loss.backward()`, then {@link synchronizeGradients}: what to await before `optimizer.step()`. */
  async backward(loss: Tensor): Promise<void> {
    loss.backward();
    await this.synchronizeGradients();
  }

  /**
   * Finishes averaging this step's gradients: starts the buckets backward
   * did not fill (a gradient that is null here counts as zeros), waits for
   * every all-reduce, and writes the averages into each parameter's `.grad`
   * in place. Every rank must call it once per synchronised backward.
   */
  async synchronizeGradients(): Promise<void> {
    try {
      for (const bucket of this.buckets) {
        if (bucket.reduction) continue;
        for (let slot = 0; slot < bucket.parameters.length; slot++) {
          if (!bucket.filled[slot]) await this.copyIn(bucket, slot);
        }
        this.launchReady();
      }
      await Promise.all(this.buckets.map((bucket) => bucket.reduction));
      const scale = 1 / this.group.worldSize;
      for (const bucket of this.buckets) {
        const { values } = bucket;
        for (let i = 0; i < values.length; i++) values[i] *= scale;
        bucket.parameters.forEach((p, slot) => {
          const average = values.subarray(bucket.offsets[slot], bucket.offsets[slot] + p.numel);
          if (p.grad) writeFromHost(p.grad, average);
          else if (average.some((v) => v !== 0)) p.grad = keep(tensor(average, { shape: p.shape, device: p.device }));
        });
      }
      if (this.late.size > 0) {
        const names = [...this.late].map((p) => this.names.get(p)).join(', ');
        throw new DistributedError(
          `DistributedDataParallel: the gradient of ${names} grew after its bucket had been sent (a parameter used again late in backward); ` +
          'use it once per forward, or a bucket large enough to hold all parameters (bucketCapMB)',
          this.group.rank,
        );
      }
    } finally {
      this.late.clear();
      this.nextToLaunch = 0;
      for (const bucket of this.buckets) bucket.reset();
    }
  }

  /** Makes every rank's buffers (BatchNorm's running statistics…) equal to rank 0's. */
  async broadcastBuffers(): Promise<void> {
    await broadcastTensors(this.group, this.module.buffers(), 'DistributedDataParallel buffers');
  }

  /** Removes the gradient hooks: the module trains alone again. */
  dispose(): void {
    for (const remove of this.removeHooks.splice(0)) remove();
  }

  // A gradient hook: backward has just added into p.grad.
  private onGradient(p: Tensor): void {
    if (!this.syncing) return;
    const { bucket, slot } = this.bucketOf.get(p)!;
    if (bucket.reduction) {
      this.late.add(p);
      return;
    }
    // Only a device that reads synchronously can be copied here, inside backward.
    if (!p.grad!.backend.capabilities.syncRead) return;
    bucket.values.set(p.grad!.dataSync() as Float32Array, bucket.offsets[slot]);
    bucket.filled[slot] = true;
    this.launchReady();
  }

  private async copyIn(bucket: GradientBucket, slot: number): Promise<void> {
    const p = bucket.parameters[slot];
    const at = bucket.offsets[slot];
    if (p.grad) bucket.values.set((await p.grad.data()) as Float32Array, at);
    else bucket.values.fill(0, at, at + p.numel);
    bucket.filled[slot] = true;
  }

  // Starts full buckets strictly in bucket order: every rank must issue the same collectives in the same order.
  private launchReady(): void {
    while (this.nextToLaunch < this.buckets.length && this.buckets[this.nextToLaunch].isFull) {
      const bucket = this.buckets[this.nextToLaunch++];
      bucket.reduction = this.group.allReduceArray(bucket.values, { op: 'sum' });
      // Awaited in synchronizeGradients; marked handled so a failure is reported there, once.
      bucket.reduction.catch(() => undefined);
    }
  }
}
