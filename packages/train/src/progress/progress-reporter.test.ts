import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgressLine, formatRate } from './progress-format.js';
import { ProgressReporter, type ProgressStream } from './progress-reporter.js';

/** A stream that keeps what is written, a terminal or not. */
function captureStream(isTTY: boolean): { stream: ProgressStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  if (isTTY) {
    stream.isTTY = true;
    stream.columns = 120;
  }
  return { stream, text: () => chunks.join('') };
}

function manualClock(): { clock: () => number; advance: (seconds: number) => void } {
  let now = 1000;
  return { clock: () => now, advance: (seconds) => { now += seconds; } };
}

describe('ProgressReporter off a terminal', () => {
  it('prints plain lines every N steps and at the end of the epoch, in the documented format', () => {
    const { stream, text } = captureStream(false);
    const { clock, advance } = manualClock();
    const progress = new ProgressReporter({ epochs: 3, stepsPerEpoch: 469, stream, clock, everySteps: 120, everySeconds: 1e9 });
    expect(progress.tty).toBe(false);
    progress.startEpoch(1);
    for (let step = 1; step <= 469; step++) {
      advance(0.07);
      progress.update({ step, loss: 0.412 + (step === 469 ? -0.1 : 0), accuracy: step === 120 ? 0.8812 : 0.9, samples: 128 });
    }
    advance(3);
    progress.endEpoch({ valLoss: 0.3214, valAccuracy: 0.8994 });
    // 120 steps × 128 images in 8.4 s: 1,829 images/s; 349 steps left at 0.07 s: 0:24.
    expect(text()).toBe([
      'epoch 1/3  step 120/469  loss 0.412  acc 88.1%  1,829 images/s  ETA 0:24',
      'epoch 1/3  step 240/469  loss 0.412  acc 90.0%  1,829 images/s  ETA 0:16',
      'epoch 1/3  step 360/469  loss 0.412  acc 90.0%  1,829 images/s  ETA 0:08',
      'epoch 1/3  step 469/469  loss 0.312  acc 90.0%  1,829 images/s  ETA 0:00',
      'epoch 1/3  done in 0:36  loss 0.312  acc 90.0%  val loss 0.321  val acc 89.9%  1,675 images/s',
      '',
    ].join('\n'));
    progress.stop();
  });

  it('prints a line when enough seconds have passed, with the unit given, leaving out what it does not know', () => {
    const { stream, text } = captureStream(false);
    const { clock, advance } = manualClock();
    const progress = new ProgressReporter({ epochs: 2, stepsPerEpoch: 1000, unit: 'chars', stream, clock, everySeconds: 10 });
    progress.startEpoch(2, 500); // resumed mid-epoch
    advance(4);
    progress.update({ step: 501, samples: 6400 });
    expect(text()).toBe('');
    advance(6);
    progress.update({ step: 502, samples: 6400, loss: Number.NaN });
    expect(text()).toBe('epoch 2/2  step 502/1000  loss NaN  1,280 chars/s  ETA 41:30\n');
    progress.log('checkpoint saved');
    expect(text().endsWith('checkpoint saved\n')).toBe(true);
  });

  it('defaults to a line every tenth of an epoch and checks its arguments', () => {
    const { stream, text } = captureStream(false);
    const progress = new ProgressReporter({ epochs: 1, stepsPerEpoch: 50, stream, clock: () => 0 });
    progress.startEpoch(1);
    for (let step = 1; step <= 50; step++) progress.update({ step });
    expect(text().trim().split('\n').map((line) => line.split('  ')[1])).toEqual(['step 5/50', 'step 10/50', 'step 15/50', 'step 20/50', 'step 25/50', 'step 30/50', 'step 35/50', 'step 40/50', 'step 45/50', 'step 50/50']);
    expect(() => new ProgressReporter({ epochs: 0, stepsPerEpoch: 1, stream })).toThrow(/epochs must be a positive integer/);
    expect(() => new ProgressReporter({ epochs: 1, stepsPerEpoch: 1, stream }).update({ step: 1 })).toThrow(/startEpoch first/);
  });
});

describe('ProgressReporter on a terminal', () => {
  it('draws a live bar with cli-progress, prints log lines and epoch summaries, and stops cleanly', async () => {
    const { stream, text } = captureStream(true);
    const { clock, advance } = manualClock();
    const progress = new ProgressReporter({ epochs: 2, stepsPerEpoch: 100, stream, clock });
    expect(progress.tty).toBe(true);
    for (const epoch of [1, 2]) {
      progress.startEpoch(epoch);
      for (let step = 1; step <= 100; step++) {
        advance(0.01);
        progress.update({ step, loss: 1 / step, accuracy: step / 100, samples: 32 });
        if (step === 50) progress.log(`halfway through epoch ${epoch}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250)); // let the bar redraw on its timer
      progress.endEpoch({ valLoss: 0.5, valAccuracy: 0.75 });
    }
    progress.stop();
    progress.stop();
    const screen = text();
    expect(screen).toContain('epoch 1/2 ████████████████████████ 100/100  loss 0.010  acc 100.0%  3,200 images/s  ETA 0:00');
    expect(screen).toContain('halfway through epoch 2');
    expect(screen).toContain('epoch 2/2  done in 0:01  loss 0.010  acc 100.0%  val loss 0.500  val acc 75.0%  3,200 images/s');
    expect(screen).toContain('\x1b[?25h'); // the cursor is shown again
  });
});

describe('progress formatting', () => {
  it('formats durations, rates and lines', () => {
    expect([formatDuration(0), formatDuration(42.4), formatDuration(62), formatDuration(3723)]).toEqual(['0:00', '0:42', '1:02', '1:02:03']);
    expect([formatRate(2.54), formatRate(1830.4), formatRate(1234567)]).toEqual(['2.5', '1,830', '1,234,567']);
    expect(formatProgressLine({ epoch: 1, epochs: 3, step: 120, stepsPerEpoch: 469, loss: 0.4123, accuracy: 0.881, rate: 1830, unit: 'images', eta: 42 }))
      .toBe('epoch 1/3  step 120/469  loss 0.412  acc 88.1%  1,830 images/s  ETA 0:42');
  });
});
