import { expect, it } from 'vitest';
import { createCpuBackend } from '@fathom/core/backend';
import { runConformance } from '@fathom/core/testing';
import { lenetLosses } from '../src/lenet-steps.js';
import { describeInPage, expectAllPassed, expectLossesClose } from './browser-page.js';

// The kit's case names do not depend on the backend: it is created by a factory when the cases run.
const kitCases = (harness: Parameters<typeof runConformance>[0]['harness']): void => runConformance({ backend: () => createCpuBackend(), harness });

// Node's losses once, on the reference backend.
let nodeLosses: Promise<number[]> | undefined;
const node = (): Promise<number[]> => (nodeLosses ??= lenetLosses('cpu'));

const pages = [
  { suite: 'wasm with 2 threads in Chromium (cross-origin isolated page)', isolated: true, threads: 2 },
  { suite: 'wasm with one thread in Chromium (page not isolated)', isolated: false, threads: 1 },
] as const;

for (const { suite, isolated, threads } of pages) {
  describeInPage(suite, isolated, (page) => {
    it('passes the conformance kit', async () => {
      // Threads asked for only where the page can have them; the plain page must fall back to one by itself.
      const result = await page().run({ suite: 'kit', device: 'wasm', ...(isolated ? { threads } : {}) });
      expectAllPassed(result, kitCases, page());
      expect(result.facts).toMatchObject({ crossOriginIsolated: isolated, threads });
    });

    it("trains LeNet-5 with Node's losses", async () => {
      const result = await page().run({ suite: 'lenet', device: 'wasm', ...(isolated ? { threads } : {}) });
      expectLossesClose(result.losses, await node(), 'wasm', page());
      expect(result.facts).toMatchObject({ crossOriginIsolated: isolated, threads });
    });
  });
}
