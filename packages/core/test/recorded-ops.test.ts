import { describe, expect, it } from 'vitest';
import { installGradientEngine, recordOp, type GradientEngine, type RecordedOp } from '../src/backend-entry.js';
import { tensor, type Tensor } from '../src/index.js';

// recordOp is typed by RecordedOps. The `@ts-expect-error` lines are checked by
// tsc (the package's `typecheck`, which covers test/): each fails it if the
// error below it goes away. The function is never called.
function misuses(x: Tensor): void {
  // @ts-expect-error an op RecordedOps does not declare
  recordOp('atan2', [x, x], x, {});
  // @ts-expect-error sum must record its dims and keepdim
  recordOp('sum', [x], x);
  // @ts-expect-error keepdim is missing
  recordOp('sum', [x], x, { dims: [0] });
  // @ts-expect-error mul records no attributes
  recordOp('mul', [x, x], x, { alpha: 2 });
  // @ts-expect-error add records its alpha
  recordOp('add', [x, x], x);
  // @ts-expect-error conv2d records its options without the bias
  recordOp('conv2d', [x, x], x, { options: { bias: x } });
}

describe('recordOp', () => {
  it('hands the engine the op and the attributes RecordedOps declares ({} when it declares none)', () => {
    const recorded: [RecordedOp, unknown][] = [];
    const engine: GradientEngine = {
      isRecording: () => true,
      record: (op, _inputs, _output, attrs) => { recorded.push([op, attrs]); },
      backward: () => undefined,
      retainGrad: () => undefined,
      registerHook: () => () => undefined,
    };
    const previous = installGradientEngine(engine);
    try {
      const x = tensor([1, 2, 3]).setRequiresGrad();
      x.add(1);
      x.sum(0, true);
      expect(recorded).toEqual([['add', { alpha: 1 }], ['sum', { dims: [0], keepdim: true }]]);
    } finally {
      installGradientEngine(previous);
    }
    expect(typeof misuses).toBe('function');
  });
});
