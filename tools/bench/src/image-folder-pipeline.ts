// ImageFolder pipeline throughput, in images per second: decode (sharp) +
// randomResizedCrop(224) + randomHorizontalFlip + toTensor + normalize,
// batched by a DataLoader, with the decoding and transforms on 0 (the main
// thread), 1 and 2 worker threads. The peer is the same work done by sharp
// alone — libvips crops, resizes and flips, JavaScript only normalises — one
// image at a time on the main thread.
//
//   pnpm --filter @fathom/bench bench:image-folder [--quick] [--images N] [--json FILE]
//
// Progress goes to stderr, the markdown table to stdout.
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Generator } from '@fathom/core';
import {
  DataLoader, IMAGENET_MEAN, IMAGENET_STD, compose, normalize, randomHorizontalFlip, randomResizedCrop, randomResizedCropBox, toTensor,
} from '@fathom/datasets';
import { ImageFolder } from '@fathom/datasets/node';
import sharp from 'sharp';

const USAGE = `Usage: node dist/image-folder-pipeline.js [--quick] [--images N] [--json FILE]

  --quick      32 images and 2 timed epochs (CI smoke run, not figures to quote)
  --images N   JPEGs in the folder (default 128)
  --json FILE  also save every epoch's images/s to FILE
  --help       print this text`;

const WIDTH = 500; // ImageNet's typical photo: 500×375, about 100 KB as JPEG
const HEIGHT = 375;
const CROP = 224;
const BATCH = 32;
const WORKER_COUNTS = [0, 1, 2] as const;

const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/** A photo-like JPEG: smooth colour gradients plus pixel noise, quality 90. */
async function writePhoto(path: string, k: number): Promise<void> {
  const data = new Uint8Array(WIDTH * HEIGHT * 3);
  let state = ((k + 1) * 2654435761) >>> 0;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      for (let c = 0; c < 3; c++) {
        state = (state * 1103515245 + 12345) >>> 0;
        const smooth = 128 + 90 * Math.sin((x * (c + 1)) / (37 + k) + (y * (3 - c)) / (29 + k) + k);
        data[(y * WIDTH + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(smooth + ((state >>> 24) - 128) / 5)));
      }
    }
  }
  await writeFile(path, await sharp(data, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Images/s of each timed epoch through ImageFolder + DataLoader, after one warm-up epoch (workers start, code compiles). */
async function fathomPipeline(root: string, workers: number, epochs: number): Promise<number[]> {
  const transform = compose(randomResizedCrop(CROP), randomHorizontalFlip(), toTensor(), normalize(IMAGENET_MEAN, IMAGENET_STD));
  const dataset = new ImageFolder(root, { split: 'train', transform, workers, seed: 0 });
  const loader = new DataLoader(dataset, { batchSize: BATCH, shuffle: true, seed: 0, prefetch: 2 });
  const rates: number[] = [];
  try {
    for (let epoch = -1; epoch < epochs; epoch++) {
      const start = performance.now();
      let seen = 0;
      for await (const { x } of loader) seen += x.shape[0];
      if (epoch >= 0) rates.push(seen / ((performance.now() - start) / 1000));
    }
  } finally {
    await dataset.close();
  }
  return rates;
}

/** The same work with sharp doing the crop, the resize (linear) and the flip, normalised into a CHW Float32Array. */
async function sharpPipeline(paths: readonly string[], epochs: number): Promise<number[]> {
  const generator = new Generator(0);
  const rates: number[] = [];
  for (let epoch = -1; epoch < epochs; epoch++) {
    const start = performance.now();
    for (const path of paths) {
      const image = sharp(path);
      const { width = 0, height = 0 } = await image.metadata();
      const box = randomResizedCropBox(width, height, generator);
      let pipeline = image.extract(box).resize(CROP, CROP, { kernel: 'linear', fit: 'fill' });
      if (generator.reserve(1) % 2 === 0) pipeline = pipeline.flop();
      const data = await pipeline.raw().toBuffer();
      const out = new Float32Array(3 * CROP * CROP); // (3, 224, 224)
      for (let p = 0; p < CROP * CROP; p++) {
        for (let c = 0; c < 3; c++) out[c * CROP * CROP + p] = (data[p * 3 + c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
      }
    }
    if (epoch >= 0) rates.push(paths.length / ((performance.now() - start) / 1000));
  }
  return rates;
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      images: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const images = values.images === undefined ? (values.quick ? 32 : 128) : Number(values.images);
  if (!Number.isSafeInteger(images) || images < 1) throw new Error(`--images expects a positive integer, got '${values.images}'\n\n${USAGE}`);
  const epochs = values.quick ? 2 : 5;

  const root = await mkdtemp(join(tmpdir(), 'fathom-bench-imagefolder-'));
  try {
    log(`writing ${images} JPEGs of ${WIDTH}×${HEIGHT} to ${root}`);
    const paths: string[] = [];
    for (let k = 0; k < images; k++) {
      const folder = join(root, 'train', `class_${k % 4}`);
      await mkdir(folder, { recursive: true });
      const path = join(folder, `${String(k).padStart(5, '0')}.JPEG`);
      await writePhoto(path, k);
      paths.push(path);
    }
    const rows: { name: string; rates: number[] }[] = [];
    for (const workers of WORKER_COUNTS) {
      log(`Fathom, workers: ${workers}`);
      rows.push({ name: `Fathom ImageFolder + DataLoader, workers: ${workers}`, rates: await fathomPipeline(root, workers, epochs) });
    }
    log('peer: sharp alone');
    rows.push({ name: 'peer: sharp alone (libvips crop, resize, flip), main thread', rates: await sharpPipeline(paths, epochs) });

    const reference = median(rows[0].rates);
    const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
    const cores = cpus();
    const report = [
      line(['pipeline', 'images/s (median)', 'min–max', 'vs workers: 0']),
      line(['---', '---:', '---:', '---:']),
      ...rows.map(({ name, rates }) => line([
        name, median(rates).toFixed(1), `${Math.min(...rates).toFixed(1)}–${Math.max(...rates).toFixed(1)}`, `${(median(rates) / reference).toFixed(2)}×`,
      ])),
      '',
      `${images} JPEGs of ${WIDTH}×${HEIGHT} (quality 90) → randomResizedCrop(${CROP}) + randomHorizontalFlip + toTensor + normalize(ImageNet), batch ${BATCH}, prefetch 2;`,
      `images/s per epoch, median of ${epochs} epochs after one warm-up epoch.${values.quick ? ' Quick run: not figures to quote.' : ''}`,
      'With workers: 0 sharp still decodes on libuv\'s thread pool; the crop, resize and normalise run on the main thread.',
      '',
      `- CPU: ${cores[0]?.model.trim() ?? 'unknown'}, ${cores.length} logical cores (available parallelism ${availableParallelism()})`,
      `- Node ${process.version}; sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips})`,
    ].join('\n');
    console.log(report);
    if (values.json) {
      writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), quick: values.quick, images, epochs, rows }, null, 2) + '\n');
    }
    return 0;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
