import type { KernelLayout } from './pipeline-cache.js';

/** A storage binding: `size` bytes of `buffer` from byte `offset` (all of it for most tensors; a window of a tensor larger than one binding). */
export interface BufferBinding {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

interface CachedGroup {
  readonly group: GPUBindGroup;
  /** Ids of the buffers it binds, to unlink it from each when it goes. */
  readonly buffers: readonly number[];
}

/**
 * Bind groups of buffers (group 0) by layout and bound buffers, reused from
 * dispatch to dispatch. The parameter block lives in group 1, so a group does
 * not depend on the dispatch's parameters, and the buffer pool gives a
 * training loop the same buffers for the same tensors every step, so its
 * dispatches repeat the same few thousand groups.
 *
 * Why: Dawn's Node bindings free a GPUBindGroup only when the event loop
 * turns (Node runs native finalizers after the current task), and lavapipe
 * crashes (a segfault, not an error) once about 65,536 descriptor sets exist.
 * A long synchronous loop that made one group per dispatch reached that in
 * a few dozen training steps.
 *
 * A group that names a destroyed buffer is useless (a submit that uses it
 * fails validation), so the backend calls {@link forget} as it destroys a
 * buffer. At most `capacity` groups are kept, the least recently used going
 * first; one evicted while the unsubmitted batch still uses it stays alive
 * for that batch (the encoder holds it). {@link live} counts the groups not
 * yet garbage-collected, cached or not, so that the batch can stop making new
 * ones before that count nears the driver's limit.
 */
export class BindGroupCache {
  private readonly groups = new Map<string, CachedGroup>();
  // The keys of the cached groups that bind each buffer, by buffer id.
  private readonly keysByBuffer = new Map<number, Set<string>>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 0;
  private readonly collected = new FinalizationRegistry<null>(() => this.live--);
  /** Bind groups created so far. */
  created = 0;
  /** Bind groups created and not yet garbage-collected (Dawn holds their descriptor sets until then). */
  live = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Groups kept for reuse. */
    private readonly capacity = 8192,
    /** Live groups past which {@link tryGet} makes no new one. */
    private readonly maxLive = 32768,
  ) {}

  /** Bind groups cached now. */
  get size(): number {
    return this.groups.size;
  }

  /** The group binding `buffers` from 0 in `layout`. */
  get(layout: KernelLayout, buffers: readonly BufferBinding[]): GPUBindGroup {
    return this.lookup(layout, buffers, Infinity) as GPUBindGroup;
  }

  /** As {@link get}, but null where that would make a group while {@link live} is at its maximum. */
  tryGet(layout: KernelLayout, buffers: readonly BufferBinding[]): GPUBindGroup | null {
    return this.lookup(layout, buffers, this.maxLive);
  }

  /** Drops every group that binds `buffer` (it is being destroyed). */
  forget(buffer: GPUBuffer): void {
    const id = this.ids.get(buffer);
    if (id === undefined) return;
    this.ids.delete(buffer);
    const keys = this.keysByBuffer.get(id);
    if (keys) for (const key of [...keys]) this.drop(key);
  }

  /** Drops every group. */
  clear(): void {
    this.groups.clear();
    this.keysByBuffer.clear();
  }

  private lookup(layout: KernelLayout, buffers: readonly BufferBinding[], maxLive: number): GPUBindGroup | null {
    const ids = buffers.map((binding) => this.idOf(binding.buffer));
    // A window names its range; a whole buffer (nearly every binding) only its id.
    const parts = buffers.map((binding, i) => (binding.offset === 0 && binding.size === binding.buffer.size ? `${ids[i]}` : `${ids[i]}@${binding.offset}+${binding.size}`));
    const key = `${layout.id}:${parts.join(',')}`;
    const cached = this.groups.get(key);
    if (cached) {
      // Map order is the eviction order: a hit moves to the back.
      this.groups.delete(key);
      this.groups.set(key, cached);
      return cached.group;
    }
    if (this.live >= maxLive) return null;
    const entries: GPUBindGroupEntry[] = buffers.map(({ buffer, offset, size }, binding) => ({ binding, resource: { buffer, offset, size } }));
    const group = this.device.createBindGroup({ layout: layout.bindGroupLayout, entries });
    this.created++;
    this.live++;
    this.collected.register(group, null);
    if (this.groups.size >= this.capacity) this.drop(this.groups.keys().next().value as string);
    this.groups.set(key, { group, buffers: ids });
    for (const id of ids) {
      let keys = this.keysByBuffer.get(id);
      if (!keys) this.keysByBuffer.set(id, (keys = new Set()));
      keys.add(key);
    }
    return group;
  }

  private idOf(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) this.ids.set(buffer, (id = this.nextId++));
    return id;
  }

  private drop(key: string): void {
    const cached = this.groups.get(key);
    if (!cached) return;
    this.groups.delete(key);
    for (const id of cached.buffers) {
      const keys = this.keysByBuffer.get(id);
      keys?.delete(key);
      if (keys?.size === 0) this.keysByBuffer.delete(id);
    }
  }
}
