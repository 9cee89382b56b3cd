import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { cannotRun, CHROMIUM_ARGS, chromiumOrReason } from '@fathom/chromium';
import { runCli } from './run-cli.js';

// The trainer's report.html, opened in headless Chromium: every plot drew,
// every misclassified digit loaded, and the page logged no error.

interface Rendered {
  readonly plots: { readonly title: string; readonly width: number; readonly height: number }[];
  readonly images: { readonly loaded: boolean; readonly width: number }[];
}

const chromium = chromiumOrReason();

describe('report.html of a training run in Chromium', () => {
  if ('reason' in chromium) {
    cannotRun({ it }, 'report.html in Chromium', chromium.reason);
    return;
  }
  const { executablePath } = chromium;
  it('shows the loss, accuracy, learning-rate, gradient-norm and confusion plots and the grid of mistakes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fathom-report-'));
    const run = await runCli(['--arch', 'lenet5', '--device', 'wasm', '--epochs', '2', '--limit', '320', '--grad-norm-every', '5', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const browser = await launch({ executablePath, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });
      const rendered = await page.evaluate((): Rendered => {
        type Box = { getBoundingClientRect(): { width: number; height: number } };
        type Element = Box & { closest(selector: string): { querySelector(selector: string): { textContent: string | null } | null } | null };
        const document = (globalThis as unknown as { document: { querySelectorAll(selector: string): ArrayLike<Element>; images: ArrayLike<Box & { complete: boolean; naturalWidth: number }> } }).document;
        return {
          plots: Array.from(document.querySelectorAll('svg')).map((svg) => {
            const box = svg.getBoundingClientRect();
            return { title: svg.closest('section, figure, div')?.querySelector('h2, h3, figcaption')?.textContent ?? '', width: box.width, height: box.height };
          }),
          images: Array.from(document.images).map((image) => ({ loaded: image.complete && image.naturalWidth > 0, width: image.naturalWidth })),
        };
      });
      expect(errors).toEqual([]);
      const titles = rendered.plots.map((plot) => plot.title).join(' | ');
      for (const title of ['Loss', 'Accuracy', 'Learning rate', 'Gradient norm per layer', 'Confusion matrix']) expect(titles).toContain(title);
      for (const plot of rendered.plots) {
        expect(plot.width, plot.title).toBeGreaterThan(100);
        expect(plot.height, plot.title).toBeGreaterThan(50);
      }
      expect(rendered.images.length).toBeGreaterThan(0);
      expect(rendered.images.every((image) => image.loaded)).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
