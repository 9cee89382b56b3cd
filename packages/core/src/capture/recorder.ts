import type { Backend, BackendBuffer, Kernels } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { Arena, Tape } from './tape.js';

type Patchable = 'kernels' | 'allocate' | 'release' | 'upload' | 'read' | 'readSync';

// Puts a member of a backend back as it was: an own property restored, an inherited one uncovered.
function restorer(backend: Backend, member: Patchable): () => void {
  const own = Object.getOwnPropertyDescriptor(backend, member);
  return () => {
    if (own) Object.defineProperty(backend, member, own);
    else Reflect.deleteProperty(backend, member);
  };
}

function patch(backend: Backend, member: Patchable, value: unknown, undo: (() => void)[]): boolean {
  const restore = restorer(backend, member);
  if (!Reflect.set(backend, member, value)) return false;
  undo.push(restore);
  return true;
}

/**
 * Where a captured step's buffers go when core releases them: back to the
 * step's arena, never to the backend, for as long as the step lives (a
 * replay writes them). One hook per backend, shared by its captured steps.
 */
const releaseHooks = new Map<Backend, { readonly arenas: Set<Arena>; readonly undo: () => void }>();

/** Routes releases of `arena`'s buffers to it; false where the backend cannot be patched. */
export function holdArena(arena: Arena): boolean {
  const backend = arena.backend;
  let hook = releaseHooks.get(backend);
  if (!hook) {
    const release = backend.release;
    const arenas = new Set<Arena>();
    const undo: (() => void)[] = [];
    const routed = function (this: Backend, buffer: BackendBuffer): void {
      for (const owner of arenas) {
        if (owner.owned.has(buffer)) return owner.release(buffer);
      }
      release.call(this, buffer);
    };
    if (!patch(backend, 'release', routed, undo)) return false;
    hook = { arenas, undo: undo[0] };
    releaseHooks.set(backend, hook);
  }
  hook.arenas.add(arena);
  return true;
}

/** Stops routing `arena`'s releases; returns its buffers to the backend. */
export function freeArena(arena: Arena): void {
  const hook = releaseHooks.get(arena.backend);
  if (hook) {
    hook.arenas.delete(arena);
    if (hook.arenas.size === 0) {
      hook.undo();
      releaseHooks.delete(arena.backend);
    }
  }
  arena.dispose((buffer) => arena.backend.release(buffer));
}

/**
 * Records one step on one backend into a {@link Tape}: its kernel table and
 * memory calls are wrapped while the step runs, allocations are served by
 * the arena, and everything else passes through unchanged.
 */
export class StepRecorder {
  private undo: (() => void)[] = [];

  constructor(readonly backend: Backend, readonly arena: Arena) {}

  /** Starts recording into `tape`; returns why the backend cannot be recorded, or null. */
  start(tape: Tape): string | null {
    const { backend, arena } = this;
    const kernels = backend.kernels;
    arena.zeroWith(kernels);
    const wrapped = Object.create(kernels) as Record<keyof Kernels, (...args: unknown[]) => void>;
    for (const kernel of Object.keys(kernels) as (keyof Kernels)[]) {
      const run = kernels[kernel] as (...args: unknown[]) => void;
      if (typeof run !== 'function') continue;
      wrapped[kernel] = (...args: unknown[]): void => {
        tape.called(kernel, args);
        run.apply(kernels, args);
      };
    }
    const upload = backend.upload;
    const read = backend.read;
    const readSync = backend.readSync;
    const undo = this.undo;
    const patched =
      patch(backend, 'kernels', wrapped, undo) &&
      patch(backend, 'allocate', (dtype: BackendBuffer['dtype'], length: number) => {
        const buffer = arena.allocate(dtype, length);
        tape.allocated(buffer);
        return buffer;
      }, undo) &&
      patch(backend, 'upload', (buffer: BackendBuffer, data: TypedArray) => {
        tape.uploaded(buffer, data);
        upload.call(backend, buffer, data);
      }, undo) &&
      patch(backend, 'read', (buffer: BackendBuffer) => {
        tape.read(buffer, arena);
        return read.call(backend, buffer);
      }, undo) &&
      (readSync === undefined || patch(backend, 'readSync', (buffer: BackendBuffer) => {
        tape.read(buffer, arena);
        return readSync.call(backend, buffer);
      }, undo));
    if (patched) return null;
    this.stop();
    return `device '${backend.name}' does not let its kernel table and memory calls be wrapped (a frozen backend object)`;
  }

  stop(): void {
    for (const restore of this.undo.reverse()) restore();
    this.undo = [];
  }
}
