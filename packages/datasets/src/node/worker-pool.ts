import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ValueError } from '@fathom/core';
import { loadSharp } from './decode-image.js';
import { errorFromResult, type ImageTask, type ImageTaskResult } from './image-task.js';

// Tasks sent to one worker before it answers: two keep it busy while it waits on a file read or a decode.
const TASKS_PER_WORKER = 2;
// How long close() waits for a worker to exit by itself before terminating it.
const CLOSE_TIMEOUT_MS = 10_000;

interface PendingTask {
  readonly task: ImageTask;
  readonly resolve: (result: Extract<ImageTaskResult, { ok: true }>) => void;
  readonly reject: (error: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly running: Map<number, PendingTask>;
  exited: boolean;
}

/**
 * The worker script. Compiled code finds it beside this file; the package's
 * own tests run the TypeScript sources, and a worker thread needs JavaScript,
 * so there it is the build's copy (turbo builds the package before its tests).
 */
function workerScript(): URL {
  const here = import.meta.url;
  const script = here.endsWith('.ts') ? new URL('../../dist/node/image-worker.js', here) : new URL('./image-worker.js', here);
  if (!existsSync(fileURLToPath(script))) {
    throw new Error(`ImageFolder workers: the worker script ${fileURLToPath(script)} is missing; build @fathom/datasets first (pnpm build)`);
  }
  return script;
}

/**
 * A fixed set of worker threads that decode and transform images. Workers
 * start on the first task and hold the process open only while they have
 * work, so a script that never calls {@link close} still exits. @internal
 */
export class ImageWorkerPool {
  readonly size: number;
  private workers: PoolWorker[] = [];
  private readonly queue: (PendingTask & { readonly id: number })[] = [];
  private nextId = 0;
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(size: number) {
    this.size = size;
  }

  /** Runs `task` on a worker. */
  async run(task: ImageTask): Promise<Extract<ImageTaskResult, { ok: true }>> {
    if (this.closed) throw new ValueError('ImageFolder: the dataset was closed; its workers are gone');
    this.starting ??= this.start();
    await this.starting;
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.dispatch();
    });
  }

  /** Waits for the tasks in flight, then lets every worker exit; later tasks are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.starting?.catch(() => undefined);
    // Tasks not yet sent to a worker will never run.
    for (const pending of this.queue.splice(0)) pending.reject(new ValueError('ImageFolder: closed before this image was decoded'));
    await Promise.all(this.workers.map((poolWorker) => this.retire(poolWorker)));
    this.workers = [];
  }

  private async start(): Promise<void> {
    // sharp must be loaded by the main thread before any worker loads it.
    await loadSharp();
    const script = workerScript();
    for (let i = 0; i < this.size; i++) this.workers.push(this.spawn(script));
  }

  private spawn(script: URL): PoolWorker {
    // Workers inherit the process's Node flags; --input-type only applies to --eval and makes a worker fail to start.
    const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
    const worker = new Worker(script, { execArgv });
    const poolWorker: PoolWorker = { worker, running: new Map(), exited: false };
    worker.unref();
    worker.on('message', (result: ImageTaskResult) => {
      const pending = poolWorker.running.get(result.id);
      if (pending === undefined) return;
      poolWorker.running.delete(result.id);
      if (poolWorker.running.size === 0) worker.unref();
      if (result.ok) pending.resolve(result);
      else pending.reject(errorFromResult(result));
      this.dispatch();
    });
    const fail = (error: Error): void => {
      poolWorker.exited = true;
      for (const pending of poolWorker.running.values()) pending.reject(error);
      poolWorker.running.clear();
      if (!this.closed) {
        // Replace the lost worker so the pool keeps its size.
        const index = this.workers.indexOf(poolWorker);
        if (index >= 0) this.workers[index] = this.spawn(script);
        this.dispatch();
      }
    };
    worker.on('error', (error) => fail(new Error(`ImageFolder worker failed: ${error.message}`)));
    worker.on('exit', (code) => {
      // After close() this is the expected exit (nothing is running any more); otherwise a crash.
      if (!poolWorker.exited) fail(new Error(`ImageFolder worker exited unexpectedly with code ${code}`));
    });
    return poolWorker;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let target: PoolWorker | undefined;
      for (const poolWorker of this.workers) {
        if (poolWorker.exited || poolWorker.running.size >= TASKS_PER_WORKER) continue;
        if (target === undefined || poolWorker.running.size < target.running.size) target = poolWorker;
      }
      if (target === undefined) return;
      const pending = this.queue.shift() as PendingTask & { id: number };
      if (target.running.size === 0) target.worker.ref();
      target.running.set(pending.id, pending);
      target.worker.postMessage({ type: 'task', id: pending.id, ...pending.task });
    }
  }

  private async retire(poolWorker: PoolWorker): Promise<void> {
    if (poolWorker.exited) return;
    const { worker } = poolWorker;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref(); // keep the process alive until the worker has gone
    worker.postMessage({ type: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
    });
    if ((await Promise.race([exited, timedOut])) === 'timeout') await worker.terminate();
    clearTimeout(timer);
    poolWorker.exited = true;
  }
}
