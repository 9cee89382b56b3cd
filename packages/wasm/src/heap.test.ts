import { describe, expect, it } from 'vitest';
import { Heap, sizeClass, type GrowableMemory } from './heap.js';

const PAGE = 65536;

function memory(pages: number, maxPages: number): GrowableMemory & { pages: number } {
  return {
    pages,
    size() {
      return this.pages * PAGE;
    },
    grow(more) {
      if (this.pages + more > maxPages) return false;
      this.pages += more;
      return true;
    },
  };
}

describe('sizeClass', () => {
  it('rounds small requests to 16 bytes and larger ones to a quarter of their power of two', () => {
    expect([0, 1, 16, 17, 250].map(sizeClass)).toEqual([16, 16, 16, 32, 256]);
    expect(sizeClass(257)).toBe(320);
    expect(sizeClass(1000)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    expect(sizeClass(3 * 2 ** 20 + 1)).toBe(3.5 * 2 ** 20);
    for (let bytes = 1; bytes < 1e7; bytes = Math.ceil(bytes * 1.37)) {
      const size = sizeClass(bytes);
      expect(size).toBeGreaterThanOrEqual(bytes);
      expect(size % 16).toBe(0);
      expect(size).toBeLessThanOrEqual(Math.max(16, bytes * 1.25 + 16));
    }
  });
});

describe('Heap', () => {
  it('carves 16-byte-aligned blocks from the base and grows the memory on demand', () => {
    const mem = memory(1, 100);
    const heap = new Heap(mem, 1000);
    const a = heap.allocate(10) as number;
    expect(a).toBe(1008);
    expect(heap.lastWasPristine).toBe(true);
    const b = heap.allocate(100_000) as number;
    expect(b % 16).toBe(0);
    expect(mem.size()).toBeGreaterThanOrEqual(b + 100_000);
    expect(heap.stats()).toMatchObject({ liveBlocks: 2 });
  });

  it('hands a released block to the next request of its class, not marked pristine', () => {
    const heap = new Heap(memory(1, 100), 0);
    const a = heap.allocate(1000) as number;
    heap.allocate(64);
    heap.release(a, 0);
    expect(heap.stats()).toMatchObject({ cachedBlocks: 1, cachedBytes: 1024 });
    expect(heap.allocate(1010)).toBe(a);
    expect(heap.lastWasPristine).toBe(false);
    expect(heap.stats()).toMatchObject({ cachedBlocks: 0, cachedBytes: 0 });
  });

  it('hands out fresh memory only from allocateFresh, even below a top that merging lowered', () => {
    const heap = new Heap(memory(1, 3), 0);
    const a = heap.allocate(1000) as number;
    heap.release(a, 0);
    // The released block fits, but allocateFresh never reuses one.
    const fresh = heap.allocateFresh(1000) as number;
    expect(fresh).toBeGreaterThanOrEqual(a + 1024);
    const big = heap.allocate(60_000) as number;
    heap.release(big, 0);
    // Too large for the memory's last page unless the cached blocks merge: the top drops to `a`.
    expect(heap.allocate(3 * PAGE - 64)).toBeUndefined();
    expect(heap.stats().top).toBeLessThan(big + 60_000);
    const again = heap.allocateFresh(5000) as number;
    expect(again).toBeGreaterThanOrEqual(big + sizeClass(60_000));
    // The used stretch below the fresh memory is cached, and served by allocate.
    expect(heap.allocate(60_000)).toBe(big);
    expect(heap.stats()).toMatchObject({ liveBlocks: 3 });
  });

  it('reports the latest number a handed-out block was released with: 0 for fresh memory, the largest over merged blocks', () => {
    const heap = new Heap(memory(4, 4), 0); // 256 KiB, fixed
    const blocks = [0, 1, 2, 3].map(() => heap.allocate(48 * 1024) as number);
    expect(heap.lastReusableAfter).toBe(0);
    heap.release(blocks[1], 7);
    expect(heap.allocate(48 * 1024)).toBe(blocks[1]);
    expect(heap.lastReusableAfter).toBe(7);
    heap.release(blocks[1], 9);
    heap.release(blocks[2], 12);
    // Only the two merged blocks make room for 80 KiB: the later of their numbers.
    expect(heap.allocate(80 * 1024)).toBe(blocks[1]);
    expect(heap.lastReusableAfter).toBe(12);
  });

  it('carries the numbers of blocks merged into the top to what is carved there again, not to fresh memory', () => {
    const heap = new Heap(memory(1, 3), 0);
    const low = heap.allocate(1000) as number;
    const high = heap.allocate(60_000) as number;
    heap.release(high, 20);
    heap.release(low, 30);
    // Too large for the room above the top unless the cached blocks merge, which lowers the top to 0:
    // both numbers reach the top, and the block carved there spans both.
    const big = heap.allocate(140_000) as number;
    expect(big).toBe(low);
    expect(heap.lastReusableAfter).toBe(30);
    expect(heap.allocateFresh(16)).toBeGreaterThanOrEqual(big + 140_000);
    expect(heap.lastReusableAfter).toBe(0);
  });

  it('throws on a double release or an unknown address', () => {
    const heap = new Heap(memory(1, 1), 0);
    const a = heap.allocate(32) as number;
    heap.release(a, 0);
    expect(() => heap.release(a, 0)).toThrow(/not a live block/);
    expect(() => heap.release(12345, 0)).toThrow(/not a live block/);
  });

  it('merges cached neighbours when the memory cannot grow, and lowers the top', () => {
    const heap = new Heap(memory(4, 4), 0); // 256 KiB, fixed
    const blocks = [0, 1, 2, 3].map(() => heap.allocate(48 * 1024) as number); // 4 × 48 KiB
    expect(heap.allocate(80 * 1024)).toBeUndefined();
    heap.release(blocks[1], 0);
    heap.release(blocks[2], 0);
    // Two cached 48 KiB blocks side by side make room for 80 KiB.
    const merged = heap.allocate(80 * 1024) as number;
    expect(merged).toBe(blocks[1]);
    heap.release(merged, 0);
    heap.release(blocks[3], 0);
    heap.release(blocks[0], 0);
    expect(heap.allocate(250 * 1024)).toBe(0);
    expect(heap.stats().liveBlocks).toBe(1);
  });

  it('returns undefined when even merging cannot make room', () => {
    const heap = new Heap(memory(1, 2), 0);
    heap.allocate(100_000);
    expect(heap.allocate(100_000)).toBeUndefined();
  });

  it('serves a repeated pattern of sizes without growing (a training loop)', () => {
    const heap = new Heap(memory(1, 1000), 0);
    const sizes = [4096, 100, 65536, 4096, 12, 30000];
    const step = (): void => {
      const held = sizes.map((s) => heap.allocate(s) as number);
      for (const a of held.reverse()) heap.release(a, 0);
    };
    step();
    const top = heap.stats().top;
    for (let i = 0; i < 1000; i++) step();
    expect(heap.stats().top).toBe(top);
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('keeps its counts and checks through many releases (released entries are dropped in bulk)', () => {
    const heap = new Heap(memory(1, 10_000), 0);
    const sizes = (i: number): number => 16 * (1 + (i % 300)); // many classes: many distinct addresses
    const held = Array.from({ length: 20_000 }, (_, i) => heap.allocate(sizes(i)) as number);
    for (const a of held.slice(0, 19_990)) heap.release(a, 0);
    expect(heap.stats()).toMatchObject({ liveBlocks: 10 });
    expect(() => heap.release(held[0], 0)).toThrow(/not a live block/);
    expect(heap.sizeOf(held[0])).toBeUndefined();
    expect(heap.sizeOf(held[19_999])).toBe(sizeClass(sizes(19_999)));
    for (const a of held.slice(19_990)) heap.release(a, 0);
    expect(heap.stats()).toMatchObject({ liveBlocks: 0, liveBytes: 0 });
  });
});
