import { readdirSync, statSync, type Dirent } from 'node:fs';
import { extname, join } from 'node:path';
import { DataError, ValueError, isTensorLike, keep, type Generator, type Tensor } from '@fathom/core';
import { checkIndex, type Dataset } from '../dataset.js';
import type { LabeledSample } from '../labeled-tensor-dataset.js';
import { SampleStreams, checkSeed, drawSeed } from '../random-streams.js';
import type { RawImage } from '../transforms/raw-image.js';
import { toTensor } from '../transforms/to-tensor.js';
import { splitForWorkers, type Transform } from '../transforms/transform.js';
import { decodeImage, type ImageMode } from './decode-image.js';
import { decodeValue } from './image-task.js';
import { ImageWorkerPool } from './worker-pool.js';

/** The file endings {@link ImageFolder} takes by default (any case). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff'];

/** Options of {@link ImageFolder}. */
export interface ImageFolderOptions<X> {
  /** The split folder under `root` (`'train'`, `'val'`); default none: `root` holds the class folders. */
  readonly split?: string;
  /** Applied to each decoded image (default {@link toTensor}: `(C, H, W)` float32 in `[0, 1]`). */
  readonly transform?: Transform<RawImage, X>;
  /** File endings that count as images (default {@link IMAGE_EXTENSIONS}). */
  readonly extensions?: readonly string[];
  /** Decode to `'rgb'` (3 channels, the default) or `'grayscale'` (1). */
  readonly mode?: ImageMode;
  /**
   * Worker threads that decode and transform (default 0: decode on this
   * thread — sharp still decodes off the JavaScript thread — and transform
   * here). The built-in transforms at the front of the pipeline run in the
   * workers; a function of your own and what follows it run here.
   */
  readonly workers?: number;
  /**
   * When an image cannot be decoded, warn (naming the file) and return the
   * next image that decodes instead, so batches keep their size. Default
   * false: a {@link DataError} naming the file.
   */
  readonly skipBadImages?: boolean;
  /** Where warnings go (default `process.emitWarning`). */
  readonly onWarning?: (message: string) => void;
  /** The seed of the random transforms; each sample's draws depend only on `(seed, epoch, index)`. Default: drawn from the generator `manualSeed` seeds. */
  readonly seed?: number;
}

function isHidden(name: string): boolean {
  return name.startsWith('.');
}

