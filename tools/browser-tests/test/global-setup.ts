import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type Browser } from 'puppeteer-core';
import type { TestProject } from 'vitest/node';
import { bundlePages } from './bundle-pages.js';
import { CHROMIUM_ARGS, chromiumOrReason } from '@fathom/chromium';
import { serveStatic, type StaticServer } from './static-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The bundle's origin with COOP/COEP headers (cross-origin isolated: threads). */
    isolatedOrigin: string;
    /** The same files from another port, without them (one wasm thread). */
    plainOrigin: string;
    /** Chromium's DevTools endpoint, or '' when there is none. */
    browserEndpoint: string;
    /** Why there is no Chromium, or '' when there is one. */
    noChromium: string;
    /** The bundle's folder and what esbuild said about it (JSON of BundledPages). */
    bundle: string;
  }
}

/**
 * vitest globalSetup: one bundle, two servers and one Chromium for every
 * test file (files run one after another: vitest.config.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'fathom-browser-tests-'));
  const bundle = await bundlePages(join(dir, 'www'));
  const servers: StaticServer[] = [await serveStatic(bundle.dir, true), await serveStatic(bundle.dir, false)];
  project.provide('isolatedOrigin', servers[0].origin);
  project.provide('plainOrigin', servers[1].origin);
  project.provide('bundle', JSON.stringify(bundle));
  const chromium = chromiumOrReason();
  let browser: Browser | undefined;
  if ('reason' in chromium) {
    project.provide('browserEndpoint', '');
    project.provide('noChromium', chromium.reason);
  } else {
    browser = await launch({ executablePath: chromium.executablePath, args: CHROMIUM_ARGS, headless: true, protocolTimeout: 600_000 });
    project.provide('browserEndpoint', browser.wsEndpoint());
    project.provide('noChromium', '');
  }
  return async () => {
    await browser?.close();
    await Promise.all(servers.map((server) => server.close()));
    await rm(dir, { recursive: true, force: true });
  };
}
