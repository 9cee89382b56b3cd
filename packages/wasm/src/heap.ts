/** What a {@link Heap} manages: a linear memory that can grow in 64 KiB pages up to a limit. */
export interface GrowableMemory {
  /** Current size in bytes. */
  size(): number;
  /** Grows by `pages` pages of 64 KiB; returns false when it cannot (limit reached or the engine refuses). */
  grow(pages: number): boolean;
}

/** Counts of the allocator over the WebAssembly memory: what is handed out, what is cached for reuse, and how far the memory reaches. */
export interface HeapStats {
  /** Blocks handed out and not released. */
  readonly liveBlocks: number;
  /** Bytes in those blocks (rounded up to their size class). */
  readonly liveBytes: number;
  /** Released blocks kept for reuse. */
  readonly cachedBlocks: number;
  readonly cachedBytes: number;
  /** End of the highest block ever carved (everything above it is untouched). */
  readonly top: number;
  /** Size of the linear memory. */
  readonly memoryBytes: number;
}

const PAGE = 65536;
const ALIGN = 16;

/**
 * The block size a request of `bytes` gets: multiples of 16 up to 256 bytes,
 * then four classes per power of two (at most 25% rounding), so a freed block
 * serves every later request of its class.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const step = 2 ** Math.floor(Math.log2(bytes)) / 4;
  return Math.ceil(bytes / step) * step;
}

interface LooseBlock {
  address: number;
  size: number;
  /** The latest `after` its memory was released with (see {@link Heap.release}). */
  after: number;
}

/**
 * A size-class allocator over a growable linear memory, from `base` up.
 * Released blocks go to a free list per class and are handed out again
 * first (training loops ask for the same sizes every step, so memory stays
 * flat). New blocks are carved from the top, growing the memory as needed.
 * When the memory cannot grow, the cached blocks are merged with their
 * neighbours (and the top lowered where they reach it) and the request is
 * served from the merged space; only then does allocation fail.
 */
export class Heap {
  private top: number;
  private pristine: number;
  // The latest `after` of the memory between the top and the pristine mark (merged into the top).
  private topAfter = 0;
  // Per size class, the cached blocks as pairs [address, after].
  private readonly free = new Map<number, number[]>();
  private loose: LooseBlock[] = [];
  // Size class by address; 0 once released. Entries are overwritten rather
  // than deleted: in Node 20, Map.delete followed by set costs time in
  // proportion to the map's size (30 µs a pair at 10,000 entries, measured),
  // and a training step releases thousands of blocks. Addresses recur, so
  // the dead entries stay few; rebuildLive() drops them if they pile up.
  private live = new Map<number, number>();
  private liveBlocks = 0;
  private liveBytes = 0;
  private cachedBlocks = 0;
  private cachedBytes = 0;

