// A fork-join pool over one shared linear memory.
//
// Every worker runs fathom_worker_main in its own instance of this module.
// The job below lives in linear memory, so all instances see it; only wasm
// globals (the stack pointer) are per instance. The calling thread publishes
// a job by bumping `generation`, works on it too, and returns once every
// task is done: it never waits for a worker that took no task, so a worker
// asleep when a small job comes costs that job nothing (waking one took
// ~50 µs, longer than LeNet-5's 64×84×120 product on one thread).
//
// A worker spins a while before it sleeps, and the caller wakes workers only
// when one sleeps: a wake is a call into the engine.
//
// Thread t first takes the t-th contiguous share of the tasks, then helps
// with the others' shares: a job over the same rows as the one before (an
// elementwise op after another, a convolution's transform after the
// activation) finds each share in the cache of the core that wrote it, where
// tasks taken in turn alternated between the cores.
//
// Each share's next task sits beside the job's generation in its own cache
// line: a worker that wakes late, or reads a job while the next is being
// written, fails to claim (the generation differs, or the share is CLOSED)
// and never runs a task with another job's function or arguments.
//
// In the single-threaded build (no -matomics) the atomics compile to plain
// loads and stores and fathom_set_threads is never called with more than 1.
#include "fathom.h"

#define MAX_THREADS 64  // src/wasm-backend.ts's limit

// generation << 32 | the share's next task (atomic), alone in its cache line.
typedef struct {
  u64 claim;
  u8 line[56];
} Share;

typedef struct {
  TaskFn fn;       // the job's function, arguments and task count (atomic)
  void* args;
  int count;
  int completed;   // tasks of this generation done (atomic; the caller waits on it)
  int generation;  // bumped once per job (atomic; workers wait on it)
  int sleeping;    // workers asleep on `generation` (atomic)
  int quit;        // set once by fathom_threads_quit
  int failed;      // a worker trapped (set by fathom_worker_failed)
} Job;

#define CLOSED 0xffffffffu

static Job job;
static Share shares[MAX_THREADS];
static int threads = 1;
static int mainMayWait = 0;  // whether the calling thread may block (not a browser's main thread)

#define LOAD(p) __atomic_load_n(p, __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST)

// `mayWait`: the calling thread may block in memory.atomic.wait (Node's main
// thread and workers may; a browser's main thread may not, and spins).
EXPORT(fathom_set_threads) void fathom_set_threads(int n, int mayWait) {
  // `shares` has a line per thread: a pool larger than wasm-backend.ts allows is a bug there.
  if (n > MAX_THREADS) __builtin_trap();
  threads = n < 1 ? 1 : n;
  mainMayWait = mayWait;
}
int thread_count(void) { return threads; }

int task_count(i64 units, i64 grain) {
  i64 tasks = units / grain;
  return tasks > threads ? threads : tasks < 1 ? 1 : (int)tasks;
}

// Tasks [share_begin(t), share_begin(t + 1)) are thread t's share.
INLINE int share_begin(int t, int count) { return (int)((i64)count * t / threads); }

