import { describe, expect, it } from 'vitest';
import { operandRange, planBlocks, windowFor, type Block, type PlanOperand, type SegmentLayout, type WindowLimits } from './block-plan.js';

const limits: WindowLimits = { windowElements: 32, alignElements: 4 };

function segments(total: number, perSegment: number): SegmentLayout {
  const list = [];
  for (let start = 0; start < total; start += perSegment) list.push({ start, length: Math.min(perSegment, total - start) });
  return { segments: list };
}

function* coordinates(origin: readonly number[], shape: readonly number[]): Generator<number[]> {
  const count = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < count; flat++) {
    const coord: number[] = [];
    let rest = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      coord[d] = origin[d] + (rest % shape[d]);
      rest = Math.floor(rest / shape[d]);
    }
    yield coord;
  }
}

// Checks a plan by brute force: the blocks tile the iteration once, and every element
// an operand touches in a block lies in that block's window, inside one segment.
function checkPlan(shape: number[], operands: PlanOperand[], blocks: readonly Block[]): void {
  const seen = new Map<string, number>();
  for (const block of blocks) {
    for (const coord of coordinates(block.origin, block.shape)) {
      seen.set(coord.join(), (seen.get(coord.join()) ?? 0) + 1);
      operands.forEach((operand, k) => {
        const window = block.windows[k];
        if (!operand.layout) return expect(window).toBeNull();
        const first = operand.offset + coord.reduce((sum, c, d) => sum + c * operand.strides[d], 0);
        for (let e = first; e < first + (operand.span ?? 1); e++) {
          expect(window).not.toBeNull();
          expect(e).toBeGreaterThanOrEqual(window!.start);
          expect(e).toBeLessThan(window!.start + window!.length);
        }
      });
    }
    operands.forEach((operand, k) => {
      const window = block.windows[k];
      if (!window || !operand.layout) return;
      expect(window.start % limits.alignElements).toBe(0);
      expect(window.length).toBeLessThanOrEqual(limits.windowElements);
      expect(operand.layout.segments.some((s) => window.start >= s.start && window.start + window.length <= s.start + s.length)).toBe(true);
    });
  }
  expect(seen.size).toBe(shape.reduce((a, b) => a * b, 1));
  expect([...seen.values()].every((count) => count === 1)).toBe(true);
}

describe('operandRange', () => {
  it('spans the elements a box touches, negative strides and spans included', () => {
    expect(operandRange({ strides: [10, 1], offset: 5, layout: null }, [1, 2], [2, 3])).toEqual([17, 29]);
    expect(operandRange({ strides: [-10, 1], offset: 50, layout: null }, [0, 0], [3, 2])).toEqual([30, 51]);
    expect(operandRange({ strides: [100, 0], offset: 0, span: 60, layout: null }, [1, 7], [2, 5])).toEqual([100, 259]);
  });
});

describe('windowFor', () => {
  const layout = segments(100, 48);
  it('gives the aligned window of the segment that holds the range', () => {
    expect(windowFor(layout, limits, 6, 30)).toEqual({ start: 4, length: 32 });
    expect(windowFor(layout, limits, 50, 60)).toEqual({ start: 48, length: 32 });
    // The last segment is shorter than a window.
    expect(windowFor(layout, limits, 97, 99)).toEqual({ start: 96, length: 4 });
  });
  it('has none for a range across a segment border or longer than a window', () => {
    expect(windowFor(layout, limits, 40, 50)).toBeNull();
    expect(windowFor(layout, limits, 0, 40)).toBeNull();
    // 3 + 32 elements reach past a window starting at the aligned 0.
    expect(windowFor(layout, limits, 3, 33)).toBeNull();
  });
});

describe('planBlocks', () => {
  it('leaves an iteration whose operands fit as one block', () => {
    const operands: PlanOperand[] = [{ strides: [4, 1], offset: 0, layout: segments(16, 64) }, { strides: [4, 1], offset: 0, layout: null }];
    expect(planBlocks([4, 4], operands, limits)).toEqual([{ origin: [0, 0], shape: [4, 4], windows: [{ start: 0, length: 16 }, null] }]);
  });

  it('splits a contiguous copy into row blocks, and a transposed read along its rows', () => {
    const layout = segments(12 * 10, 1000);
    const operands: PlanOperand[] = [
      { strides: [10, 1], offset: 0, layout },
      // The same matrix read transposed: its rows are the iteration's columns.
      { strides: [1, 10], offset: 0, layout },
    ];
    const shape = [12, 10];
    const straight = planBlocks(shape, [operands[0]], limits)!;
    checkPlan(shape, [operands[0]], straight);
    expect(straight.every((block) => block.shape[1] === 10)).toBe(true);
    const transposed = planBlocks([10, 12], [operands[1]], limits)!;
    checkPlan([10, 12], [operands[1]], transposed);
    expect(transposed.every((block) => block.shape[0] === 10)).toBe(true);
  });

  it('plans several large operands with offsets, broadcasts and segment borders', () => {
    const shape = [6, 5, 7];
    const operands: PlanOperand[] = [
      { strides: [35, 7, 1], offset: 3, layout: segments(3 + 6 * 35, 40) },
      { strides: [0, 1, 5], offset: 9, layout: segments(50, 24) },
      { strides: [35, 7, 1], offset: 0, layout: null },
    ];
    const blocks = planBlocks(shape, operands, limits)!;
    expect(blocks.length).toBeGreaterThan(1);
    checkPlan(shape, operands, blocks);
  });

  it('lets a packable piece lie across a border as long as it is no longer than a window', () => {
    const shape = [10];
    const operand: PlanOperand = { strides: [12], offset: 0, span: 12, layout: segments(120, 40), packable: true };
    const blocks = planBlocks(shape, [operand], limits)!;
    expect(blocks.every((block) => block.shape[0] * 12 <= 32)).toBe(true);
    expect(blocks.reduce((sum, block) => sum + block.shape[0], 0)).toBe(10);
    // Samples 3 (elements 36–47) and 6 (72–83) straddle segment borders: no window, the caller packs them.
    expect(blocks.some((block) => block.windows[0] === null)).toBe(true);
  });

  it('gives up when one iteration point needs more than a window', () => {
    expect(planBlocks([4], [{ strides: [40], offset: 0, span: 40, layout: segments(160, 160) }], limits)).toBeNull();
    expect(planBlocks([4], [{ strides: [20], offset: 0, span: 20, layout: segments(80, 30) }], limits)).toBeNull();
  });
});
