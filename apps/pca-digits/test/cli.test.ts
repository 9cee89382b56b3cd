import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Output } from '../src/cli.js';

/** Runs the CLI, collecting what it prints. */
async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { log: (line) => out.push(line), error: (line) => err.push(line) };
  const code = await main(argv, output);
  return { code, out, err };
}

describe('pca-digits', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fathom-pca-digits-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('analyses 500 digits, prints the tables and writes an SVG with 500 points', async () => {
    const svgPath = join(directory, 'digits.svg');
    const { code, out, err } = await run(['--limit', '500', '--svg', svgPath]);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const printed = out.join('\n');
    expect(printed).toContain('500 images [500,1,28,28]');

    // Cumulative explained variance at 2, 10 and 50 components: in (0, 1] and increasing.
    const cumulative = [...printed.matchAll(/^ {2}first (\d+) components\s+([\d.]+)%$/gm)].map((m) => [Number(m[1]), Number(m[2]) / 100]);
    expect(cumulative.map(([count]) => count)).toEqual([2, 10, 50]);
    for (const [, ratio] of cumulative) expect(ratio > 0 && ratio <= 1).toBe(true);
    for (let i = 1; i < cumulative.length; i++) expect(cumulative[i][1]).toBeGreaterThan(cumulative[i - 1][1]);

    // Per-component ratios: ten of them, decreasing, adding up to the cumulative column.
    const perComponent = [...printed.matchAll(/^ {2}PC(\d+)\s+([\d.]+)%\s+([\d.]+)%$/gm)].map((m) => [Number(m[2]), Number(m[3])]);
    expect(perComponent).toHaveLength(10);
    for (let i = 1; i < 10; i++) expect(perComponent[i][0]).toBeLessThanOrEqual(perComponent[i - 1][0]);
    expect(perComponent[9][1]).toBeCloseTo(cumulative[1][1] * 100, 1);

    const mse = /with 50 components\s+([\d.]+)$/m.exec(printed);
    const baseline = /with the mean image alone\s+([\d.]+)$/m.exec(printed);
    expect(Number(mse?.[1])).toBeGreaterThan(0);
    expect(Number(mse?.[1])).toBeLessThan(Number(baseline?.[1]));
    const classRows = [...printed.matchAll(/^ {2}(\d) +(\d+) +(-?[\d.]+) +(-?[\d.]+)$/gm)];
    expect(classRows.map((m) => [Number(m[1]), Number(m[2])])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((digit) => [digit, 50]));

    const svg = await readFile(svgPath, 'utf8');
    expect(XMLValidator.validate(svg)).toBe(true);
    const document = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg) as {
      svg: { xmlns: string; width: string; height: string; g: { class?: string; circle?: Record<string, string>[] }[] };
    };
    expect(document.svg.xmlns).toBe('http://www.w3.org/2000/svg');
    const points = document.svg.g.find((group) => group.class === 'points')?.circle ?? [];
    expect(points).toHaveLength(500);
    const perClass = new Map<string, number>();
    for (const point of points) {
      const [x, y] = [Number(point.cx), Number(point.cy)];
      expect(x >= 0 && x <= Number(document.svg.width) && y >= 0 && y <= Number(document.svg.height)).toBe(true);
      perClass.set(point.class, (perClass.get(point.class) ?? 0) + 1);
    }
    expect([...perClass.entries()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((digit) => [`d${digit}`, 50]));
  });

  it('prints help and exits 0', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    const help = out.join('\n');
    for (const option of ['--components <k>', '--limit <n>', '--svg <path>', '--help']) expect(help).toContain(option);
  });

  it('rejects bad arguments with a message and a nonzero code', async () => {
    const notNumber = await run(['--components', 'many']);
    expect(notNumber.code).not.toBe(0);
    expect(notNumber.err.join('\n')).toMatch(/--components.*positive integer/);

    const tooMany = await run(['--limit', '20', '--components', '30', '--svg', join(directory, 'unused.svg')]);
    expect(tooMany.code).toBe(1);
    expect(tooMany.err.join('\n')).toMatch(/nComponents = 30 must be at most/);
  });
});
