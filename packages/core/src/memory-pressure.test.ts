import { afterEach, describe, expect, it } from 'vitest';
import { configureGarbageCollection } from './memory-pressure.js';
import { zeros } from './ops/creation.js';
import { memoryStats } from './memory.js';
import { scope } from './scope.js';

describe('collection under memory pressure', () => {
  afterEach(() => configureGarbageCollection({ collector: undefined, afterBytes: 256 * 2 ** 20 }));

  it('runs the collector once as many unreleased bytes have been allocated as asked, and the next read yields a macrotask', async () => {
    let collections = 0;
    configureGarbageCollection({ collector: () => { collections++; }, afterBytes: 4000 });
    const small = zeros([100]); // 400 bytes
    const dropped = [];
    for (let i = 0; i < 8; i++) dropped.push(zeros([100])); // 3,200 more, never disposed: 3,600 in all
    expect(collections).toBe(0);
    dropped.push(zeros([100])); // 4,000
    expect(collections).toBe(1);
    let macrotaskRan = false;
    setTimeout(() => { macrotaskRan = true; }, 0);
    await small.data(); // the read after a collection lets timers (and finalizers) run
    expect(macrotaskRan).toBe(true);
    const last = zeros([100]);
    expect(collections).toBe(1);
    for (const tensor of [small, ...dropped, last]) tensor.dispose();
  });

  it('skips the collection while less than half of what was allocated since the last one is unreleased', () => {
    let collections = 0;
    configureGarbageCollection({ collector: () => { collections++; }, afterBytes: 4000 });
    expect(memoryStats().bytes).toBe(0); // so every count runs to 4,000 bytes
    for (let i = 0; i < 100; i++) zeros([100]).dispose(); // 40,000 bytes, each released at once
    for (let i = 0; i < 100; i++) scope(() => { zeros([100]); });
    const step = Array.from({ length: 3 }, () => zeros([100])); // 1,200 held, as a step holds its activations
    for (let i = 0; i < 97; i++) zeros([100]).dispose(); // at each 4,000 allocated, at most 1,600 unreleased
    expect(collections).toBe(0);
    for (const tensor of step) tensor.dispose();
    const kept = Array.from({ length: 4 }, () => zeros([100]));
    for (let i = 0; i < 6; i++) zeros([100]).dispose(); // at 4,000 allocated, 2,000 unreleased: half
    expect(collections).toBe(1);
    // Released after the collection, they offset what the next step holds, as a loop's steps do.
    for (const tensor of kept) tensor.dispose();
    const held = Array.from({ length: 5 }, () => zeros([100])); // 2,000 held, 1,600 of them in place of `kept`
    for (let i = 0; i < 5; i++) zeros([100]).dispose(); // at 4,000 allocated, 800 unreleased
    expect(collections).toBe(1);
    // Not beyond the count in which they were released: it ends no lower than zero.
    for (const tensor of held) tensor.dispose();
    for (let i = 0; i < 10; i++) zeros([100]).dispose();
    expect(collections).toBe(1);
    const unreleased = Array.from({ length: 6 }, () => zeros([100])); // 2,400
    for (let i = 0; i < 3; i++) zeros([100]).dispose();
    expect(collections).toBe(1);
    zeros([100]).dispose(); // 4,000 since the last count ended
    expect(collections).toBe(2);
    for (const tensor of unreleased) tensor.dispose();
  });

  it('collects once 4,096 buffers are unreleased, however few their bytes, or half as many as were live at the last collection', () => {
    let collections = 0;
    configureGarbageCollection({ collector: () => { collections++; }, afterBytes: 2 ** 30 });
    const small = Array.from({ length: 4094 }, () => zeros([1])); // 16,376 bytes, far below the byte count
    for (let i = 0; i < 1000; i++) zeros([1]).dispose(); // each released at once: 4,095 unreleased at most
    small.push(zeros([1]));
    expect(collections).toBe(0);
    small.push(zeros([1])); // the 4,096th unreleased buffer
    expect(collections).toBe(1);
    // 4,096 were live at it (half of them 2,048): the next waits for 4,096 more unreleased.
    const more = Array.from({ length: 4095 }, () => zeros([1]));
    expect(collections).toBe(1);
    more.push(zeros([1]));
    expect(collections).toBe(2);
    // 8,192 were live at that one; releasing 4,096 of them offsets as many new ones.
    for (const tensor of small) tensor.dispose();
    const next = Array.from({ length: 4096 + 4095 }, () => zeros([1]));
    expect(collections).toBe(2);
    next.push(zeros([1]));
    expect(collections).toBe(3);
    // 12,288 were live at that one: the next waits for 6,144 unreleased.
    const last = Array.from({ length: 6143 }, () => zeros([1]));
    expect(collections).toBe(3);
    last.push(zeros([1]));
    expect(collections).toBe(4);
    for (const tensor of [...more, ...next, ...last]) tensor.dispose();
  });

  it('does nothing with the collector turned off', () => {
    configureGarbageCollection({ collector: null, afterBytes: 1 });
    expect(() => zeros([1000]).dispose()).not.toThrow();
  });
});
