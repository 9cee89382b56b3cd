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
  /** Row-major C = A·B (m×k by k×n) at the given addresses; for benchmarks. */
  readonly fathom_sgemm: (m: number, n: number, k: number, a: number, b: number, c: number) => void;
  /** Sets `bytes` bytes from `address` to zero. */
  readonly fathom_zero: (address: number, bytes: number) => void;
  readonly fathom_set_threads: (threads: number, mainMayWait: number) => void;
  readonly fathom_worker_main: (thread: number) => void;
  readonly fathom_threads_quit: () => void;
  readonly fathom_worker_failed: (thread: number) => void;
}

/** Names of the kernel entry points. */
export type KernelName = { [K in keyof FathomExports]: FathomExports[K] extends KernelEntry ? K : never }[keyof FathomExports];
