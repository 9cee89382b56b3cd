import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/report/html-escape.js';
import { imageToPngDataUrl } from '../src/report/image-data-url.js';
import { renderReportHtml } from '../src/report/report-html.js';
import { writeReport } from '../src/report/write-report.js';
import { CLASSES, fixtureReport, ringImage } from './report-fixture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fathom-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReport', () => {
  it('writes one self-contained report.html, atomically', async () => {
    const report = await fixtureReport();
    const path = await writeReport(join(dir, 'run'), report);
    expect(path).toBe(join(dir, 'run', 'report.html'));
    expect(await readdir(join(dir, 'run'))).toEqual(['report.html']); // no temp file left
    const html = await readFile(path, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // Nothing external: the only URLs are SVG namespaces and data: images.
    const urls = [...html.matchAll(/(?:src|href)="([^"]*)"|url\(([^)]*)\)/g)].map((match) => match[1] ?? match[2]);
    for (const url of urls) expect(url).toMatch(/^(data:image\/png;base64,|#plot\d+-\d+$)/);
    expect(html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]*"/g, '')).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link|<script/);
  });

  it('shows the config, the summary, every plot, the confusion matrix and the images', async () => {
    const report = await fixtureReport();
    const html = await renderReportHtml(report);
    expect(html).toContain('<title>LeNet &lt;on&gt; &quot;MNIST&quot; &amp; friends</title>');
    for (const key of ['model', 'optimizer.name', 'optimizer.lr', 'optimizer.momentum', 'epochs', 'augment']) expect(html).toContain(`<th scope="row">${key}</th>`);
    expect(html).toContain('<td>[&quot;crop&quot;,&quot;&lt;flip&gt;&quot;]</td>');
    expect(html).toContain('<div class="value">0.3333</div>');
    expect(html).toContain('<div class="value">12,345</div>');
    expect(html.match(/<figure class="plot">/g)).toHaveLength(6);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(6);
    expect(html).toContain('<h3>Confusion &lt;matrix&gt;</h3>');
    // Each plot's clip paths are its own.
    const ids = [...html.matchAll(/\sid="(plot\d+-\d+)"/g)].map((match) => match[1]);
    expect(ids.length).toBeGreaterThan(6);
    expect(new Set(ids).size).toBe(ids.length);
    // The confusion table: a header per class, every count, recall per row.
    expect(html).toContain('<th scope="col">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</th>');
    expect(html).toContain('112 of 126 correct (88.9%)');
    expect(html).toContain('<td>90.9%</td>'); // 30 / 33
    expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(4);
    expect(html).toContain('width="84" height="84"'); // 28 px drawn 3×
    expect(html).toContain('73.4%');
  });

  it('escapes every piece of text, so class names and config cannot inject markup', async () => {
    const html = await renderReportHtml(await fixtureReport());
    expect(html).not.toContain(CLASSES[2]);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<flip>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('gives the same bytes for the same report', async () => {
    expect(await renderReportHtml(await fixtureReport())).toBe(await renderReportHtml(await fixtureReport()));
  });

  it('leaves out the sections it has nothing for', async () => {
    const html = await renderReportHtml({ title: 'empty', config: {}, summary: {}, plots: [] });
    expect(html).not.toMatch(/id="(summary|config|plots|confusion|misclassified)"/);
    expect(html).toContain('<h1>empty</h1>');
  });

  it('rejects bad images, confidences, matrices and plots', async () => {
    const base = { title: 't', config: {}, summary: {}, plots: [] };
    const example = { label: 'a', predicted: 'b', confidence: 0.5 };
    await expect(renderReportHtml({ ...base, misclassified: [{ ...example, image: { width: 2, height: 2, channels: 1, data: new Uint8Array(3) } }] })).rejects.toThrow(/needs 4 bytes, got 3/);
    await expect(renderReportHtml({ ...base, misclassified: [{ ...example, image: new Uint8Array([1, 2, 3]) }] })).rejects.toThrow(/not a PNG/);
    await expect(renderReportHtml({ ...base, misclassified: [{ ...example, image: ringImage(1), confidence: 2 }] })).rejects.toThrow(/confidence/);
    await expect(renderReportHtml({ ...base, confusion: { classes: ['a', 'b'], matrix: [[1], [2]] } })).rejects.toThrow(/\[2,2\]/);
    await expect(renderReportHtml({ ...base, plots: [{ title: 'x', svg: '<div>' }] })).rejects.toThrow(/not an SVG/);
  });
});

describe('imageToPngDataUrl', () => {
  it('encodes raw pixels as a PNG that decodes back to them', async () => {
    const image = ringImage(2);
    const { url, width, height } = await imageToPngDataUrl(image);
    expect([width, height]).toEqual([28, 28]);
    const png = Buffer.from(url.slice('data:image/png;base64,'.length), 'base64');
    expect((await sharp(png).metadata()).channels).toBe(1);
    const data = await sharp(png).extractChannel(0).raw().toBuffer();
    expect(new Uint8Array(data)).toEqual(image.data);
  });
});
