// A fork-join pool over one shared linear memory.
//
// Every worker runs fathom_worker_main in its own instance of this module.
// The job below lives in linear memory, so all instances see it; only wasm
// globals (the stack pointer) are per instance. The calling thread publishes
// a job by bumping `generation`, works on it too, then spins until every
// worker has reported the generation done. Tasks are claimed with an atomic
// counter, so a slow worker simply takes fewer.
//
// In the single-threaded build (no -matomics) the atomics compile to plain
// loads and stores and fathom_set_threads is never called with more than 1.
#include "fathom.h"

typedef struct {
  volatile TaskFn fn;
  void* volatile args;
  volatile int count;
  int next;        // next task to claim (atomic)
  int finished;    // workers done with this generation (atomic)
  int generation;  // bumped once per job (atomic; workers wait on it)
  int quit;        // set once by fathom_threads_quit
  int failed;      // a worker trapped (set by fathom_worker_failed)
} Job;

static Job job;
static int threads = 1;
static int mainMayWait = 0;  // whether the calling thread may block (not a browser's main thread)

#define LOAD(p) __atomic_load_n(p, __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST)

// `mayWait`: the calling thread may block in memory.atomic.wait (Node's main
// thread and workers may; a browser's main thread may not, and spins).
EXPORT(fathom_set_threads) void fathom_set_threads(int n, int mayWait) {
  threads = n < 1 ? 1 : n;
  mainMayWait = mayWait;
}
int thread_count(void) { return threads; }

__attribute__((unused)) static void run_tasks(int thread) {
  TaskFn fn = job.fn;
  void* args = job.args;
  int count = job.count;
  for (;;) {
    int task = ADD(&job.next, 1);
    if (task >= count) break;
    fn(args, task, thread);
  }
}

void parallel_for(TaskFn fn, void* args, int count) {
  if (count <= 0) return;
  if (threads == 1 || count == 1) {
    for (int i = 0; i < count; i++) fn(args, i, 0);
    return;
  }
#ifdef __wasm_atomics__
  job.fn = fn;
  job.args = args;
  job.count = count;
  STORE(&job.next, 0);
  STORE(&job.finished, 0);
  ADD(&job.generation, 1);
  __builtin_wasm_memory_atomic_notify(&job.generation, (u32)(threads - 1));
  run_tasks(0);
  // Spin for the tail (usually short), then sleep if allowed: on a busy
  // machine the worker we wait for may need this very core.
  for (int spin = 0; LOAD(&job.finished) < threads - 1; spin++) {
    if (spin > 20000 && mainMayWait) {
      int finished = LOAD(&job.finished);
      if (finished < threads - 1) __builtin_wasm_memory_atomic_wait32(&job.finished, finished, 50000);
    }
  }
  if (LOAD(&job.failed)) {
    // A worker died inside a task: its share of the output is missing.
    threads = 1;
    __builtin_trap();
  }
#else
  for (int i = 0; i < count; i++) fn(args, i, 0);
#endif
}

// The loop of worker `thread` (1…threads−1); returns after fathom_threads_quit.
EXPORT(fathom_worker_main) void fathom_worker_main(int thread) {
#ifdef __wasm_atomics__
  int seen = 0;
  for (;;) {
    // Spin before sleeping: a training step's jobs come tens of µs apart
    // (the JavaScript between two kernels), and waking a sleeping worker
    // costs more than a small kernel. With 20,000 polls the worker had gone
    // to sleep before the next job: LeNet-5's 64×120×84 matmul took 100 µs on
    // 2 threads against 33 on one; with 200,000 it takes 22.
    for (int spin = 0; spin < 200000 && LOAD(&job.generation) == seen; spin++) {}
    while (LOAD(&job.generation) == seen) __builtin_wasm_memory_atomic_wait32(&job.generation, seen, -1);
    seen = LOAD(&job.generation);
    if (LOAD(&job.quit)) return;
    run_tasks(thread);
    ADD(&job.finished, 1);
    __builtin_wasm_memory_atomic_notify(&job.finished, 1);
  }
#else
  (void)thread;
#endif
}

// Called by a worker's JavaScript when its loop trapped: counts it as
// finished so the calling thread stops waiting, and marks the job failed.
EXPORT(fathom_worker_failed) void fathom_worker_failed(int thread) {
  (void)thread;
  STORE(&job.failed, 1);
  ADD(&job.finished, 1);
#ifdef __wasm_atomics__
  __builtin_wasm_memory_atomic_notify(&job.finished, 1);
#endif
}

EXPORT(fathom_threads_quit) void fathom_threads_quit(void) {
  STORE(&job.quit, 1);
  ADD(&job.generation, 1);
#ifdef __wasm_atomics__
  __builtin_wasm_memory_atomic_notify(&job.generation, 0xffffffffu);
#endif
}
