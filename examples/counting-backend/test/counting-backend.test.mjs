// The whole test of a backend package: the conformance kit through its one
// call, then a check that the backend's own feature — the counts — is right.
//
//   node --test test/counting-backend.test.mjs
//
// node:test needs nothing installed; the kit takes any runner's
// describe/it/beforeAll/afterAll (vitest's, jest's, mocha's, node:test's).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { matmul, registerBackend, tensor, unregisterBackend } from '@fathom/core';
import { createCpuBackend } from '@fathom/core/backend';
import { runConformance, TOLERANCES } from '@fathom/core/testing';
import { countingBackend } from '../src/counting-backend.mjs';

const backend = countingBackend();

runConformance({
  backend,
  harness: { describe, it, beforeAll: before, afterAll: after },
  // The kit gives any device but 'cpu' the looser GPU tolerances; this one
  // computes exactly as the CPU backend does, so hold it to the CPU's.
  tolerances: TOLERANCES.cpu,
});

describe('kernel counts', () => {
  it('the kit ran every kernel of the Backend interface at least once', () => {
    const counts = backend.counts();
    assert.deepEqual(Object.keys(counts).sort(), Object.keys(createCpuBackend().kernels).sort());
    const never = Object.entries(counts).filter(([, calls]) => calls === 0).map(([kernel]) => kernel);
    assert.deepEqual(never, [], `kernels the kit never called: ${never.join(', ')}`);
  });

  it('a matmul is one matmul kernel call and nothing else', async () => {
    const fresh = countingBackend({ name: 'counting-matmul' });
    registerBackend(fresh);
    try {
      const a = tensor([[1, 2], [3, 4]], { device: fresh.name }); // uploads: no kernel
      const b = tensor([[5, 6], [7, 8]], { device: fresh.name });
      const before = fresh.counts();
      const product = matmul(a, b);
      const after = fresh.counts();
      assert.equal(after.matmul, before.matmul + 1);
      for (const kernel of Object.keys(after)) {
        if (kernel !== 'matmul') assert.equal(after[kernel], before[kernel], `matmul also called '${kernel}'`);
      }
      assert.deepEqual(await product.toArray(), [[19, 22], [43, 50]]);
      for (const t of [a, b, product]) t.dispose();
    } finally {
      unregisterBackend(fresh.name);
    }
  });

  it('an add is one binary kernel call; resetCounts() starts again from zero', () => {
    const fresh = countingBackend({ name: 'counting-add' });
    registerBackend(fresh);
    try {
      const x = tensor([1, 2, 3], { device: fresh.name });
      fresh.resetCounts();
      const y = x.add(x);
      assert.equal(fresh.counts().binary, 1);
      assert.equal(Object.values(fresh.counts()).reduce((sum, calls) => sum + calls, 0), 1);
      for (const t of [x, y]) t.dispose();
    } finally {
      unregisterBackend(fresh.name);
    }
  });
});
