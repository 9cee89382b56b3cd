import { connect, type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { cannotRun } from '@fathom/chromium';
import { assertClose, ref, toleranceFor } from '@fathom/core/testing';
import { CaseCollector } from '../src/case-collector.js';
import { PAGE_API, type PageApi, type PageJob, type PageResult } from '../src/jobs.js';

/** A page of the bundle in the shared Chromium, with everything it logged. */
export interface BrowserPage {
  /** Runs a job in the page (PageApi.run) and returns its answer. */
  run(job: PageJob): Promise<PageResult>;
  /** Why the page has no WebGPU adapter, or null. */
  webgpuMissing(): Promise<string | null>;
  /** The console messages, page errors and failed requests so far. */
  readonly log: readonly string[];
  close(): Promise<void>;
}

/** Opens the bundle's page on the isolated (COOP/COEP) or the plain origin of global-setup.ts. */
export async function openPage(isolated: boolean): Promise<BrowserPage> {
  const browser: Browser = await connect({ browserWSEndpoint: inject('browserEndpoint'), protocolTimeout: 600_000 });
  const page: Page = await browser.newPage();
  const log: string[] = [];
  page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => log.push(`page error: ${String(error)}`));
  page.on('requestfailed', (request) => log.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('response', (response) => {
    if (!response.ok()) log.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  const origin = inject(isolated ? 'isolatedOrigin' : 'plainOrigin');
  await page.goto(`${origin}/`, { waitUntil: 'load' });
  await page.waitForFunction((name) => name in globalThis, {}, PAGE_API);
  const call = <T>(method: keyof PageApi, job?: PageJob): Promise<T> =>
    page.evaluate(
      (name, which, argument) => (globalThis as unknown as Record<string, Record<string, (job?: PageJob) => Promise<T>>>)[name][which](argument),
      PAGE_API, method, job,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- browser console ---\n${log.join('\n')}`);
    });
  return {
    run: (job) => call<PageResult>('run', job),
    webgpuMissing: () => call<string | null>('webgpuMissing'),
    log,
    close: async () => {
      await page.close();
      await browser.disconnect();
    },
  };
}

/**
 * Declares `suite` over one page of the bundle (cross-origin isolated or
 * plain), opened before its tests and closed after them; without Chromium,
 * the one stand-in case of `cannotRun` instead. `tests` reaches the page
 * through the getter it is given.
 */
export function describeInPage(suite: string, isolated: boolean, tests: (page: () => BrowserPage) => void): void {
  const noChromium = inject('noChromium');
  if (noChromium) {
    describe(suite, () => cannotRun({ it }, suite, noChromium));
    return;
  }
  describe(suite, () => {
    let page: BrowserPage | undefined;
    beforeAll(async () => {
      page = await openPage(isolated);
    });
    afterAll(async () => page?.close());
    tests(() => page as BrowserPage);
  });
}

/**
 * Fails, with the failing cases and the browser's console, unless the page
 * ran exactly `expected` cases (the names the same kit registers in Node)
 * and all of them passed.
 */
export function expectAllPassed(result: PageResult, expected: (collector: CaseCollector) => void, page: BrowserPage): void {
  const collector = new CaseCollector();
  expected(collector);
  const names = collector.caseNames();
  const ran = (result.cases ?? []).map((c) => c.name);
  const failed = (result.cases ?? []).filter((c) => c.error !== undefined);
  const problems: string[] = [];
  const missing = names.filter((name) => !ran.includes(name));
  if (names.length === 0) problems.push('the kit registered no cases in Node');
  if (missing.length > 0) problems.push(`${missing.length} cases never ran in the browser, e.g. ${missing.slice(0, 5).join('; ')}`);
  for (const c of failed) problems.push(`FAIL ${c.name}\n  ${c.error?.replaceAll('\n', '\n  ')}`);
  if (problems.length > 0) {
    throw new Error(`${failed.length} of ${ran.length} cases failed in Chromium on ${JSON.stringify(result.facts)}:\n${problems.join('\n')}\n--- browser console ---\n${page.log.join('\n')}`);
  }
}

/** The browser's losses against Node's at the kit's T3 tolerance for the device (reductions, conv, matmul). */
export function expectLossesClose(browser: readonly number[] | undefined, node: readonly number[], device: string, page: BrowserPage): void {
  if (!browser) throw new Error(`the page returned no losses\n--- browser console ---\n${page.log.join('\n')}`);
  assertClose(
    { shape: [browser.length], data: Float32Array.from(browser), dtype: 'float32' },
    ref([node.length], node),
    toleranceFor(device, 'T3'),
    `LeNet-5 losses in Chromium on ${device} against Node's on cpu (${browser.join(', ')} vs ${node.join(', ')})`,
  );
}
