// This machine's WebAssembly SIMD ceiling: the rate at which V8's code for a
// loop of independent f32x4 multiply-add chains retires flops, for a kernel
// built from f32x4.mul + f32x4.add (what @fathom/wasm's GEMM emits). W1 is
// reported as a fraction of it.
//
// It is a floor for the true ceiling, not a bound: the multiply sits on each
// chain (6 cycles of latency on Zen 4), where a GEMM's `acc += a · b` has only
// the add there, and past ~12 accumulators x64's 16 xmm registers spill; on
// 2026-12-05 @fathom/wasm's GEMM ran one thread at 100–104 % of this figure.
// A GEMM-shaped version (loads of A and B, only the add on the chain) was
// tried and ran slower in V8 (20–30 GFLOP/s against 47), so this one stays.
//
// The module is written here byte by byte (no compiler at bench time): one
// function `run(trips: i32, x: f32, y: f32) -> f32` whose loop updates
// `chains` v128 accumulators, `acc = acc * x + y` (or relaxed_madd(acc, x, y)),
// `UPDATES_PER_TRIP` times per trip. Each chain depends only on itself, so with enough
// of them the multiplies and adds of different chains overlap and the loop is
// bound by the FP ports, not by latency. x < 1 and y > 0 keep every value near
// y / (1 − x): no overflow, no denormals.
//
//   node dist/simd-peak.js [--threads N] [--relaxed]   (prints one JSON object)
//
// Relaxed SIMD (f32x4.relaxed_madd, a fused multiply-add where the hardware
// has one) is behind --experimental-wasm-relaxed-simd in Node 20's V8; the
// bench measures it in a child process started with that flag.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

/** Which instruction each chain's step is. */
export type SimdKind = 'mul+add' | 'relaxed-madd';

/** Accumulator updates per chain per loop trip (so the loop's decrement and branch cost little). */
export const UPDATES_PER_TRIP = 4;
// flops per lane per update (a multiply and an add), 4 lanes.
const FLOPS_PER_UPDATE = 2 * 4;
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

/** Unsigned LEB128, as the binary format encodes every integer here. */
function leb128(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

const section = (id: number, content: readonly number[]): number[] => [id, ...leb128(content.length), ...content];
const simd = (opcode: number): number[] => [0xfd, ...leb128(opcode)];
const F32X4_SPLAT = simd(0x13);
const F32X4_EXTRACT_LANE_0 = [...simd(0x1f), 0];
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const F32X4_RELAXED_MADD = simd(0x105);
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;

function f32Const(value: number): number[] {
  const bytes = new Uint8Array(new Float32Array([value]).buffer);
  return [0x43, ...bytes];
}

/** The module's bytes: `run(trips, x, y)` performs trips × UPDATES_PER_TRIP × chains f32x4 multiply-adds. */
export function simdPeakModule(chains: number, kind: SimdKind): Uint8Array {
  // Locals: 0 trips (i32), 1 x, 2 y (f32); then v128: 3 splat(x), 4 splat(y), 5… the accumulators.
  const vx = 3;
  const vy = 4;
  const acc = (chain: number): number => 5 + chain;
  const body: number[] = [
    1, ...leb128(chains + 2), 0x7b, // chains + 2 locals of type v128
    LOCAL_GET, 1, ...F32X4_SPLAT, LOCAL_SET, vx,
    LOCAL_GET, 2, ...F32X4_SPLAT, LOCAL_SET, vy,
  ];
  for (let chain = 0; chain < chains; chain++) body.push(...f32Const(1 + chain / 64), ...F32X4_SPLAT, LOCAL_SET, acc(chain));
  body.push(0x02, 0x40, 0x03, 0x40); // block, loop (no results)
  for (let step = 0; step < UPDATES_PER_TRIP; step++) {
    for (let chain = 0; chain < chains; chain++) {
      body.push(LOCAL_GET, acc(chain), LOCAL_GET, vx);
      if (kind === 'relaxed-madd') body.push(LOCAL_GET, vy, ...F32X4_RELAXED_MADD);
      else body.push(...F32X4_MUL, LOCAL_GET, vy, ...F32X4_ADD);
      body.push(LOCAL_SET, acc(chain));
    }
  }
  // trips -= 1; continue while non-zero
  body.push(LOCAL_GET, 0, 0x41, 1, 0x6b, LOCAL_TEE, 0, 0x0d, 0, 0x0b, 0x0b);
  // The sum of every accumulator is returned, so no chain is dead code.
  body.push(LOCAL_GET, acc(0));
  for (let chain = 1; chain < chains; chain++) body.push(LOCAL_GET, acc(chain), ...F32X4_ADD);
  body.push(...F32X4_EXTRACT_LANE_0, 0x0b);
  const name = [...new TextEncoder().encode('run')];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, 0x7f, 0x7d, 0x7d, 1, 0x7d]), // type: (i32, f32, f32) -> f32
    ...section(3, [1, 0]), // one function of type 0
    ...section(7, [1, name.length, ...name, 0x00, 0]), // export "run" = function 0
    ...section(10, [1, ...leb128(body.length), ...body]),
  ]);
}

