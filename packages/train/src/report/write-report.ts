import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@fathom/io/node';
import { renderReportHtml } from './report-html.js';
import type { RunReport } from './run-report.js';

/**
 * Writes a run's report as `<dir>/report.html` (`dir` is created if
 * missing): one self-contained page with the run's config, summary, plots,
 * confusion matrix and misclassified images, that opens offline in any
 * browser (see {@link renderReportHtml}). The file is written atomically, so
 * a reader never sees half a report. Returns its path.
 *
 * ```ts
 * await writeReport('runs/lenet', { title: 'LeNet-5 on MNIST', config, summary: { 'val top-1': '99.0%' }, plots: [{ title: 'Loss', svg }] });
 * ```
 */
export async function writeReport(dir: string, report: RunReport): Promise<string> {
  const html = await renderReportHtml(report);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'report.html');
  await writeFileAtomic(path, new TextEncoder().encode(html));
  return path;
}
