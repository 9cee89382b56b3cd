import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ValueError } from '@fathom/core';
import { writeFileAtomic } from '@fathom/io/node';

type Sharp = typeof import('sharp').default;
// Loaded on first use, as @fathom/datasets does: sharp is a native module.
let sharpModule: Promise<Sharp> | undefined;

/** sharp, loaded once on first use. */
export function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then((module) => module.default);
  return sharpModule;
}

/**
 * Rasterises an SVG document to PNG bytes with sharp, `scale` pixels per SVG
 * pixel (default 2, sharp for high-density screens and slides).
 *
 * ```ts
 * const png = await svgToPng((await plotLoss(records)).svg);
 * ```
 */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  if (!(scale > 0 && scale <= 8)) throw new ValueError(`svgToPng: scale must be in (0, 8], got ${scale}`);
  const sharp = await loadSharp();
  const png = await sharp(Buffer.from(svg, 'utf8'), { density: 72 * scale }).png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** Where {@link writePlot} put a chart. */
export interface WrittenPlot {
  /** `<dir>/<name>.svg` */
  readonly svg: string;
  /** `<dir>/<name>.png` */
  readonly png: string;
}

/**
 * Writes a chart as `<dir>/<name>.svg` and `<dir>/<name>.png` (each atomically;
 * `dir` is created if missing). `name` is a file name without extension:
 * letters, digits, `.`, `_`, `-`.
 *
 * ```ts
 * await writePlot('runs/lenet/plots', 'loss', (await plotLoss(log.records)).svg);
 * ```
 */
export async function writePlot(dir: string, name: string, svg: string, options: { readonly scale?: number } = {}): Promise<WrittenPlot> {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) throw new ValueError(`writePlot: name must be a plain file name (letters, digits, '.', '_', '-'), got '${name}'`);
  const png = await svgToPng(svg, options.scale);
  await mkdir(dir, { recursive: true });
  const paths = { svg: join(dir, `${name}.svg`), png: join(dir, `${name}.png`) };
  await writeFileAtomic(paths.svg, new TextEncoder().encode(svg));
  await writeFileAtomic(paths.png, png);
  return paths;
}
