import { expect, it } from 'vitest';
import { createCpuBackend } from '@fathom/core/backend';
import { runConformance } from '@fathom/core/testing';
import { runGradientConformance } from '@fathom/autograd/testing';
import { lenetLosses } from '../src/lenet-steps.js';
import { describeInPage, expectAllPassed, expectLossesClose } from './browser-page.js';

describeInPage('cpu in Chromium', false, (page) => {
  it('passes the conformance kit', async () => {
    const result = await page().run({ suite: 'kit', device: 'cpu' });
    expectAllPassed(result, (harness) => runConformance({ backend: () => createCpuBackend(), harness }), page());
  });

  it("passes the gradient conformance (float32 against the CPU's float64)", async () => {
    const result = await page().run({ suite: 'gradients' });
    expectAllPassed(result, (harness) => runGradientConformance({ backend: () => createCpuBackend(), harness }), page());
  });

  it("trains LeNet-5 with Node's losses", async () => {
    const [node, browser] = [await lenetLosses('cpu'), await page().run({ suite: 'lenet', device: 'cpu' })];
    expectLossesClose(browser.losses, node, 'cpu', page());
  });

  it("draws autograd's graph with Graphviz, loaded only then", async () => {
    const result = await page().run({ suite: 'graph' });
    expect(result.svg).toMatch(/^<svg|<svg /);
    for (const op of ['matmul', 'relu', 'sum']) expect(result.svg).toContain(op);
  });
});
