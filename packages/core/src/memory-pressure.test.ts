import { afterEach, describe, expect, it } from 'vitest';
import { configureGarbageCollection } from './memory-pressure.js';
import { memoryStats } from './memory.js';
import { zeros } from './ops/creation.js';

describe('collection under memory pressure', () => {
  afterEach(() => configureGarbageCollection({ collector: undefined, afterBytes: 256 * 2 ** 20 }));

  it('runs the collector once as many bytes have been allocated as asked, and the next read yields a macrotask', async () => {
    let collections = 0;
    configureGarbageCollection({ collector: () => { collections++; }, afterBytes: 4000 });
    const small = zeros([100]); // 400 bytes
    expect(collections).toBe(0);
    for (let i = 0; i < 9; i++) zeros([100]).dispose(); // 3,600 more: 4,000 in all
    expect(collections).toBe(1);
    let macrotaskRan = false;
    setTimeout(() => { macrotaskRan = true; }, 0);
    await small.data(); // the read after a collection lets timers (and finalizers) run
    expect(macrotaskRan).toBe(true);
    zeros([100]).dispose();
    expect(collections).toBe(1);
    small.dispose();
  });

  // 400-byte tensors, a collection asked for every 4,000 bytes.
  it('collects once in a stretch that never yields while live bytes hold steady, and again after a task has run', async () => {
    let collections = 0;
    configureGarbageCollection({ collector: () => { collections++; }, afterBytes: 4000 });
    for (let i = 0; i < 100; i++) zeros([100]).dispose(); // 40,000 bytes, all released at once
    // Nothing the first collection found can be returned before a task runs: the rest are skipped.
    expect(collections).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    zeros([100]).dispose(); // churn is past the distance: this allocation collects
    expect(collections).toBe(2);
  });

  it('collects in a stretch that never yields once live bytes have grown by the distance', () => {
    expect(memoryStats('cpu').bytes).toBe(0); // so that the distance is afterBytes, not the live bytes
    let collections = 0;
    configureGarbageCollection({ collector: () => { collections++; }, afterBytes: 4000 });
    const held = [];
    for (let i = 0; i < 10; i++) held.push(zeros([100])); // 4,000 bytes more live
    expect(collections).toBe(1);
    // The collection saw the tenth tensor: live must grow by 4,000 bytes (ten more) before the next.
    for (let i = 0; i < 9; i++) held.push(zeros([100]));
    expect(collections).toBe(1);
    held.push(zeros([100]));
    expect(collections).toBe(2);
    for (const tensor of held) tensor.dispose();
  });

  it('does nothing with the collector turned off', () => {
    configureGarbageCollection({ collector: null, afterBytes: 1 });
    expect(() => zeros([1000]).dispose()).not.toThrow();
  });
});
