// Splitting a kernel's iteration into blocks whose operands each fit one
// storage binding. WebGPU guarantees only 128 MiB per binding (and 256 MiB
// per buffer), so a tensor beyond that lives in several GPU buffers
// ("segments") and a kernel sees it through windows: bound sub-ranges of one
// segment, at most one binding long, starting at the binding offset alignment.

/** Where a large buffer's elements live: consecutive segments, one GPU buffer each. */
export interface SegmentLayout {
  /** The first element and the element count of each segment, in order. */
  readonly segments: readonly { readonly start: number; readonly length: number }[];
}

/** What one binding may hold, in elements. */
export interface WindowLimits {
  /** Elements in one binding (maxStorageBufferBindingSize / 4, or an artificial test limit). */
  readonly windowElements: number;
  /** Elements a binding's start must be a multiple of (minStorageBufferOffsetAlignment / 4). */
  readonly alignElements: number;
}

/** A range of a large buffer bound as one binding. */
export interface Window {
  readonly start: number;
  readonly length: number;
}

/** One operand of an iteration: the element it reads at iteration coordinates c is `offset + Σ c[d]·strides[d] + [0, span)`. */
export interface PlanOperand {
  /** Strides over the iteration dims (0 where the operand does not vary). */
  readonly strides: readonly number[];
  readonly offset: number;
  /** Elements from each iteration point's first one that the operand may touch there (a sample of a convolution, a gathered column); default 1. */
  readonly span?: number;
  /** Null for a buffer that is bound whole. */
  readonly layout: SegmentLayout | null;
  /**
   * The caller copies the block's piece through a scratch buffer where no
   * window holds it (a piece across a segment border): the piece need only
   * be no longer than a window, wherever it lies.
   */
  readonly packable?: boolean;
}

// Elements of a packable operand's piece of a box.
function pieceLength(operand: PlanOperand, box: readonly number[]): number {
  return operand.strides.reduce((count, stride, d) => (stride === 0 ? count : count * box[d]), operand.span ?? 1);
}

/** A box of the iteration, and the window each large operand is bound through in it (null: bound whole, or a packable piece that no window holds). */
export interface Block {
  readonly origin: readonly number[];
  readonly shape: readonly number[];
  readonly windows: readonly (Window | null)[];
}

/** The elements an operand touches over a box: `[low, high]`, inclusive. */
export function operandRange(operand: PlanOperand, origin: readonly number[], shape: readonly number[]): [number, number] {
  let low = operand.offset;
  let high = operand.offset + (operand.span ?? 1) - 1;
  operand.strides.forEach((stride, d) => {
    low += origin[d] * stride;
    high += origin[d] * stride;
    if (stride > 0) high += (shape[d] - 1) * stride;
    else low += (shape[d] - 1) * stride;
  });
  return [low, high];
}

/** The aligned window of one segment that holds `[low, high]`, or null when none does. */
export function windowFor(layout: SegmentLayout, limits: WindowLimits, low: number, high: number): Window | null {
  const segment = layout.segments.find((s) => low >= s.start && low < s.start + s.length);
  if (!segment) return null;
  const end = segment.start + segment.length;
  if (high >= end) return null;
  const start = segment.start + Math.floor((low - segment.start) / limits.alignElements) * limits.alignElements;
  const length = Math.min(limits.windowElements, end - start);
  return high < start + length ? { start, length } : null;
}

/**
 * Boxes covering `shape` in which every large operand fits one window, in
 * row-major order of their origins along each split (so blocks that share an
 * output box meet it in increasing order of the other coordinates). A box
 * that does not fit is halved along the dim that spreads its worst operand
 * most. Null when some single iteration point does not fit (an operand's
 * `span` alone is longer than a window, or crosses a segment border).
 */
export function planBlocks(shape: readonly number[], operands: readonly PlanOperand[], limits: WindowLimits): Block[] | null {
  const blocks: Block[] = [];
  const visit = (origin: number[], box: number[]): boolean => {
    if (box.some((size) => size === 0)) return true;
    const windows: (Window | null)[] = [];
    // The dim to halve: the one along which a non-fitting operand spreads most.
    let splitDim = -1;
    let splitSpread = 0;
    for (const operand of operands) {
      if (!operand.layout) {
        windows.push(null);
        continue;
      }
      const [low, high] = operandRange(operand, origin, box);
      const window = windowFor(operand.layout, limits, low, high);
      windows.push(window);
      if (window || (operand.packable && pieceLength(operand, box) <= limits.windowElements)) continue;
      let ownSpread = 0;
      for (let d = 0; d < box.length; d++) {
        const spread = Math.abs(operand.strides[d]) * (box[d] - 1);
        ownSpread = Math.max(ownSpread, spread);
        if (spread > splitSpread) {
          splitDim = d;
          splitSpread = spread;
        }
      }
      // Only the span is left: it does not fit whatever the box.
      if (ownSpread === 0) return false;
    }
    if (splitDim < 0) {
      blocks.push({ origin, shape: box, windows });
      return true;
    }
    const half = Math.ceil(box[splitDim] / 2);
    const first = [...box];
    first[splitDim] = half;
    const second = [...box];
    second[splitDim] = box[splitDim] - half;
    const secondOrigin = [...origin];
    secondOrigin[splitDim] += half;
    return visit(origin, first) && visit(secondOrigin, second);
  };
  return visit(shape.map(() => 0), [...shape]) ? blocks : null;
}
