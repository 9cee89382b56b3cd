/**
 * The size a request of `bytes` is rounded up to: 256 bytes at least, then
 * powers of two and the midpoints between them (256, 384, 512, 768, 1024…),
 * so a freed buffer serves later requests of similar size and no class wastes
 * more than a third of its bytes.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const power = 2 ** Math.ceil(Math.log2(bytes));
  const midpoint = (power / 4) * 3;
  return bytes <= midpoint ? midpoint : power;
}

/** The largest size class within `bytes`, so that a pooled buffer asked for at most that never exceeds a device limit of `bytes`. */
export function largestSizeClass(bytes: number): number {
  const power = 2 ** Math.floor(Math.log2(bytes));
  return (power / 2) * 3 <= bytes ? (power / 2) * 3 : power;
}

/**
 * Reuses GPU buffers by size class. WebGPU buffer creation is slow (and on
 * some drivers zero-fills), and training allocates the same shapes every
 * step, so freed buffers wait here for the next request of their class.
 * At most `maxPooledBytes` wait; beyond that a freed buffer is destroyed.
 *
 * A request gets the oldest waiting buffer of its class (the first created),
 * not the last freed: the choice then depends only on which buffers wait,
 * not on the order they were freed in, so a training loop gets the same
 * buffers for the same tensors every step and its bind groups repeat (see
 * BindGroupCache). Handing out the last freed buffer permutes them from step
 * to step, and nearly every dispatch needed a new bind group.
 */
export class BufferPool {
  // Free buffers by class, newest first, so pop() takes the oldest.
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly serials = new WeakMap<GPUBuffer, number>();
  private nextSerial = 0;
  private pooledBytes = 0;
  private pooledCount = 0;

  constructor(
    private readonly create: (size: number) => GPUBuffer,
    private readonly maxPooledBytes: number,
    /** Frees a buffer the pool has no room for; the backend defers it while unsubmitted commands use the buffer. */
    private readonly destroy: (buffer: GPUBuffer) => void = (buffer) => buffer.destroy(),
  ) {}

  /** A buffer of at least `bytes` (its class size); `reused` when it held earlier data. */
  acquire(bytes: number): { buffer: GPUBuffer; size: number; reused: boolean } {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    const pooled = list?.pop();
    if (pooled) {
      this.pooledBytes -= size;
      this.pooledCount--;
      return { buffer: pooled, size, reused: true };
    }
    const buffer = this.create(size);
    this.serials.set(buffer, this.nextSerial++);
    return { buffer, size, reused: false };
  }

  /** Returns a buffer of class `size` for reuse. */
  release(buffer: GPUBuffer, size: number): void {
    if (this.pooledBytes + size > this.maxPooledBytes) {
      this.destroy(buffer);
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.splice(this.insertionIndex(list, this.serialOf(buffer)), 0, buffer);
    this.pooledBytes += size;
    this.pooledCount++;
  }

  // Where a buffer of `serial` goes in a list kept in decreasing serial order.
  private insertionIndex(list: readonly GPUBuffer[], serial: number): number {
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.serialOf(list[middle]) > serial) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  // Buffers the pool did not create (none today) sort as the newest.
  private serialOf(buffer: GPUBuffer): number {
    return this.serials.get(buffer) ?? Number.MAX_SAFE_INTEGER;
  }

  /** Buffers and bytes waiting for reuse. */
  stats(): { buffers: number; bytes: number } {
    return { buffers: this.pooledCount, bytes: this.pooledBytes };
  }

  /** Destroys every waiting buffer (through `destroy`, as an overflowing release does). */
  clear(): void {
    for (const list of this.free.values()) for (const buffer of list) this.destroy(buffer);
    this.free.clear();
    this.pooledBytes = 0;
    this.pooledCount = 0;
  }
}
