import { describe, expect, it } from 'vitest';
import { BufferPool, largestSizeClass, sizeClass } from './buffer-pool.js';

describe('largestSizeClass', () => {
  it('is the largest class within a limit, so no pooled buffer passes it', () => {
    // lavapipe's maxBufferSize 2³² − 1 gives 3 GiB; 4 KiB is a class itself; 5000 bytes allows 4096.
    expect([2 ** 32 - 1, 4096, 5000, 6144, 1024].map(largestSizeClass)).toEqual([3 * 2 ** 30, 4096, 4096, 6144, 1024]);
    for (const limit of [1000, 3000, 70000, 2 ** 31 + 5]) expect(sizeClass(largestSizeClass(limit))).toBe(largestSizeClass(limit));
  });
});

describe('sizeClass', () => {
  it('rounds up to 256 bytes, then powers of two and their midpoints', () => {
    expect([1, 256, 257, 384, 385, 512, 513, 768, 769, 1024].map(sizeClass)).toEqual([256, 256, 384, 384, 512, 512, 768, 768, 1024, 1024]);
  });
  it('wastes less than a third of any class', () => {
    for (let bytes = 257; bytes < 1 << 20; bytes = Math.ceil(bytes * 1.07)) {
      expect(sizeClass(bytes)).toBeGreaterThanOrEqual(bytes);
      expect(sizeClass(bytes) / bytes).toBeLessThan(1.5);
    }
  });
});

describe('BufferPool', () => {
  // Stand-ins for GPUBuffers: the pool only creates, hands out and destroys them.
  function pool(maxPooledBytes = 1 << 20): { pool: BufferPool; destroyed: string[] } {
    let made = 0;
    const destroyed: string[] = [];
    const create = (size: number) => ({ label: `buffer ${made++}`, size }) as unknown as GPUBuffer;
    return { pool: new BufferPool(create, maxPooledBytes, (buffer) => destroyed.push(buffer.label)), destroyed };
  }
  const label = (acquired: { buffer: GPUBuffer }) => acquired.buffer.label;

  it('hands out the oldest waiting buffer, whatever order they were released in', () => {
    const { pool: buffers } = pool();
    const [a, b, c] = [buffers.acquire(100), buffers.acquire(100), buffers.acquire(100)];
    for (const order of [[c, a, b], [b, c, a]]) {
      for (const acquired of order) buffers.release(acquired.buffer, acquired.size);
      expect([buffers.acquire(100), buffers.acquire(100), buffers.acquire(100)].map(label)).toEqual(['buffer 0', 'buffer 1', 'buffer 2']);
    }
    expect(buffers.acquire(100).reused).toBe(false);
  });

  it('destroys what it has no room for, and everything at clear(), through its destroy callback', () => {
    const { pool: buffers, destroyed } = pool(256);
    const [a, b] = [buffers.acquire(10), buffers.acquire(10)];
    buffers.release(a.buffer, a.size);
    buffers.release(b.buffer, b.size);
    expect(destroyed).toEqual(['buffer 1']);
    buffers.clear();
    expect(destroyed).toEqual(['buffer 1', 'buffer 0']);
    expect(buffers.stats()).toEqual({ buffers: 0, bytes: 0 });
  });
});
