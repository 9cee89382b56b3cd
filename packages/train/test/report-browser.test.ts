import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../src/report/write-report.js';
import { cannotRun, CHROMIUM_ARGS, chromiumOrReason } from '@fathom/chromium';
import { fixtureReport } from './report-fixture.js';

const chromium = chromiumOrReason();

/** What the page says about itself once loaded. */
interface PageCheck {
  readonly title: string;
  readonly svgs: { readonly width: number; readonly height: number; readonly marks: number; readonly clipped: number }[];
  readonly images: { readonly complete: boolean; readonly naturalWidth: number; readonly width: number }[];
  readonly confusionCells: number;
  readonly scripts: number;
  readonly hostileText: boolean;
}

/** The DOM members the page check uses. */
interface PageElement {
  readonly textContent: string | null;
  getBoundingClientRect(): { readonly width: number; readonly height: number };
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
interface PageDocument {
  readonly title: string;
  readonly images: ArrayLike<PageElement & { readonly complete: boolean; readonly naturalWidth: number }>;
  readonly scripts: ArrayLike<unknown>;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}

if ('reason' in chromium) {
  describe('report.html in Chromium', () => cannotRun({ it }, 'report.html in Chromium', chromium.reason));
} else {
  describe('report.html in Chromium', () => {
    let dir: string;
    let browser: Browser;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fathom-report-browser-'));
      browser = await launch({
        executablePath: chromium.executablePath,
        args: CHROMIUM_ARGS,
        headless: true,
      });
    });

    afterAll(async () => {
      await browser?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('renders every plot, loads every image, logs no error and requests nothing but itself', async () => {
      const report = await fixtureReport();
      const path = await writeReport(dir, report);
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warn') errors.push(`console.${message.type()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`page error: ${String(error)}`));
      page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
      page.on('request', (request) => requests.push(request.url()));
      const response = await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
      expect(response?.ok() ?? true).toBe(true);
      await page.setViewport({ width: 1200, height: 900 });

      const check = await page.evaluate((): PageCheck => {
        // Runs in the page; typed by the few DOM members it uses (no DOM lib here).
        const document = (globalThis as unknown as { document: PageDocument }).document;
        return {
          title: document.title,
          svgs: Array.from(document.querySelectorAll('figure.plot > svg'), (svg) => {
            const box = svg.getBoundingClientRect();
            // A clip-path must resolve to a clipPath in the same chart, not to nothing or another chart's.
            const clipped = Array.from(svg.querySelectorAll('[clip-path]')).filter((element) => {
              const id = /url\(#([^)]+)\)/.exec(element.getAttribute('clip-path') ?? '')?.[1];
              return id !== undefined && svg.querySelector(`clipPath[id="${id}"]`) !== null;
            }).length;
            return { width: box.width, height: box.height, marks: svg.querySelectorAll('path, rect, text').length, clipped };
          }),
          images: Array.from(document.images, (image) => ({ complete: image.complete, naturalWidth: image.naturalWidth, width: image.getBoundingClientRect().width })),
          confusionCells: document.querySelectorAll('table.confusion tbody td').length,
          scripts: document.scripts.length,
          hostileText: Array.from(document.querySelectorAll('th')).some((th) => th.textContent === '<script>alert("x")</script>'),
        };
      });

      expect(errors).toEqual([]);
      expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
      expect(check.title).toBe(report.title);
      expect(check.svgs).toHaveLength(report.plots.length);
      for (const svg of check.svgs) {
        expect(svg.width).toBeGreaterThan(100);
        expect(svg.height).toBeGreaterThan(100);
        expect(svg.marks).toBeGreaterThan(10);
      }
      expect(check.svgs.reduce((sum, svg) => sum + svg.clipped, 0)).toBeGreaterThan(0);
      expect(check.images).toHaveLength(report.misclassified!.length);
      for (const image of check.images) {
        expect(image.complete).toBe(true);
        expect(image.naturalWidth).toBeGreaterThan(0);
        expect(image.width).toBeGreaterThan(0);
      }
      // 4 classes: 4 × 4 counts and a recall per row.
      expect(check.confusionCells).toBe(20);
      // The hostile class name is shown as text, never run.
      expect(check.scripts).toBe(0);
      expect(check.hostileText).toBe(true);
      await page.close();
    });
  });
}
