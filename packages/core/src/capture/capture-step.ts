import type { Backend, BackendBuffer, View } from '../backend.js';
import { getBackend, registeredDevices } from '../device.js';
import { ValueError } from '../errors.js';
import { scope } from '../scope.js';
import { Storage } from '../storage.js';
import { Tensor } from '../tensor.js';
import { freeArena, holdArena, StepRecorder } from './recorder.js';
import { orderCopies } from './carried-state.js';
import { Arena, Tape } from './tape.js';
import { valueCheckHook, viewValues } from './value-check.js';

/** What a captured step returns: a tensor or an array of tensors. */
export type StepOutputs = Tensor | readonly Tensor[];

/** Options of {@link captureStep}. */
export interface CaptureStepOptions {
  /** Steps recorded, at most, looking for two in a row that do the same work (default 4). */
  readonly maxRecordedSteps?: number;
}

/** Where a {@link CapturedStep} is: recording eager steps, replaying one, or eager for good (see `reason`). */
export type CaptureMode = 'recording' | 'replaying' | 'eager';

/**
 * A training step that, once two steps in a row did the same work, runs by
 * replaying the kernels of the last one. Call it as the step itself.
 */
export interface CapturedStep<T extends StepOutputs> {
  /** Runs one step; its outputs are valid until the next call (a replay writes the same buffers). */
  (): T;
  readonly mode: CaptureMode;
  /** Why the step runs eagerly for good, or null. */
  readonly reason: string | null;
  /** Steps run by replay so far. */
  readonly replays: number;
  /** Records again (after changing a hyper-parameter the step reads, e.g. a new learning rate). */
  reset(): void;
  /** Returns the step's buffers to the device; calls after this run eagerly. */
  dispose(): void;
}

interface Capture {
  readonly backend: Backend;
  readonly arena: Arena;
  readonly recorder: StepRecorder;
}

interface Replay {
  readonly backend: Backend;
  readonly arena: Arena;
  readonly tape: Tape;
  readonly zeros: Set<BackendBuffer>;
  /** (this step's buffer → the buffer the step reads that state from), as whole views: copied before each replay. */
  readonly carried: readonly (readonly [View, View])[];
  readonly outputs: readonly Tensor[];
  readonly single: boolean;
}

function outputsOf(value: StepOutputs): { tensors: readonly Tensor[]; single: boolean } {
  if (value instanceof Tensor) return { tensors: [value], single: true };
  if (Array.isArray(value) && value.every((item) => item instanceof Tensor)) return { tensors: value, single: false };
  throw new ValueError('captureStep: the step must return a tensor or an array of tensors (what you read after it, e.g. the loss)');
}

/**
 * Captures a training step, as CUDA graphs and `torch.compile` do for
 * PyTorch: the first steps run eagerly while their kernel calls, allocations
 * and uploads are recorded; once two steps in a row did the same work (same
 * kernels, shapes and arguments, the same buffers in the same roles), later
 * calls replay the last one's kernels on the same buffers, with none of the
 * work of ops, autograd and the optimizer in JavaScript. Results are those of
 * the eager step, bit for bit: the same kernels run in the same order.
 *
 * State a step makes anew each time (SGD's momentum buffer) is carried over
 * by a copy before each replay. A step that differs from the one before in
 * any way stays eager, with the difference in `reason`: one that draws random
 * numbers (dropout), reads a value it computed (`.item()` inside the step),
 * or changes a scalar every step (Adam's bias correction). Host-side checks
 * of input values (label ranges) run while recording, not on replays. A
 * hyper-parameter changed after capture is not seen until {@link
 * CapturedStep.reset}. Write each batch into the same input tensors with
 * `copy_` before calling the step.
 *
 * ```ts
 * const x = zeros([64, 1, 28, 28]), y = zeros([64], { dtype: 'int32' });
 * const step = captureStep(() => {
 *   optimizer.zeroGrad();
 *   const loss = crossEntropy(model.forward(x), y);
 *   loss.backward();
 *   optimizer.step();
 *   return loss;
 * });
 * for (const [images, labels] of loader) {
 *   x.copy_(images); y.copy_(labels);
 *   console.log(await step().item());
 * }
 * ```
 */