function isDirectory(parent: string, entry: Dirent): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(join(parent, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

function listFolder(op: string, folder: string): Dirent[] {
  try {
    // Sorted by code unit, as Python's sorted() for everything below U+10000.
    return readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (error) {
    throw new DataError(`${op}: cannot read the folder ${folder}: ${(error as Error).message}`);
  }
}

/** Every image file under `folder`, depth first in sorted order, as torchvision's make_dataset walks. */
function imageFiles(op: string, folder: string, extensions: ReadonlySet<string>, out: string[] = []): string[] {
  for (const entry of listFolder(op, folder)) {
    if (isHidden(entry.name)) continue;
    const path = join(folder, entry.name);
    if (isDirectory(folder, entry)) imageFiles(op, path, extensions, out);
    else if (extensions.has(extname(entry.name).toLowerCase())) out.push(path);
  }
  return out;
}

/**
 * Images in class folders, as torchvision's `ImageFolder`, in the ImageNet
 * layout: `root/<split>/<class>/*.JPEG` (`root/train/n01440764/…`,
 * `root/val/n01440764/…`). Classes are the sorted folder names and their
 * indices follow that order; image files are found recursively, sorted.
 * Hidden files and folders (names starting with `.`) are skipped. Images are
 * decoded with sharp — on worker threads with `workers: n`, which also run the
 * transforms.
 *
 * A missing folder, a split with no class folders, or a class folder with no
 * images raises {@link DataError} naming it; so does an image that will not
 * decode, unless `skipBadImages` is set.
 *
 * Call {@link close} (or `await using`) when done with workers; idle workers
 * do not keep the process alive.
 *
 * ```ts
 * const train = new ImageFolder('data/imagenet', {
 *   split: 'train', workers: 2, seed: 0,
 *   transform: compose(randomResizedCrop(224), randomHorizontalFlip(), toTensor(), normalize(IMAGENET_MEAN, IMAGENET_STD)),
 * });
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 0 });
 * for await (const { x, y } of loader) { … } // x: (64, 3, 224, 224)
 * await train.close();
 * ```
 */
export class ImageFolder<X = Tensor> implements Dataset<LabeledSample<X>>, AsyncDisposable {
  /** The folder holding the class folders (`root/split`). */
  readonly root: string;
  /** Class names (folder names), sorted; a label is an index into this. */
  readonly classes: readonly string[];
  /** Class name → index. */
  readonly classToIndex: Readonly<Record<string, number>>;
  /** Path of each image, grouped by class, sorted. */
  readonly paths: readonly string[];
  /** Class index of each image. */
  readonly labels: Int32Array;
  /** The transform applied to each image. */
  readonly transform: Transform<RawImage, X>;
  readonly mode: ImageMode;
  readonly workers: number;
  private readonly skipBadImages: boolean;
  private readonly warn: (message: string) => void;
  private readonly streams: SampleStreams;
  private readonly bad = new Set<number>();
  private readonly pool: ImageWorkerPool | undefined;
  private readonly workerPart: ReturnType<typeof splitForWorkers>;

  constructor(root: string, options: ImageFolderOptions<X> = {}) {
    const op = 'ImageFolder';
    const folder = options.split === undefined ? root : join(root, options.split);
    let isFolder = false;
    try {
      isFolder = statSync(folder).isDirectory();
    } catch {
      // reported below
    }
    if (!isFolder) throw new DataError(`${op}: ${folder} is not a folder`);
    const workers = options.workers ?? 0;
    if (!Number.isSafeInteger(workers) || workers < 0) throw new ValueError(`${op}: workers must be an integer ≥ 0, got ${workers}`);
    const mode = options.mode ?? 'rgb';
    if (mode !== 'rgb' && mode !== 'grayscale') throw new ValueError(`${op}: mode must be 'rgb' or 'grayscale', got '${String(mode)}'`);
    const extensions = new Set((options.extensions ?? IMAGE_EXTENSIONS).map((ending) => (ending.startsWith('.') ? ending : `.${ending}`).toLowerCase()));

    const classes = listFolder(op, folder).filter((entry) => !isHidden(entry.name) && isDirectory(folder, entry)).map((entry) => entry.name);
    if (classes.length === 0) throw new DataError(`${op}: ${folder} holds no class folders (expected ${folder}/<class>/<image files>)`);
    const paths: string[] = [];
    const labels: number[] = [];
    classes.forEach((name, index) => {
      const files = imageFiles(op, join(folder, name), extensions);
      if (files.length === 0) {
        throw new DataError(`${op}: the class folder ${join(folder, name)} holds no images (looked for ${[...extensions].join(', ')})`);
      }
      for (const file of files) {
        paths.push(file);
        labels.push(index);
      }
    });

    this.root = folder;
    this.classes = Object.freeze(classes);
    this.classToIndex = Object.freeze(Object.fromEntries(classes.map((name, index) => [name, index])));
    this.paths = Object.freeze(paths);
    this.labels = Int32Array.from(labels);
    this.transform = options.transform ?? (toTensor() as unknown as Transform<RawImage, X>);
    this.mode = mode;
    this.workers = workers;
    this.skipBadImages = options.skipBadImages ?? false;
    this.warn = options.onWarning ?? ((message) => process.emitWarning(message, 'FathomDataWarning'));
    this.streams = new SampleStreams(options.seed === undefined ? drawSeed() : checkSeed(op, options.seed), paths.length);
    this.workerPart = splitForWorkers(this.transform as Transform<never, unknown>);
    this.pool = workers > 0 ? new ImageWorkerPool(workers) : undefined;
  }

  get length(): number {
    return this.paths.length;
  }

  /** The seed of the random transforms. */
  get seed(): number {
    return this.streams.seed;
  }

  /** Paths of the images found not to decode so far (with `skipBadImages`). */
  get badFiles(): readonly string[] {
    return [...this.bad].sort((a, b) => a - b).map((index) => this.paths[index]);
  }

  /** The class index of image `index`, without decoding it. */
  label(index: number): number {
    return this.labels[checkIndex('ImageFolder.label', index, this.length)];
  }

  setEpoch(epoch: number): void {
    this.streams.setEpoch(epoch);
  }

  async get(index: number): Promise<LabeledSample<X>> {
    checkIndex('ImageFolder.get', index, this.length);
    const generator = this.streams.next(index);
    const start = generator.getState();
    let candidate = index;
    for (let tries = 0; tries < this.length; tries++, candidate = (candidate + 1) % this.length) {
      if (this.bad.has(candidate)) continue;
      try {
        // A substitute draws from the requested sample's stream, from its start.
        generator.setState(start);
        const x = await this.load(candidate, generator);
        // Made after an await, so possibly while someone else's scope is open: not that scope's to release.
        if (isTensorLike(x)) keep(x);
        return { x, y: this.labels[candidate] };
      } catch (error) {
        if (!this.skipBadImages || !(error instanceof DataError) || !error.message.includes('cannot decode')) throw error;
        this.bad.add(candidate);
        this.warn(`ImageFolder: skipping ${this.paths[candidate]}: ${error.message}`);
      }
    }
    throw new DataError(`ImageFolder: none of the ${this.length} images in ${this.root} could be decoded`);
  }

  /** Stops the worker threads (after the images in flight); `get` fails afterwards when workers were used. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** {@link close}, for `await using folder = new ImageFolder(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async load(index: number, generator: Generator): Promise<X> {
    const path = this.paths[index];
    if (this.pool === undefined) {
      const image = await decodeImage(path, { mode: this.mode });
      return this.transform(image, generator);
    }
    const { workerSpecs, rest } = this.workerPart;
    const result = await this.pool.run({ path, mode: this.mode, seed: generator.getState().seed, specs: workerSpecs });
    generator.setState({ seed: generator.getState().seed, offset: result.offset });
    let value = decodeValue(result.value);
    for (const transform of rest) value = (transform as Transform<unknown, unknown>)(value, generator);
    return value as X;
  }
}
