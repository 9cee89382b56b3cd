import { describe, expect, it } from 'vitest';
import type { Tensor } from '@fathom/core';
import { useAutograd } from '@fathom/autograd';
import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential } from '../src/index.js';
import { LSTM } from '../src/layers/recurrent.js';
import { summary } from '../src/summary.js';

useAutograd();

/** The classic LeNet-5 for 28×28 MNIST digits (the first convolution padded to keep 28×28). */
function leNet5(): Sequential {
  return new Sequential(
    new Conv2d(1, 6, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2),
    new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(400, 120), new ReLU(), new Linear(120, 84), new ReLU(), new Linear(84, 10),
  );
}

/** A sequence tagger: a 2-layer batch-first LSTM and a Linear head, to show a non-tensor output and nesting. */
class Tagger extends Module {
  readonly lstm = this.registerModule('lstm', new LSTM(8, 16, { numLayers: 2, batchFirst: true }));
  readonly head = this.registerModule('head', new Linear(16, 5));

  forward(x: Tensor): Tensor {
    return this.head.forward(this.lstm.forward(x).output);
  }
}

describe('summary', () => {
  it('LeNet-5: output shapes and 61,706 parameters', () => {
    // Parameters by hand (weights out·in·k·k, plus one bias per output):
    //   conv1 6·1·5·5 + 6     =    156   output [1, 6, 28, 28] (padding 2), pooled to 14×14
    //   conv2 16·6·5·5 + 16   =  2,416   output [1, 16, 10, 10], pooled to 5×5, flattened to 400
    //   fc1   400·120 + 120   = 48,120
    //   fc2   120·84 + 84     = 10,164
    //   fc3   84·10 + 10      =    850
    //   total                 = 61,706, in float32 61,706·4 B = 0.24 MB
    expect(summary(leNet5(), [1, 1, 28, 28])).toBe([
      '=========================================',
      'Layer (type)     Output shape     Param #',
      '-----------------------------------------',
      'Sequential       [1, 10]               --',
      '  0 (Conv2d)     [1, 6, 28, 28]       156',
      '  1 (ReLU)       [1, 6, 28, 28]        --',
      '  2 (MaxPool2d)  [1, 6, 14, 14]        --',
      '  3 (Conv2d)     [1, 16, 10, 10]    2,416',
      '  4 (ReLU)       [1, 16, 10, 10]       --',
      '  5 (MaxPool2d)  [1, 16, 5, 5]         --',
      '  6 (Flatten)    [1, 400]              --',
      '  7 (Linear)     [1, 120]          48,120',
      '  8 (ReLU)       [1, 120]              --',
      '  9 (Linear)     [1, 84]           10,164',
      '  10 (ReLU)      [1, 84]               --',
      '  11 (Linear)    [1, 10]              850',
      '=========================================',
      'Input shape: [1, 1, 28, 28]',
      'Total params: 61,706',
      'Trainable params: 61,706',
      'Non-trainable params: 0',
      'Params size: 0.24 MB',
      '=========================================',
    ].join('\n'));
  });

  it('nested modules, an LSTM\'s { output, h, c } and frozen parameters', () => {
    // LSTM(8, 16, 2 layers): layer 0 64·8 + 64·16 + 2·64 = 1,664; layer 1 64·16 + 64·16 + 2·64 = 2,176; head 16·5 + 5 = 85.
    const model = new Tagger();
    model.head.weight.requiresGrad = false;
    model.head.bias!.requiresGrad = false;
    const lines = summary(model, [4, 7, 8]).split('\n');
    expect(lines[3]).toMatch(/^Tagger +\[4, 7, 5\] +--$/);
    expect(lines[4]).toMatch(/^ {2}lstm \(LSTM\) +output \[4, 7, 16\], h \[2, 4, 16\], c \[2, 4, 16\] +3,840$/);
    expect(lines[5]).toMatch(/^ {2}head \(Linear\) +\[4, 7, 5\] +85$/);
    expect(lines.slice(8, 11)).toEqual(['Total params: 3,925', 'Trainable params: 3,840', 'Non-trainable params: 85']);
  });

  it('several inputs, given as a list of shapes', () => {
    class Pair extends Module {
      readonly fc = this.registerModule('fc', new Linear(3, 2));
      forward(a: Tensor, b: Tensor): Tensor { return this.fc.forward(a.add(b)); }
    }
    const text = summary(new Pair(), [[5, 3], [1, 3]]);
    expect(text).toContain('Input shape: [5, 3], [1, 3]');
    expect(text).toMatch(/fc \(Linear\) +\[5, 2\] +8/);
  });

  it('runs in eval mode and restores forward and training flags, even when the forward throws', async () => {
    const model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new ReLU());
    const bn = model.at(1) as BatchNorm2d;
    const runningMean = Array.from(await bn.stateDict().running_mean.data());
    summary(model, [1, 1, 5, 5]); // batch statistics of one sample would throw in training mode
    expect(Array.from(await bn.stateDict().running_mean.data())).toEqual(runningMean);
    expect(model.modules().every((m) => m.training)).toBe(true);
    expect(model.modules().some((m) => Object.prototype.hasOwnProperty.call(m, 'forward'))).toBe(false);

    const failing = new Sequential(new Linear(4, 3), new Linear(5, 2)); // 3 features into a Linear(5, …)
    failing.at(0).eval();
    const ownForward = (x: Tensor): Tensor => x;
    const custom = new ReLU();
    custom.forward = ownForward;
    const broken = new Sequential(custom, failing);
    expect(() => summary(broken, [2, 4])).toThrow(/matmul/);
    expect(custom.forward).toBe(ownForward);
    expect(failing.modules().some((m) => Object.prototype.hasOwnProperty.call(m, 'forward'))).toBe(false);
    expect(failing.modules().map((m) => m.training)).toEqual([true, false, true]);
    expect(summary(new Sequential(), [1])).toContain('Total params: 0');
  });
});
