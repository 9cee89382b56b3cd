import { describe, expect, it } from 'vitest';
import { matmul, randn, zeros, type Tensor } from '@fathom/core';
import { toDot, toSvg, useAutograd } from '../src/index.js';

useAutograd();

function mlp() {
  const w1 = randn([4, 8]).setRequiresGrad();
  const b1 = zeros([8]).setRequiresGrad();
  const w2 = randn([8, 2]).setRequiresGrad();
  const x = randn([3, 4]);
  const loss = matmul(matmul(x, w1).add(b1).relu(), w2).logSoftmax(1).mean();
  return { loss, params: { 'fc1.weight': w1, 'fc1.bias': b1, 'fc2.weight': w2 } };
}

describe('toDot', () => {
  it('names ops, shapes and leaves of an MLP', () => {
    const { loss, params } = mlp();
    const dot = toDot(loss, { names: params });
    expect(dot).toMatch(/^digraph fathom \{/);
    for (const label of ['matmul\\n[3,8]', 'relu\\n[3,8]', 'fc1.weight\\n[4,8]', 'fc1.bias\\n[8]', 'fc2.weight\\n[8,2]', 'mean\\n[]']) {
      expect(dot).toContain(label.replace('mean', 'div'));
    }
    // Each leaf appears once however often it is used.
    expect(dot.match(/fc1\.weight/g)).toHaveLength(1);
  });

  it('draws a 5-step unrolled RNN cell with the shared weights used five times', async () => {
    const wx = randn([3, 4]).setRequiresGrad();
    const wh = randn([4, 4]).setRequiresGrad();
    let h: Tensor = zeros([1, 4]);
    for (let step = 0; step < 5; step++) h = matmul(randn([1, 3]), wx).add(matmul(h, wh)).tanh();
    const dot = toDot(h.sum(), { names: { W_xh: wx, W_hh: wh }, direction: 'LR' });
    expect(dot.match(/label="tanh/g)).toHaveLength(5);
    expect(dot.match(/leaf\d+ -> /g)!.length).toBe(10); // each weight feeds all five steps
    const svg = await toSvg(dot);
    expect(svg).toContain('<svg');
    expect(svg).toContain('W_hh');
  });

  it('refuses a tensor without a graph', () => {
    expect(() => toDot(randn([2]))).toThrow(/has no recorded graph/);
  });
});
