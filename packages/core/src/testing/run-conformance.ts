import {
  isFathomError, isTensorLike, memoryStats, registerBackend, scope, unregisterBackend,
  type Backend, type DType, type MemoryStats, type Tensor,
} from '../index.js';
import { assertClose, toleranceFor, type Tolerance } from './compare.js';
import { makeInput } from './make-input.js';
import type { OpErrorCase, OpSample, OpSpec, ReferenceTensor, SampleInput, ToleranceTier } from './op-spec.js';
import { seededRandom } from './reference.js';
import { allSpecs } from './specs/index.js';

/** The few functions of a test runner the kit needs; vitest's, jest's and mocha's fit. */
export interface ConformanceHarness {
  /** Groups the cases of one op. */
  describe(name: string, fn: () => void): void;
  /** Registers one case. */
  it(name: string, fn: () => Promise<void> | void): void;
  /** Runs once before the cases (registers the backend). */
  beforeAll?(fn: () => Promise<void> | void): void;
  /** Runs once after the cases (restores the registry, destroys a backend the kit created). */
  afterAll?(fn: () => Promise<void> | void): void;
}

/** What {@link runConformance} checks and how. */
export interface ConformanceOptions {
  /** The backend under test, or a function creating it (awaited before the first test; destroyed after the last). */
  readonly backend: Backend | (() => Backend | Promise<Backend>);
  readonly harness: ConformanceHarness;
  /** The ops to check; default {@link allSpecs}. */
  readonly specs?: readonly OpSpec[];
  /** Only the specs with these names (an unknown name is a failing test, not a silent no-op). */
  readonly only?: readonly string[];
  /** Replaces the tolerance of some tiers (default: {@link toleranceFor} the backend's name). */
  readonly tolerances?: Partial<Record<ToleranceTier, Tolerance>>;
}

function asList<T extends object>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

// FNV-1a, so each op's samples come from their own fixed seed whatever runs beside them.
function seedOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

