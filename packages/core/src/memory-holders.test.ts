import { describe, expect, it } from 'vitest';
import { describeMemoryHolders, formatBytes } from './backend-entry.js';
import { memoryHolders, memoryStats, ones, scope, zeros } from './index.js';

describe('memoryHolders', () => {
  it('groups live storages by the op that made them, largest first; views add nothing and released storages leave', () => {
    const baseline = new Map(memoryHolders('cpu', 100).map((h) => [h.op, h]));
    const more = (op: string): { storages: number; bytes: number } => {
      const now = memoryHolders('cpu', 100).find((h) => h.op === op);
      const before = baseline.get(op);
      return { storages: (now?.storages ?? 0) - (before?.storages ?? 0), bytes: (now?.bytes ?? 0) - (before?.bytes ?? 0) };
    };
    const big = zeros([1000]); // 4,000 bytes, made by 'full'
    const sum = big.add(ones([1000], { dtype: 'float64' })); // float64: 8,000 bytes by 'add', and 'full' again for the ones
    const view = sum.reshape(10, 100); // a view: no new storage
    expect(more('add')).toEqual({ storages: 1, bytes: 8000 });
    expect(more('full')).toEqual({ storages: 2, bytes: 4000 + 8000 });
    expect(more('reshape')).toEqual({ storages: 0, bytes: 0 });
    scope(() => { big.mul(2); }); // released at the scope's end
    expect(more('mul')).toEqual({ storages: 0, bytes: 0 });
    const holders = memoryHolders('cpu', 100);
    holders.slice(1).forEach((h, i) => expect(h.bytes).toBeLessThanOrEqual(holders[i].bytes));
    view.dispose();
    sum.dispose();
    expect(more('add')).toEqual({ storages: 0, bytes: 0 });
    big.dispose();
  });

  it('describes them in one sentence for out-of-memory errors', () => {
    const held = zeros([3 * 2 ** 18]); // 3 MiB
    const { tensors, bytes, storages } = memoryStats('cpu');
    const text = describeMemoryHolders('cpu');
    expect(text.startsWith(`${tensors.toLocaleString('en-US')} live tensors hold ${formatBytes(bytes)} in ${storages} storages; the largest holders by the op that made them: full `)).toBe(true);
    held.dispose();
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 2 ** 20)).toBe('3.0 MiB');
    expect(formatBytes(1.2 * 2 ** 30)).toBe('1.20 GiB');
  });
});
