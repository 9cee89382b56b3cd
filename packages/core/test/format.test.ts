import { describe, expect, it } from 'vitest';
import { arange, Generator, manualSeed, randn, tensor, zeros } from '../src/index.js';

describe('toString prints like PyTorch', () => {
  it('matches PyTorch for small tensors', () => {
    // Strings copied from PyTorch 1.13's repr of the same tensors.
    expect(tensor([[1, 2], [3, 4]]).toString()).toBe('tensor([[1., 2.],\n        [3., 4.]])');
    expect(tensor([0.5, -1.25]).toString()).toBe('tensor([ 0.5000, -1.2500])');
    expect(tensor([true, false]).toString()).toBe('tensor([ True, False])');
    expect(tensor(3.5).toString()).toBe('tensor(3.5000)');
    expect(arange(3).toString()).toBe('tensor([0, 1, 2], dtype=int32)');
    expect(zeros([0, 2]).toString()).toBe('tensor([], size=(0, 2))');
    expect(tensor([1, NaN, Infinity]).toString()).toBe('tensor([1., nan, inf])');
    expect(tensor([1e-5, 1000]).toString()).toBe('tensor([1.0000e-05, 1.0000e+03])');
  });

  it('elides the middle of large tensors', () => {
    const text = arange(2000).toString();
    expect(text).toBe('tensor([   0,    1,    2,  ..., 1997, 1998, 1999], dtype=int32)');
  });
});

describe('seeded generator', () => {
  it('repeats a stream from the same seed and from a saved state', async () => {
    manualSeed(42);
    const a = await randn([5]).data();
    manualSeed(42);
    const b = await randn([5]).data();
    expect(Array.from(b)).toEqual(Array.from(a));
    const g = new Generator(7);
    randn([3], { generator: g });
    const state = g.getState();
    const next = await randn([4], { generator: g }).data();
    g.setState(state);
    expect(Array.from(await randn([4], { generator: g }).data())).toEqual(Array.from(next));
  });

  it('splits one draw the same way as two draws of its halves', async () => {
    const whole = await randn([6], { generator: new Generator(3) }).data();
    const g = new Generator(3);
    const first = await randn([2], { generator: g }).data();
    const rest = await randn([4], { generator: g }).data();
    expect([...first, ...rest]).toEqual(Array.from(whole));
  });
});