function usesDType(inputs: readonly SampleInput[], dtype: DType): boolean {
  return inputs.some((input) => input.value.dtype === dtype);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function checkMemory(before: MemoryStats, after: MemoryStats, context: string): void {
  const changes: string[] = [];
  for (const key of ['tensors', 'storages', 'bytes'] as const) {
    if (after[key] !== before[key]) changes.push(`${key} ${before[key]} → ${after[key]}`);
  }
  if (changes.length > 0) throw new Error(`${context}: memory did not return to where it started (${changes.join(', ')})`);
}

// Every tensor reachable in an op's return value (a tensor, or arrays / objects of them).
function tensorsIn(value: unknown, found: Tensor[] = [], depth = 0): Tensor[] {
  if (depth > 4 || value === null || typeof value !== 'object') return found;
  if (isTensorLike(value)) found.push(value);
  else for (const item of Array.isArray(value) ? value : Object.values(value)) tensorsIn(item, found, depth + 1);
  return found;
}

function disposeAll(tensors: readonly unknown[]): void {
  for (const t of tensors) if (isTensorLike(t)) t.dispose();
}

interface Context {
  backend(): Promise<Backend>;
  tolerance(backend: Backend, tier: ToleranceTier): Tolerance;
}

async function makeInputs(inputs: readonly SampleInput[], device: string, made: Tensor[]): Promise<void> {
  for (const input of inputs) made.push(await makeInput(input, device));
}

async function checkSample(context: Context, spec: OpSpec, sample: OpSample): Promise<void> {
  const backend = await context.backend();
  registerBackend(backend);
  const device = backend.name;
  const label = `${spec.name} › ${sample.name} on ${device}`;
  if (usesDType(sample.inputs, 'float64') && !backend.capabilities.dtypes.includes('float64')) {
    await checkUnsupportedFloat64(sample.inputs, device, label);
    return;
  }
  const expected = asList<ReferenceTensor>(sample.reference(sample.inputs.map((input) => input.value)));
  if (expected.some((t) => t.dtype === 'float64') && !backend.capabilities.dtypes.includes('float64')) {
    await checkRejectsFloat64Output(sample, device, label);
    return;
  }
  const before = memoryStats(device);
  const inputs: Tensor[] = [];
  let outputs: readonly Tensor[] = [];
  try {
    await makeInputs(sample.inputs, device, inputs);
    const result = scope(() => sample.run(inputs));
    outputs = asList(result);
    if (outputs.some((t) => !isTensorLike(t))) throw new Error(`${label}: run() must return a tensor or an array of tensors`);
    if (outputs.length !== expected.length) {
      throw new Error(`${label}: the op returned ${outputs.length} tensors, the reference ${expected.length}`);
    }
    const tolerance = context.tolerance(backend, sample.tier ?? spec.tier);
    for (let k = 0; k < outputs.length; k++) {
      const output = outputs[k];
      const data = await output.data();
      const where = outputs.length > 1 ? `${label} (output ${k})` : label;
      assertClose({ shape: output.shape, data, dtype: output.dtype }, expected[k], tolerance, where);
    }
  } finally {
    disposeAll(outputs);
    disposeAll(inputs);
  }
  checkMemory(before, memoryStats(device), label);
}

// A backend without float64, created by a factory so its capabilities were
// unknown when the tests were registered: its float64 samples must fail loudly
// (a DeviceError naming the dtype), never compute something else.
async function checkUnsupportedFloat64(inputs: readonly SampleInput[], device: string, label: string): Promise<void> {
  const before = memoryStats(device);
  const input = inputs.find((candidate) => candidate.value.dtype === 'float64') as SampleInput;
  let made: Tensor | undefined;
  try {
    made = await makeInput(input, device);
  } catch (error) {
    if (!isFathomError(error, 'DeviceError') || !error.message.includes('float64')) {
      throw new Error(`${label}: device '${device}' lacks float64, so making a float64 input must throw a DeviceError naming float64; got ${describeError(error)}`);
    }
    checkMemory(before, memoryStats(device), label);
    return;
  }
  made.dispose();
  throw new Error(`${label}: device '${device}' does not list float64 in its capabilities, yet made a float64 tensor`);
}

// An op asked for a float64 result on a backend without float64 must say so
// (a DeviceError naming float64) rather than return another dtype.
async function checkRejectsFloat64Output(sample: OpSample, device: string, label: string): Promise<void> {
  const before = memoryStats(device);
  const inputs: Tensor[] = [];
  let leftovers: Tensor[] = [];
  let thrown: { error: unknown } | undefined;
  try {
    await makeInputs(sample.inputs, device, inputs);
    try {
      leftovers = tensorsIn(scope(() => sample.run(inputs)));
    } catch (error) {
      thrown = { error };
    }
  } finally {
    disposeAll(leftovers);
    disposeAll(inputs);
  }
  if (!thrown) throw new Error(`${label}: device '${device}' lacks float64, yet the op returned instead of throwing a DeviceError naming float64`);
  if (!isFathomError(thrown.error, 'DeviceError') || !thrown.error.message.includes('float64')) {
    throw new Error(`${label}: device '${device}' lacks float64, so a float64 result must throw a DeviceError naming float64; got ${describeError(thrown.error)}`);
  }
  checkMemory(before, memoryStats(device), label);
}

async function checkErrorCase(context: Context, spec: OpSpec, errorCase: OpErrorCase): Promise<void> {
  const backend = await context.backend();
  registerBackend(backend);
  const device = backend.name;
  const label = `${spec.name} › ${errorCase.name} on ${device}`;
  if (usesDType(errorCase.inputs, 'float64') && !backend.capabilities.dtypes.includes('float64')) {
    await checkUnsupportedFloat64(errorCase.inputs, device, label);
    return;
  }
  const expectation = `${errorCase.kind} whose message contains '${errorCase.message}'`;
  const before = memoryStats(device);
  const inputs: Tensor[] = [];
  let leftovers: Tensor[] = [];
  try {
    await makeInputs(errorCase.inputs, device, inputs);
    let thrown: { error: unknown } | undefined;
    try {
      const result = scope(() => errorCase.run(inputs));
      leftovers = tensorsIn(result);
      if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') leftovers = tensorsIn(await result);
    } catch (error) {
      thrown = { error };
    }
    // Where the check needs a read-back the device cannot do mid-op, returning normally is allowed (not crashing or leaking is still checked).
    const unchecked = errorCase.needsSyncRead === true && !backend.capabilities.syncRead;
    if (!thrown) {
      if (!unchecked) throw new Error(`${label}: expected ${expectation}, but the op returned normally`);
    } else {
      const { error } = thrown;
      if (!isFathomError(error, errorCase.kind)) throw new Error(`${label}: expected ${expectation}, got ${describeError(error)}`);
      if (!error.message.includes(errorCase.message)) throw new Error(`${label}: expected ${expectation}, got the message '${error.message}'`);
    }
  } finally {
    disposeAll(leftovers);
    disposeAll(inputs);
  }
  checkMemory(before, memoryStats(device), label);
}

/**
 * Registers the whole conformance suite on a test runner: one `describe` per
 * op, one test per sample (compared with its float64 reference at the op's
 * tolerance tier) and per error case, each followed by a check that the
 * device's tensor, storage and byte counts returned to where they started.
 *
 * ```ts
 * import { describe, it, beforeAll, afterAll } from 'vitest';
 * import { createCpuBackend } from '@fathom/core/backend';
 * import { runConformance } from '@fathom/core/testing';
 * runConformance({ backend: createCpuBackend(), harness: { describe, it, beforeAll, afterAll } });
 * ```
 */
export function runConformance(options: ConformanceOptions): void {
  const { harness } = options;
  const given = typeof options.backend === 'function' ? undefined : options.backend;
  const factory = typeof options.backend === 'function' ? options.backend : undefined;
  let ready: Promise<Backend> | undefined;
  let previous: Backend | undefined;
  const context: Context = {
    backend() {
      ready ??= (async () => {
        const backend = factory ? await factory() : (given as Backend);
        previous = registerBackend(backend);
        return backend;
      })();
      return ready;
    },
    tolerance(backend, tier) {
      return options.tolerances?.[tier] ?? toleranceFor(backend.name, tier);
    },
  };
  const available = options.specs ?? allSpecs;
  const specs = options.only ? available.filter((spec) => options.only?.includes(spec.name)) : available;
  const unknown = (options.only ?? []).filter((name) => !available.some((spec) => spec.name === name));

  harness.describe(`conformance: ${given ? `device '${given.name}'` : 'backend'}`, () => {
    harness.beforeAll?.(async () => {
      await context.backend();
    });
    harness.afterAll?.(async () => {
      if (!ready) return;
      const backend = await ready;
      if (previous) registerBackend(previous);
      else unregisterBackend(backend.name);
      if (factory) await backend.destroy();
    });
    for (const name of unknown) {
      harness.it(`only: no spec is named '${name}'`, () => {
        throw new Error(`runConformance: 'only' names '${name}', which matches no spec (known: ${available.map((s) => s.name).join(', ')})`);
      });
    }
    for (const spec of specs) harness.describe(spec.name, () => registerSpec(harness, context, spec, given));
  });
}

function registerSpec(harness: ConformanceHarness, context: Context, spec: OpSpec, given: Backend | undefined): void {
  let samples: readonly OpSample[];
  let errors: readonly OpErrorCase[];
  try {
    samples = spec.samples(seededRandom(seedOf(spec.name)));
    errors = spec.errors?.(seededRandom(seedOf(`${spec.name} errors`))) ?? [];
  } catch (error) {
    harness.it('samples', () => {
      throw new Error(`${spec.name}: building its samples threw ${describeError(error)}`);
    });
    return;
  }
  if (samples.length === 0) {
    harness.it('samples', () => {
      throw new Error(`${spec.name}: the spec declares no samples`);
    });
  }
  // With the backend in hand, samples it cannot hold are left out under one
  // test that names why; from a factory, each sample checks at run time.
  const lacksFloat64 = given !== undefined && !given.capabilities.dtypes.includes('float64');
  let leftOut = 0;
  for (const sample of samples) {
    if (lacksFloat64 && usesDType(sample.inputs, 'float64')) leftOut++;
    else harness.it(sample.name, () => checkSample(context, spec, sample));
  }
  for (const errorCase of errors) {
    if (lacksFloat64 && usesDType(errorCase.inputs, 'float64')) leftOut++;
    else harness.it(`throws ${errorCase.kind}: ${errorCase.name}`, () => checkErrorCase(context, spec, errorCase));
  }
  if (leftOut > 0 && given) {
    const device = given.name;
    harness.it(`float64 samples: not supported by ${device} (capabilities)`, () => {
      if (given.capabilities.dtypes.includes('float64')) {
        throw new Error(`${spec.name}: ${leftOut} float64 cases were left out, yet '${device}' lists float64 among its dtypes`);
      }
    });
  }
}
