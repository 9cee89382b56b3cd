import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCpuBackend } from '@fathom/core/backend';
import { runConformance } from '@fathom/core/testing';
import { lenetLosses } from '../src/lenet-steps.js';
import { expectAllPassed, expectLossesClose, openPage, type BrowserPage } from './browser-page.js';
import { cannotRun } from '@fathom/chromium';

const suite = 'webgpu in Chromium';

if (inject('noChromium')) {
  describe(suite, () => cannotRun({ it }, suite, inject('noChromium')));
} else {
  // Asked before the cases are registered, so a missing adapter is one clear (CI: failing) case.
  const probe = await openPage(true);
  const missing = await probe.webgpuMissing();
  if (missing) {
    await probe.close();
    describe(suite, () => cannotRun({ it }, suite, `no WebGPU adapter in Chromium: ${missing}`));
  } else {
    describe(suite, () => {
      let page: BrowserPage;
      beforeAll(() => {
        page = probe;
      });
      afterAll(async () => page?.close());

      it('passes the conformance kit', async () => {
        const result = await page.run({ suite: 'kit', device: 'webgpu' });
        expect(result.facts.adapter).toBeTruthy();
        expectAllPassed(result, (harness) => runConformance({ backend: () => createCpuBackend(), harness }), page);
      });

      it('serves a LabeledTensorDataset whose labels are on the GPU through a DataLoader', async () => {
        const labels = [3, 1, 4, 1, 5, 9, 2];
        const result = await page.run({ suite: 'dataset', device: 'webgpu', labels, batchSize: 3 });
        expect(result.batches).toEqual([labels.slice(0, 3), labels.slice(3, 6), labels.slice(6)]);
      });

      it("trains LeNet-5 with Node's losses", async () => {
        const result = await page.run({ suite: 'lenet', device: 'webgpu' });
        expectLossesClose(result.losses, await lenetLosses('cpu'), 'webgpu', page);
      });
    });
  }
}
