import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { simdPeakModule, UPDATES_PER_TRIP, type SimdKind } from './simd-peak.js';

type Run = (trips: number, x: number, y: number) => number;
// The bench compiles against the ES library alone, which does not declare WebAssembly.
const wasm = (globalThis as unknown as {
  WebAssembly: { validate(bytes: Uint8Array): boolean; Instance: new (module: object) => { exports: { run: Run } }; Module: new (bytes: Uint8Array) => object };
}).WebAssembly;

/** The loop in plain float32 arithmetic: chain k starts at 1 + k/64 and takes `acc·x + y` (rounded once for a fused madd). */
function reference(chains: number, trips: number, x: number, y: number, fused: boolean): number {
  const f = Math.fround;
  const accumulators = Array.from({ length: chains }, (_, chain) => f(1 + chain / 64));
  for (let update = 0; update < trips * UPDATES_PER_TRIP; update++) {
    for (let chain = 0; chain < chains; chain++) {
      const acc = accumulators[chain];
      accumulators[chain] = fused ? f(acc * f(x) + f(y)) : f(f(acc * f(x)) + f(y));
    }
  }
  return accumulators.reduce((total, acc) => f(total + acc));
}

describe('simdPeakModule', () => {
  for (const chains of [1, 5, 16]) {
    it(`computes ${chains} chains of f32x4 mul+add exactly as float32 arithmetic does`, () => {
      const bytes = simdPeakModule(chains, 'mul+add');
      expect(wasm.validate(bytes)).toBe(true);
      const { run } = new wasm.Instance(new wasm.Module(bytes)).exports;
      expect(run(7, 0.9999, 1e-4)).toBe(reference(chains, 7, 0.9999, 1e-4, false));
    });
  }

  const relaxed: SimdKind = 'relaxed-madd';
  // Node 20's V8 compiles relaxed SIMD only behind --experimental-wasm-relaxed-simd: then the module runs in a child given it.
  it('computes relaxed_madd chains within one rounding of float32 arithmetic', () => {
    const bytes = simdPeakModule(3, relaxed);
    let value: number;
    if (wasm.validate(bytes)) value = new wasm.Instance(new wasm.Module(bytes)).exports.run(7, 0.9999, 1e-4);
    else {
      const script = `const { run } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from('${Buffer.from(bytes).toString('base64')}', 'base64'))).exports;
console.log(run(7, 0.9999, 1e-4));`;
      value = Number(execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e', script], { encoding: 'utf8' }).trim());
    }
    // relaxed_madd may fuse or not, as the hardware does.
    expect([reference(3, 7, 0.9999, 1e-4, true), reference(3, 7, 0.9999, 1e-4, false)]).toContain(value);
  });
});