  constructor(private readonly memory: GrowableMemory, base: number) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
    this.pristine = this.top;
  }

  /**
   * Returns the address of a block of at least `bytes` bytes (16-byte
   * aligned), or `undefined` when the memory cannot hold it even after
   * merging the cached blocks.
   */
  allocate(bytes: number): number | undefined {
    const size = sizeClass(bytes);
    this.pristineCarve = false;
    this.carvedAfter = 0;
    const address = this.fromFreeList(size) ?? this.fromLoose(size) ?? this.fromTop(size) ?? this.afterMerging(size);
    if (address === undefined) return undefined;
    this.live.set(address, size);
    this.liveBlocks++;
    this.liveBytes += size;
    return address;
  }

  /**
   * {@link allocate} from memory no block was ever handed out from. The
   * kernel queue's scratch comes from here: a queued kernel writes it while
   * kernels queued after that one may still read blocks released since, which
   * {@link allocate} would hand out again.
   */
  allocateFresh(bytes: number): number | undefined {
    this.carvedAfter = 0;
    if (this.top < this.pristine) {
      // Merging lowered the top below fresh memory: cache the used stretch between as a loose block.
      this.loose.push({ address: this.top, size: this.pristine - this.top, after: this.topAfter });
      this.cachedBlocks++;
      this.cachedBytes += this.pristine - this.top;
      this.top = this.pristine;
    }
    const size = sizeClass(bytes);
    const address = this.fromTop(size);
    this.pristineCarve = false;
    if (address === undefined) return undefined;
    this.live.set(address, size);
    this.liveBlocks++;
    this.liveBytes += size;
    return address;
  }

  /**
   * Whether the latest {@link allocate} carved memory nothing had been handed
   * out from before (fresh WebAssembly pages, still zero), so the caller may
   * skip zeroing it.
   */
  get lastWasPristine(): boolean {
    return this.pristineCarve;
  }
  private pristineCarve = false;

  /**
   * The largest `after` that any of the memory of the latest {@link allocate}
   * was released with (0 for memory never handed out): the block may be
   * written once the work so numbered is done.
   */
  get lastReusableAfter(): number {
    return this.carvedAfter;
  }
  private carvedAfter = 0;

  /**
   * Returns a block to the heap. `after` numbers the work that may still
   * touch its memory (the wasm backend's count of kernels queued so far),
   * which {@link lastReusableAfter} reports when the memory is handed out
   * again; numbers must not decrease from one release to the next (0: no
   * work touches it). Required, so that a new caller cannot let an upload
   * skip the queue by forgetting it. Throws on an address that is not a live
   * block.
   */
  release(address: number, after: number): void {
    const size = this.live.get(address);
    if (!size) throw new Error(`heap: release of ${address}, which is not a live block`);
    this.live.set(address, 0);
    this.liveBlocks--;
    this.liveBytes -= size;
    if (this.live.size > 4 * this.liveBlocks + 4096) this.rebuildLive();
    this.cache(address, size, after);
  }

  /** The size class of a live block. */
  sizeOf(address: number): number | undefined {
    return this.live.get(address) || undefined;
  }

  stats(): HeapStats {
    return {
      liveBlocks: this.liveBlocks,
      liveBytes: this.liveBytes,
      cachedBlocks: this.cachedBlocks,
      cachedBytes: this.cachedBytes,
      top: this.top,
      memoryBytes: this.memory.size(),
    };
  }

  private rebuildLive(): void {
    const live = new Map<number, number>();
    for (const [address, size] of this.live) if (size) live.set(address, size);
    this.live = live;
  }

  private cache(address: number, size: number, after: number): void {
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(address, after);
    this.cachedBlocks++;
    this.cachedBytes += size;
  }

  private fromFreeList(size: number): number | undefined {
    const list = this.free.get(size);
    if (list === undefined || list.length === 0) return undefined;
    this.carvedAfter = list.pop() as number;
    const address = list.pop() as number;
    this.cachedBlocks--;
    this.cachedBytes -= size;
    return address;
  }

  // Best fit among the merged blocks; the rest of the block stays loose.
  private fromLoose(size: number): number | undefined {
    let best = -1;
    for (let i = 0; i < this.loose.length; i++) {
      const block = this.loose[i];
      if (block.size >= size && (best < 0 || block.size < this.loose[best].size)) best = i;
    }
    if (best < 0) return undefined;
    const block = this.loose[best];
    const address = block.address;
    this.carvedAfter = block.after;
    block.address += size;
    block.size -= size;
    if (block.size === 0) this.loose.splice(best, 1);
    if (block.size === 0) this.cachedBlocks--;
    this.cachedBytes -= size;
    return address;
  }

  private fromTop(size: number): number | undefined {
    const end = this.top + size;
    const available = this.memory.size();
    if (end > available) {
      // Grow by at least an eighth of the memory, so a run of allocations grows it rarely.
      const needed = Math.ceil((end - available) / PAGE);
      const generous = Math.max(needed, Math.ceil(available / 8 / PAGE));
      if (!this.memory.grow(generous) && !this.memory.grow(needed)) return undefined;
    }
    const address = this.top;
    this.pristineCarve = address >= this.pristine;
    this.carvedAfter = this.pristineCarve ? 0 : this.topAfter;
    this.top = end;
    this.pristine = Math.max(this.pristine, end);
    return address;
  }

  private afterMerging(size: number): number | undefined {
    if (this.cachedBlocks === 0) return undefined;
    this.merge();
    return this.fromLoose(size) ?? this.fromTop(size);
  }

  // Merges every cached block with its cached neighbours; merged space that
  // reaches the top lowers the top instead.
  private merge(): void {
    const blocks: LooseBlock[] = this.loose.map((b) => ({ ...b }));
    for (const [size, list] of this.free) {
      for (let i = 0; i < list.length; i += 2) blocks.push({ address: list[i], size, after: list[i + 1] });
    }
    this.free.clear();
    blocks.sort((a, b) => a.address - b.address);
    const merged: LooseBlock[] = [];
    for (const block of blocks) {
      const last = merged[merged.length - 1];
      if (last && last.address + last.size === block.address) {
        last.size += block.size;
        last.after = Math.max(last.after, block.after);
      } else merged.push({ ...block });
    }
    const last = merged[merged.length - 1];
    if (last && last.address + last.size === this.top) {
      this.top = last.address;
      this.topAfter = Math.max(this.topAfter, last.after);
      merged.pop();
    }
    this.loose = merged;
    this.cachedBlocks = merged.length;
    this.cachedBytes = merged.reduce((sum, b) => sum + b.size, 0);
  }
}