// The bench compiles against the ES library alone, which does not declare WebAssembly.
const validates = (bytes: Uint8Array): boolean => (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly.validate(bytes);

/** Flops one `run(trips)` call performs. */
const flopsPerTrip = (chains: number): number => UPDATES_PER_TRIP * chains * FLOPS_PER_UPDATE;

// Each worker compiles the module, calls it until V8 has tiered it up to
// TurboFan (calibrating a call to `callMs`), then waits on a shared flag so
// that all threads time together, and reports GFLOP/s per call.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { bytes, flopsPerTrip, calls, callMs, gate } = workerData;
const run = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.run;
let trips = 1000;
const warmUntil = performance.now() + 300;
while (performance.now() < warmUntil) {
  const start = performance.now();
  run(trips, 0.9999, 1e-4);
  const ms = performance.now() - start;
  if (ms < callMs / 2) trips *= 2;
}
const flags = new Int32Array(gate);
Atomics.add(flags, 0, 1);
Atomics.notify(flags, 0);
Atomics.wait(flags, 1, 0);
const rates = [];
for (let call = 0; call < calls; call++) {
  const start = performance.now();
  run(trips, 0.9999, 1e-4);
  rates.push((trips * flopsPerTrip) / ((performance.now() - start) / 1000) / 1e9);
}
parentPort.postMessage(rates);
`;

/** GFLOP/s of each timed call on each of `threads` threads running at once: rates[thread][call]. */
async function timeThreads(bytes: Uint8Array, chains: number, threads: number, calls: number): Promise<number[][]> {
  const gate = new SharedArrayBuffer(8);
  const flags = new Int32Array(gate);
  const workers = Array.from({ length: threads }, () => new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { bytes, flopsPerTrip: flopsPerTrip(chains), calls, callMs: 40, gate },
  }));
  let failure: unknown = null;
  const results = workers.map((worker) => new Promise<number[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', (error) => {
      failure = error;
      reject(error);
    });
  }));
  try {
    // Start the timed calls together once every thread is warm.
    while (Atomics.load(flags, 0) < threads) {
      if (failure) throw failure;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    return await Promise.all(results);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** One instruction's ceiling on this machine. */
export interface SimdPeakFigure {
  readonly kind: SimdKind;
  /** Accumulator chains of the fastest loop tried. */
  readonly chains: number;
  /** The best call on one thread alone, GFLOP/s. */
  readonly perThreadGflops: number;
  readonly threads: number;
  /** The best moment of `threads` threads together: the sum of their calls at the same index, GFLOP/s. */
  readonly allThreadsGflops: number;
  /** The engine flag it needed (relaxed SIMD in Node 20), or null. */
  readonly engineFlag: string | null;
}

export interface SimdPeak {
  readonly mulAdd: SimdPeakFigure;
  /** relaxed_madd's, or why it was not measured. */
  readonly relaxedMadd: SimdPeakFigure | string;
}

const CHAIN_COUNTS = [4, 8, 12, 14, 16];

/**
 * Measures the f32x4 multiply-add ceiling in this process, on 1 and then on
 * `threads` threads. Throws where the engine cannot compile `kind`.
 */
export async function measureSimdPeak(kind: SimdKind, threads: number): Promise<SimdPeakFigure> {
  let best = { chains: 0, gflops: 0 };
  // Enough chains hide the latency; too many spill (x64 has 16 xmm registers): the fastest count is found, not assumed.
  for (const chains of CHAIN_COUNTS) {
    const [rates] = await timeThreads(simdPeakModule(chains, kind), chains, 1, 8);
    const gflops = Math.max(...rates);
    if (gflops > best.gflops) best = { chains, gflops };
  }
  const bytes = simdPeakModule(best.chains, kind);
  const [alone] = await timeThreads(bytes, best.chains, 1, 12);
  const perThreadGflops = Math.max(best.gflops, ...alone);
  let allThreadsGflops = perThreadGflops;
  // Twice, keeping the better: on a shared machine one try can lose a core to other work.
  for (let attempt = 0; attempt < 2 && threads > 1; attempt++) {
    const together = await timeThreads(bytes, best.chains, threads, 25);
    const sums = together[0].map((_, call) => together.reduce((total, rates) => total + rates[call], 0));
    allThreadsGflops = Math.max(allThreadsGflops, ...sums);
  }
  return { kind, chains: best.chains, perThreadGflops, threads, allThreadsGflops, engineFlag: null };
}

/**
 * Both ceilings: mul+add here, relaxed_madd here if the engine has it, else
 * in a child Node started with the flag that enables it.
 */
export async function simdPeak(threads: number): Promise<SimdPeak> {
  const mulAdd = await measureSimdPeak('mul+add', threads);
  let relaxedMadd: SimdPeakFigure | string;
  if (validates(simdPeakModule(4, 'relaxed-madd'))) {
    relaxedMadd = await measureSimdPeak('relaxed-madd', threads);
  } else {
    try {
      const script = fileURLToPath(import.meta.url);
      const output = execFileSync(process.execPath, [RELAXED_FLAG, script, '--relaxed', '--threads', String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      relaxedMadd = { ...(JSON.parse(output) as SimdPeakFigure), engineFlag: RELAXED_FLAG };
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      relaxedMadd = `not measured: Node ${process.version} cannot compile relaxed_madd, not even with ${RELAXED_FLAG} (${message})`;
    }
  }
  return { mulAdd, relaxedMadd };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { threads: { type: 'string' }, relaxed: { type: 'boolean', default: false } } });
  const threads = values.threads === undefined ? availableParallelism() : Number(values.threads);
  const figure = await measureSimdPeak(values.relaxed ? 'relaxed-madd' : 'mul+add', threads);
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
