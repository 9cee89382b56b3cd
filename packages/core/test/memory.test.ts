import { describe, expect, it, vi } from 'vitest';
import { isFathomError, keep, matmul, memoryStats, randn, scope, scopeAsync, tensor, zeros } from '../src/index.js';

describe('release model', () => {
  it('releases what a scope created except what it returns', () => {
    const before = memoryStats();
    const kept = scope(() => {
      const a = randn([8, 8]);
      const b = a.mul(2).add(1);
      return { result: b.relu(), list: [b.sum()] };
    });
    const during = memoryStats();
    expect(during.tensors - before.tensors).toBe(2);
    expect(during.bytes - before.bytes).toBe(8 * 8 * 4 + 4);
    kept.result.dispose();
    kept.list[0].dispose();
    expect(memoryStats()).toEqual(before);
  });

  it('moves returned tensors to the enclosing scope', () => {
    const before = memoryStats();
    scope(() => {
      const inner = scope(() => randn([4]).exp());
      expect(inner.isReleased).toBe(false);
    });
    expect(memoryStats()).toEqual(before);
  });

  it('returns read-back values without listing them in search of tensors', () => {
    const values = vi.spyOn(Object, 'values');
    try {
      const read = scope(() => randn([1000]).mul(2).dataSync());
      const nested = scope(() => ({ loss: randn([10]).sum().dataSync(), raw: new ArrayBuffer(8) }));
      expect(read).toHaveLength(1000);
      expect(nested.loss).toHaveLength(1);
      // Object.values of a typed array lists every element: a million-value read took seconds.
      expect(values.mock.calls.filter(([arg]) => ArrayBuffer.isView(arg) || arg instanceof ArrayBuffer)).toEqual([]);
    } finally {
      values.mockRestore();
    }
  });

  it('keep() exempts a tensor from every enclosing scope', () => {
    const before = memoryStats();
    const parameter = scope(() => scope(() => keep(zeros([3]))));
    expect(parameter.isReleased).toBe(false);
    parameter.dispose();
    expect(memoryStats()).toEqual(before);
  });

  it('releases on a throw inside a scope', () => {
    const before = memoryStats();
    expect(() => scope(() => {
      randn([5]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(memoryStats()).toEqual(before);
  });

  it('scopeAsync releases after the awaited body', async () => {
    const before = memoryStats();
    const value = await scopeAsync(async () => randn([16]).square().sum().item());
    expect(value).toBeGreaterThan(0);
    expect(memoryStats()).toEqual(before);
  });

  it('keeps storage alive while a view uses it', async () => {
    const base = tensor([[1, 2, 3], [4, 5, 6]]);
    const transposed = base.transpose(0, 1);
    const column = transposed.select(0, 1); // [2, 5]
    base.dispose();
    transposed.dispose();
    expect(await column.toArray()).toEqual([2, 5]);
    const before = memoryStats();
    column.dispose();
    expect(memoryStats().storages).toBe(before.storages - 1);
  });

  it('says when and why a released tensor was released', () => {
    const x = scope(() => {
      const inner = randn([2, 3]);
      return { inner, out: inner.sum() };
    });
    x.out.dispose();
    const doomed = scope(() => { const t = randn([2, 3]); return () => t; })();
    expect(() => doomed.add(1)).toThrow(/made by 'randn' was released at the end of the scope\(\) that created it/);
    x.inner.dispose();
    try {
      x.inner.exp();
      expect.unreachable();
    } catch (error) {
      expect(isFathomError(error, 'ReleasedTensorError')).toBe(true);
      expect((error as Error).message).toContain('[2,3] float32');
      expect((error as Error).message).toContain('by dispose()');
    }
  });

  it('dispose() twice is harmless and Symbol.dispose releases', () => {
    const before = memoryStats();
    {
      using t = randn([3]);
      t.dispose();
    }
    expect(memoryStats()).toEqual(before);
  });

  it('stays flat over 5,000 steps of a training-shaped loop with one scope per step', () => {
    const w = keep(randn([16, 4]));
    const before = memoryStats();
    let last = 0;
    for (let step = 0; step < 5000; step++) {
      scope(() => {
        const x = randn([8, 16]);
        const logits = matmul(x, w).logSoftmax(1);
        const loss = logits.mean().neg();
        if (step % 1000 === 999) last = loss.dataSync()[0];
      });
      if (step === 10 || step === 4999) expect(memoryStats()).toEqual(before);
    }
    expect(Number.isFinite(last)).toBe(true);
    w.dispose();
  });
});

describe('garbage-collector backstop', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  const settle = async (done: () => boolean) => {
    for (let attempt = 0; attempt < 100 && !done(); attempt++) {
      gc!();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  // Earlier tests leave unreleased garbage too: settle it first for a clean baseline.
  const baseline = async () => {
    expect(gc, 'vitest runs core tests with --expose-gc').toBeTypeOf('function');
    let previous = -1;
    await settle(() => {
      const now = memoryStats().storages;
      const stable = now === previous;
      previous = now;
      return stable;
    });
    return memoryStats();
  };

  it('returns the storage of tensors nobody released once they are collected', async () => {
    const before = await baseline();
    (() => {
      for (let i = 0; i < 100; i++) randn([256]);
    })();
    expect(memoryStats().storages).toBe(before.storages + 100);
    await settle(() => memoryStats().storages === before.storages);
    expect(memoryStats()).toEqual(before);
  });

  // A scope holds its tensors, so they are handed to the collector only when
  // they leave every scope: returned from the outermost one, or kept.
  it('collects tensors that left their scopes and were then dropped', async () => {
    const before = await baseline();
    (() => {
      for (let i = 0; i < 50; i++) scope(() => scope(() => randn([256]).mul(2)));
      scope(() => {
        for (let i = 0; i < 50; i++) keep(randn([256]));
      });
    })();
    expect(memoryStats().storages).toBe(before.storages + 100);
    await settle(() => memoryStats().storages === before.storages);
    expect(memoryStats()).toEqual(before);
  });
});
