/** A kernel entry point: reads its arguments from the parameter block, returns 0 or an error code. */
export type KernelEntry = (ints: number, floats: number) => number;

/** What csrc/*.c exports (see the EXPORT(...) functions there). */
export interface FathomExports {
  readonly __heap_base: WebAssembly.Global;
  readonly __stack_pointer: WebAssembly.Global;
  readonly fathom_fill: KernelEntry;
  readonly fathom_copy: KernelEntry;
  readonly fathom_unary: KernelEntry;
  readonly fathom_binary: KernelEntry;
  readonly fathom_where: KernelEntry;
  readonly fathom_reduce: KernelEntry;
  readonly fathom_arg_reduce: KernelEntry;
  readonly fathom_matmul: KernelEntry;
  readonly fathom_conv2d: KernelEntry;
  readonly fathom_conv2d_input_grad: KernelEntry;
  readonly fathom_conv2d_weight_grad: KernelEntry;
  readonly fathom_max_pool2d: KernelEntry;
  readonly fathom_max_pool2d_grad: KernelEntry;
  readonly fathom_avg_pool2d: KernelEntry;
  readonly fathom_avg_pool2d_grad: KernelEntry;
  readonly fathom_adaptive_avg_pool2d: KernelEntry;
  readonly fathom_adaptive_avg_pool2d_grad: KernelEntry;
  readonly fathom_gather: KernelEntry;
  readonly fathom_scatter_add: KernelEntry;
  readonly fathom_random_fill: KernelEntry;
  readonly fathom_sgd_step: KernelEntry;
  readonly fathom_channel_affine: KernelEntry;
  readonly fathom_log_softmax: KernelEntry;
  readonly fathom_batch_norm: KernelEntry;
  readonly fathom_batch_norm_backward: KernelEntry;
  /** Row-major C = A·B (m×k by k×n) at the given addresses; for benchmarks. */
  readonly fathom_sgemm: (m: number, n: number, k: number, a: number, b: number, c: number) => void;
  /** Sets `bytes` bytes from `address` to zero. */
  readonly fathom_zero: (address: number, bytes: number) => void;
  readonly fathom_set_threads: (threads: number, mainMayWait: number) => void;
  /** Turns the kernel queue on (before the workers start: worker 1 runs it) or off. */
  readonly fathom_queue_enable: (on: number) => void;
  /** Enqueues an argument block (a kernel code, then the ints and doubles at their addresses); returns the first refusal not yet reported. */
  readonly fathom_enqueue: (code: number, ints: number, intCount: number, floats: number, floatCount: number) => number;
  /** Waits until the first `kernels` kernels enqueued have run; returns the first refusal not yet reported, or −1 when a worker died. */
  readonly fathom_queue_wait: (kernels: number) => number;
  /** How many of the kernels enqueued have run. */
  readonly fathom_queue_kernels_run: () => number;
  /** Clears the reported refusal; returns the number of the kernel that made it. */
  readonly fathom_queue_take_failure: () => number;
  readonly fathom_worker_main: (thread: number) => void;
  readonly fathom_threads_quit: () => void;
  readonly fathom_worker_failed: (thread: number) => void;
}

/** Names of the kernel entry points. */
export type KernelName = {
  // The queue's exports that take no arguments are assignable to KernelEntry too: count the parameters.
  [K in keyof FathomExports]: FathomExports[K] extends KernelEntry ? (Parameters<FathomExports[K]>['length'] extends 2 ? K : never) : never;
}[keyof FathomExports];
