import { afterEach, describe, expect, it } from 'vitest';
import { configureGarbageCollection } from './memory-pressure.js';
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
  });

  it('does nothing with the collector turned off', () => {
    configureGarbageCollection({ collector: null, afterBytes: 1 });
    expect(() => zeros([1000]).dispose()).not.toThrow();
  });
});