// The next task of share t of job `generation`, or −1 when it has none left (or is not the current job).
__attribute__((unused)) static int claim_task(u32 generation, int count, int t) {
  u64 claim = LOAD(&shares[t].claim);
  u32 end = (u32)share_begin(t + 1, count);
  for (;;) {
    u32 next = (u32)claim;
    if ((u32)(claim >> 32) != generation || next == CLOSED || next >= end) return -1;
    if (__atomic_compare_exchange_n(&shares[t].claim, &claim, claim + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return (int)next;
  }
}

// This thread's share first, then the others' in turn.
__attribute__((unused)) static void run_tasks(u32 generation, int thread) {
  TaskFn fn = LOAD(&job.fn);
  void* args = LOAD(&job.args);
  int count = LOAD(&job.count);
  int done = 0;
  for (int k = 0; k < threads; k++) {
    int t = (thread + k) % threads;
    for (int task; (task = claim_task(generation, count, t)) >= 0; done++) fn(args, task, thread);
  }
  // Counted once a thread has no task left to claim, not task by task: the
  // caller polls this line, and every add took it back from the caller's core.
  if (done > 0 && ADD(&job.completed, done) + done == count) {
#ifdef __wasm_atomics__
    __builtin_wasm_memory_atomic_notify(&job.completed, 1);
#endif
  }
}

void parallel_for(TaskFn fn, void* args, int count) {
  if (count <= 0) return;
  int self = kernel_thread();
  if (threads == 1 || count == 1) {
    for (int i = 0; i < count; i++) fn(args, i, self);
    return;
  }
#ifdef __wasm_atomics__
  u32 generation = (u32)LOAD(&job.generation) + 1;
  // Closed while the fields change: no worker claims a task of this job before they are all written.
  for (int t = 0; t < threads; t++) STORE(&shares[t].claim, (u64)generation << 32 | CLOSED);
  STORE(&job.fn, fn);
  STORE(&job.args, args);
  STORE(&job.count, count);
  STORE(&job.completed, 0);
  for (int t = 0; t < threads; t++) STORE(&shares[t].claim, (u64)generation << 32 | (u32)share_begin(t, count));
  STORE(&job.generation, (int)generation);
  if (LOAD(&job.sleeping) > 0) __builtin_wasm_memory_atomic_notify(&job.generation, (u32)(threads - 1));
  run_tasks(generation, self);
  int mayWait = self != 0 || mainMayWait;
  // Spin for the tail, then sleep if allowed: on a busy machine the worker
  // we wait for may need this very core. A million polls before sleeping
  // (0.47 ns a poll of an idle cache line here, so half a millisecond; more
  // while workers write the line): with 20,000 (about 10 µs) the caller went
  // to sleep on tails the workers were about to end, and a wake costs tens
  // of µs (LeNet-5 steps 0.96×, median of ten alternating runs; ResNet-18 a
  // tie; 200,000 polls a tie, 4,000,000 no better).
  for (int spin = 0; LOAD(&job.completed) < count && !LOAD(&job.failed); spin++) {
    if (spin > 1000000 && mayWait) {
      int completed = LOAD(&job.completed);
      if (completed < count) __builtin_wasm_memory_atomic_wait32(&job.completed, completed, 50000);
    }
  }
  if (LOAD(&job.failed)) {
    // A worker died inside a task: its share of the output is missing.
    threads = 1;
    __builtin_trap();
  }
#else
  for (int i = 0; i < count; i++) fn(args, i, self);
#endif
}

int main_may_wait(void) { return mainMayWait; }

// The main thread's part in a job the queue's runner published while it
// waits for the queue (queue.c): runs what tasks are left, once per job.
int help_with_job(int thread) {
#ifdef __wasm_atomics__
  static int seen = 0;  // only the main thread helps
  int generation = LOAD(&job.generation);
  if (generation == seen) return 0;
  seen = generation;
  run_tasks((u32)generation, thread);
  return 1;
#else
  (void)thread;
  return 0;
#endif
}

// The loop of worker `thread` (1…threads−1); returns after fathom_threads_quit.
EXPORT(fathom_worker_main) void fathom_worker_main(int thread) {
#ifdef __wasm_atomics__
  if (thread == 1 && queue_on()) {
    run_queue();
    return;
  }
  int seen = 0;
  for (;;) {
    // Spin before sleeping: a training step's jobs come tens of µs apart
    // (the JavaScript between two kernels), and waking a sleeping worker
    // costs more than a small kernel. With 20,000 polls the worker had gone
    // to sleep before the next job: LeNet-5's 64×120×84 matmul took 100 µs on
    // 2 threads against 33 on one; with 200,000 it takes 22.
    for (int spin = 0; spin < 200000 && LOAD(&job.generation) == seen; spin++) {}
    while (LOAD(&job.generation) == seen) {
      // Counted before the wait, which rechecks the generation: a job published
      // in between is either seen there or finds this worker counted and wakes it.
      ADD(&job.sleeping, 1);
      __builtin_wasm_memory_atomic_wait32(&job.generation, seen, -1);
      ADD(&job.sleeping, -1);
    }
    seen = LOAD(&job.generation);
    if (LOAD(&job.quit)) return;
    run_tasks((u32)seen, thread);
  }
#else
  (void)thread;
#endif
}

// Called by a worker's JavaScript when its loop trapped: marks the job
// failed and wakes the calling thread, which stops waiting for its tasks.
EXPORT(fathom_worker_failed) void fathom_worker_failed(int thread) {
  (void)thread;
  STORE(&job.failed, 1);
#ifdef __wasm_atomics__
  __builtin_wasm_memory_atomic_notify(&job.completed, 1);
#endif
}

int pool_quitting(void) { return LOAD(&job.quit); }
int pool_failed(void) { return LOAD(&job.failed); }

EXPORT(fathom_threads_quit) void fathom_threads_quit(void) {
  STORE(&job.quit, 1);
  wake_queue_runner();
  ADD(&job.generation, 1);
#ifdef __wasm_atomics__
  __builtin_wasm_memory_atomic_notify(&job.generation, 0xffffffffu);
#endif
}
