import type { ConfusionMatrix } from '../plots/confusion-matrix-plot.js';

/**
 * An image as raw pixels, the shape of `@fathom/datasets`' `RawImage`:
 * `height · width · channels` bytes, row by row, channels interleaved.
 */
export interface RawImageLike {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** 1 (grayscale), 2 (grayscale and alpha), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
  /** The pixels, one byte per channel. */
  readonly data: Uint8Array;
}

/** One example the model got wrong, for the report's grid. */
export interface MisclassifiedExample {
  /** The input, as raw pixels or as the bytes of a PNG file. */
  readonly image: RawImageLike | Uint8Array;
  /** The true class's name. */
  readonly label: string;
  /** The predicted class's name. */
  readonly predicted: string;
  /** The model's probability for its prediction, in [0, 1]. */
  readonly confidence: number;
}

/** A chart for the report, titled. */
export interface ReportPlot {
  /** The heading above it. */
  readonly title: string;
  /** The chart as an SVG document (a plot function's `svg`); inlined as given, so it must be trusted markup. */
  readonly svg: string;
}

/** A text a model wrote, for the report: a language model's sample at some step. */
export interface TextSample {
  /** The heading above it: `step 500 · val 2.31 bpc`. */
  readonly title: string;
  /** The text, shown as written (whitespace kept). */
  readonly text: string;
}

/** Everything {@link writeReport} puts in a run's `report.html`. */
export interface RunReport {
  /** The page's title and heading. */
  readonly title: string;
  /** The run's configuration, shown as a table; nested objects become dotted keys. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Headline results: `{ 'val top-1': '98.9%', epochs: 3 }`. */
  readonly summary: Readonly<Record<string, string | number>>;
  /** Charts, in order. */
  readonly plots: readonly ReportPlot[];
  /** A confusion matrix, shown as a shaded table (any number of classes). */
  readonly confusion?: ConfusionMatrix;
  /** Examples the model got wrong, shown as a grid. */
  readonly misclassified?: readonly MisclassifiedExample[];
  /** Texts the model wrote, in order. */
  readonly samples?: readonly TextSample[];
}
