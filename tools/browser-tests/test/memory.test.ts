import { expect, it } from 'vitest';
import { describeInPage } from './browser-page.js';

// Memory in a browser, where core finds no garbage collector to call (Node's is reached through
// node:v8; a page has none). What the design says a browser user writes — one scope() per step —
// must keep memory exactly flat; the loop as in PyTorch is run beside it to record what the
// browser's own collector does with it.

const suite = 'the LeNet-5 loop on wasm in Chromium';
const STEPS = 2000;

describeInPage(suite, true, (page) => {
  it(`keeps exactly flat memory over ${STEPS} steps with one scope() per step`, async () => {
    const { memory } = await page().run({ suite: 'memory', device: 'wasm', threads: 2, steps: STEPS, scoped: true });
    const { tensors, bytes } = memory!;
    // The model, its gradients, the momentum buffers and the batch: the same count at every reading.
    expect(new Set(tensors), tensors.join(' ')).toEqual(new Set([tensors[0]]));
    expect(new Set(bytes), bytes.join(' ')).toEqual(new Set([bytes[0]]));
  });

  it(`grows without scope(): no collector to call, so the browser frees nothing in ${STEPS} steps`, async () => {
    // What core's README tells browser users, checked: each step's ~32 tensors stay until V8
    // collects by itself, which it did not do here in 2,000 steps (the tensors weigh little on
    // its heap), so a long loop ends at wasm's 4 GiB. If a browser or core starts freeing them,
    // this fails and the README's advice can change.
    const { memory } = await page().run({ suite: 'memory', device: 'wasm', threads: 2, steps: STEPS, scoped: false });
    const { tensors, bytes } = memory!;
    // The peak, not the last reading: a collection V8 starts on its own may come at any time.
    expect(Math.max(...tensors), tensors.join(' ')).toBeGreaterThan(10 * STEPS);
    expect(Math.max(...bytes) - bytes[0], bytes.join(' ')).toBeGreaterThan(STEPS * 50 * 1024);
  });
});
