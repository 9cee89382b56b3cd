import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, type Browser, type Page } from 'puppeteer-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, randint, randn, softmax, tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { toleranceFor } from '@fathom/core/testing';
import { loadMnistDigits } from '@fathom/datasets/node';
import { crossEntropy } from '@fathom/layers';
import { LeNet5 } from '@fathom/models';
import { SGD } from '@fathom/optim';
import { saveCheckpoint } from '@fathom/train';
import { cannotRun, CHROMIUM_ARGS, chromiumOrReason } from '@fathom/chromium';

const root = fileURLToPath(new URL('..', import.meta.url));
const chromium = chromiumOrReason();

/** Paints 28×28 grey levels (0–255) on the page's draw pad as 10×10 blocks. */
async function paint(page: Page, grey: readonly number[]): Promise<void> {
  await page.$eval('#pad', (canvas, values) => {
    const context = (canvas as HTMLCanvasElement).getContext('2d')!;
    values.forEach((value, i) => {
      context.fillStyle = `rgb(${value},${value},${value})`;
      context.fillRect((i % 28) * 10, Math.floor(i / 28) * 10, 10, 10);
    });
  }, grey);
}

if ('reason' in chromium) {
  describe('the playground in Chromium', () => cannotRun({ it }, 'the playground in Chromium', chromium.reason));
} else {
  describe('the playground in Chromium', () => {
    let dir: string;
    let server: PreviewServer;
    let browser: Browser;
    let origin: string;
    const log: string[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fathom-playground-'));
      // The same build as `pnpm build` (vite.config.ts), into a folder of its own.
      await build({ root, logLevel: 'warn', build: { outDir: join(dir, 'dist') } });
      server = await preview({ root, logLevel: 'warn', build: { outDir: join(dir, 'dist') }, preview: { port: 0, host: '127.0.0.1' } });
      origin = server.resolvedUrls?.local[0] ?? '';
      browser = await launch({ executablePath: chromium.executablePath, args: CHROMIUM_ARGS, headless: true, protocolTimeout: 300_000 });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function open(query: string): Promise<Page> {
      const page = await browser.newPage();
      await page.setViewport({ width: 1000, height: 1400 });
      page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => log.push(`page error: ${String(error)}`));
      page.on('requestfailed', (request) => log.push(`request failed: ${request.url()}`));
      await page.goto(`${origin}?${query}`, { waitUntil: 'load' });
      await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 }).catch((error: unknown) => {
        throw new Error(`${String(error)}\n--- browser console ---\n${log.join('\n')}`);
      });
      return page;
    }

    it('picks webgpu where the browser has an adapter', async () => {
      const page = await open('digits=100');
      expect(await page.$eval('body', (body) => body.dataset.device)).toBe('webgpu');
      expect(await page.$eval('#device', (node) => node.textContent)).toMatch(/^webgpu \(/);
      await page.close();
    });

    it('trains on wasm with threads (the loss falls), predicts a digit as Node does with weights Node saved, draws the graph', async () => {
      // wasm: SwiftShader's WebGPU is too slow for tens of steps in CI.
      const page = await open('device=wasm&steps=100&reportEvery=10&digits=2000');
      expect(await page.$eval('#device', (node) => node.textContent)).toMatch(/^wasm \(2 thread/);

      await page.click('#train');
      await page.waitForFunction(() => document.body.dataset.busy === 'false' && /trained/.test(document.getElementById('status')?.textContent ?? ''), { timeout: 240_000 });
      const losses = JSON.parse(await page.$eval('#chart', (chart) => (chart as HTMLElement).dataset.losses ?? '[]')) as number[];
      expect(losses).toHaveLength(10);
      expect(losses[0]).toBeGreaterThan(1.5); // near ln 10 = 2.30 at the start
      expect(Math.min(...losses.slice(-2))).toBeLessThan(losses[0] * 0.8);
      expect(await page.$eval('#stats', (node) => node.textContent)).toMatch(/images\/s/);

      // A held-out-style digit from the mnist package, painted as 10×10 blocks.
      const digits = await loadMnistDigits({ limit: 10 });
      const pixels = Array.from((await digits.images.data()).slice(7 * 784, 8 * 784)); // digit 7
      const grey = pixels.map((value) => Math.round(255 * value));
      await paint(page, grey);

      // A click on the pad (a dot in its corner) asks the page's own model, just trained: the screenshot for the docs.
      const pad = (await page.$('#pad'))!;
      const box = (await pad.boundingBox())!;
      await page.mouse.click(box.x + 3, box.y + 3);
      await page.waitForFunction(() => document.querySelectorAll('#probabilities li').length === 10, { timeout: 60_000 });
      // Into the app's folder (the README shows it) only when asked, so a test run leaves the tree as it was.
      await page.screenshot({ path: process.env.UPDATE_SCREENSHOT ? join(root, 'playground.png') : join(dir, 'playground.png'), fullPage: true });
      const clickedBlock = await page.$eval('#pad', (canvas) => (canvas as HTMLCanvasElement).getContext('2d')!.getImageData(3, 3, 1, 1).data[0]);
      expect(clickedBlock).toBe(255); // the click drew white ink

      // A checkpoint as fathom-train writes it (saveCheckpoint: model under 'model.', optimizer state beside);
      // loading it makes the page predict the pad again.
      await paint(page, grey);
      await page.$eval('#probabilities', (list) => list.replaceChildren());
      useAutograd();
      manualSeed(11);
      const model = new LeNet5();
      const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
      crossEntropy(model.forward(randn([4, 1, 28, 28])), randint(0, 10, [4], { dtype: 'int32' })).backward();
      optimizer.step();
      const file = join(dir, 'best.safetensors');
      await saveCheckpoint(file, { model, optimizer }, { epoch: 1, step: 1 });
      const input = await page.$('input#weights-file');
      await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(file);
      await page.waitForFunction(() => document.getElementById('weights-status')?.dataset.loaded === 'best.safetensors', { timeout: 60_000 });
      expect(await page.$eval('#weights-status', (node) => node.textContent)).toBe("loaded best.safetensors (keys under 'model.')");
      await page.waitForFunction(() => document.querySelectorAll('#probabilities li').length === 10, { timeout: 60_000 });
      const shown = await page.$$eval('#probabilities li', (items) => items.map((item) => Number((item as HTMLElement).dataset.probability)));
      const predicted = Number(await page.$eval('#predicted', (node) => (node as HTMLElement).dataset.digit));

      // Node: the same weights on the same (8-bit) pixels, normalized as the page does.
      const x = tensor(grey.map((value) => (value / 255 - 0.1307) / 0.3081), { shape: [1, 1, 28, 28] });
      const expected = Array.from(await softmax(model.eval().forward(x), 1).data());
      const { rtol, atol } = toleranceFor('wasm', 'T3');
      shown.forEach((p, digit) => expect(Math.abs(p - expected[digit])).toBeLessThanOrEqual(atol + rtol * Math.abs(expected[digit])));
      expect(predicted).toBe(expected.indexOf(Math.max(...expected)));

      await page.click('#show-graph');
      await page.waitForSelector('#graph svg', { timeout: 60_000 });
      const graph = await page.$eval('#graph', (node) => node.innerHTML);
      for (const op of ['conv2d', 'maxPool2d', 'matmul']) expect(graph).toContain(op);

      expect(log.filter((line) => line.startsWith('page error') || line.startsWith('request failed'))).toEqual([]);
      await page.close();
    });
  });
}