export function captureStep<T extends StepOutputs>(fn: () => T, options: CaptureStepOptions = {}): CapturedStep<T> {
  const maxRecorded = options.maxRecordedSteps ?? 4;
  if (!Number.isInteger(maxRecorded) || maxRecorded < 2) {
    throw new ValueError(`captureStep: maxRecordedSteps must be an integer ≥ 2 (two steps are compared), got ${maxRecorded}`);
  }
  let mode: CaptureMode = 'recording';
  let reason: string | null = null;
  let replays = 0;
  let recorded = 0;
  let captures: Capture[] | null = null;
  let tapes = new Map<Backend, Tape>();
  let replay: Replay | null = null;

  const giveUp = (why: string): void => {
    mode = 'eager';
    reason = why;
    release();
  };

  const release = (): void => {
    for (const capture of captures ?? []) freeArena(capture.arena);
    captures = null;
    tapes = new Map();
    replay = null;
  };

  const prepare = (): Capture[] | null => {
    const made: Capture[] = [];
    for (const device of registeredDevices()) {
      const backend = getBackend(device);
      const arena = new Arena(backend, backend.allocate);
      if (!holdArena(arena)) {
        giveUp(`device '${backend.name}' does not let its release calls be wrapped (a frozen backend object)`);
        for (const capture of made) freeArena(capture.arena);
        return null;
      }
      made.push({ backend, arena, recorder: new StepRecorder(backend, arena) });
    }
    return made;
  };

  const record = (): T => {
    captures ??= prepare();
    if (captures === null) return fn();
    const step = new Map<Backend, Tape>();
    const started: StepRecorder[] = [];
    let result: T;
    try {
      for (const capture of captures) {
        const tape = new Tape(tapes.get(capture.backend) ?? null);
        const why = capture.recorder.start(tape);
        if (why !== null) throw new CaptureRefusal(why);
        started.push(capture.recorder);
        step.set(capture.backend, tape);
      }
      valueCheckHook.record = (backend, view, check) => step.get(backend)?.checked(view, check);
      result = scope(fn);
    } catch (error) {
      valueCheckHook.record = null;
      for (const recorder of started) recorder.stop();
      if (!(error instanceof CaptureRefusal)) throw error;
      giveUp(error.message);
      return fn();
    }
    valueCheckHook.record = null;
    for (const recorder of started) recorder.stop();
    recorded++;
    const previous = tapes;
    tapes = step;
    decide(previous, step, result);
    return result;
  };

  // After a recorded step: replay it from now on if it did what the one before did.
  const decide = (previous: Map<Backend, Tape>, step: Map<Backend, Tape>, result: T): void => {
    const used = [...step].filter(([, tape]) => tape.entries.length > 0);
    if (used.length > 1) return giveUp(`the step runs on ${used.length} devices (${used.map(([backend]) => backend.name).join(', ')}); one is captured`);
    const dependent = used.find(([, tape]) => tape.dataDependence !== null);
    if (dependent) return giveUp(dependent[1].dataDependence!);
    const { tensors, single } = outputsOf(result);
    if (used.length === 0) return giveUp('the step ran no kernels');
    const [backend, tape] = used[0];
    const arena = captures!.find((capture) => capture.backend === backend)!.arena;
    if (tensors.some((tensor) => tensor.backend !== backend)) return giveUp(`the step returns tensors of another device than '${backend.name}'`);
    const before = previous.get(backend);
    const signature = tape.signature();
    if (before && before.entries.length > 0 && before.signature().text === signature.text) {
      const carried: [BackendBuffer, BackendBuffer][] = [];
      for (const [index, readAs] of signature.carried) {
        const made = tape.bufferAt(index);
        if (made === undefined) return giveUp('a buffer carried from step to step has no counterpart in the next step');
        if (made !== readAs) carried.push([made, readAs]);
      }
      const copies = orderCopies(carried, arena).map(([from, to]) => [wholeView(from), wholeView(to)] as const);
      replay = { backend, arena, tape, zeros: tape.needsZeros(), carried: copies, outputs: tensors, single };
      mode = 'replaying';
      return;
    }
    if (recorded >= maxRecorded) {
      giveUp(`no two of the first ${maxRecorded} steps did the same work (the kernels, their arguments or the buffers differ: a random draw, a changing scalar such as Adam's step count, or shapes that change)`);
    }
  };

  const run = (): T => {
    const r = replay!;
    const { backend } = r;
    const kernels = backend.kernels;
    for (const [from, to] of r.carried) kernels.copy(from, to);
    for (const entry of r.tape.entries) {
      if (entry.kind === 'kernel') (kernels[entry.kernel] as (...args: unknown[]) => void).apply(kernels, entry.args as unknown[]);
      else if (entry.kind === 'allocate') {
        if (r.zeros.has(entry.buffer)) kernels.fill(entry.buffer, 0);
      } else if (entry.kind === 'check') {
        entry.check(viewValues(backend.readSync!(entry.view.buffer), entry.view));
      } else backend.upload(entry.buffer, entry.data);
    }
    replays++;
    // Fresh tensors on the same buffers, so that a caller's scope may release them (back to the arena).
    const tensors = r.outputs.map((tensor) => {
      r.arena.revive(tensor.storage.buffer);
      return new Tensor(new Storage(backend, tensor.storage.buffer), tensor.shape, tensor.strides, tensor.offset, tensor.madeBy);
    });
    return (r.single ? tensors[0] : tensors) as unknown as T;
  };

  const step = (() => {
    if (mode === 'replaying') return run();
    if (mode === 'recording') return record();
    return fn();
  }) as CapturedStep<T>;
  Object.defineProperties(step, {
    mode: { get: () => mode },
    reason: { get: () => reason },
    replays: { get: () => replays },
  });
  step.reset = () => {
    release();
    mode = 'recording';
    reason = null;
    recorded = 0;
  };
  step.dispose = () => {
    release();
    mode = 'eager';
    reason = 'disposed';
  };
  return step;
}

/** A refusal while starting to record (the step then runs eagerly, with this as its reason). */
class CaptureRefusal extends Error {}

function wholeView(buffer: BackendBuffer): View {
  return { buffer, shape: [buffer.length], strides: [1], offset: 0 };
}
