// A queue of kernel calls in linear memory, so that JavaScript goes on with
// the next op while the kernels run: a training step's JavaScript (autograd,
// shapes, allocation; 20 ms of a ResNet-18 step, 1 ms of LeNet-5's) used to
// leave the workers idle between kernels.
//
// The main thread writes each kernel's argument block into a ring and
// returns; worker 1, the runner, takes them in order and runs them, calling
// parallel_for as the main thread used to (its tasks' thread index is 1).
// The main thread joins the runner's jobs whenever it waits for the queue:
// to read a result (fathom_queue_wait), or for room in the ring. Ordering
// is what keeps memory safe: kernels run in the order JavaScript called
// them, so a block JavaScript released and handed to a later kernel is
// written only after the earlier ones are done with it; JavaScript reads a
// buffer once the last kernel that writes it has run, and writes memory
// itself only once the queue is empty.
//
// A kernel that refuses its arguments cannot throw at its call any more: the
// first refusal is kept (its status and its number) and returned by the next
// enqueue or wait, which JavaScript turns into a typed error naming the op.
//
// Kernels ask for scratch (fathom_scratch) from the runner's thread, where
// JavaScript's allocator is not: the request sits in memory until the main
// thread serves it on its next enqueue or while it waits, from memory never
// handed out before (kernels queued behind the asking one may still read
// blocks JavaScript released since).
#include "fathom.h"

#define RING_WORDS (1 << 16)  // 256 KiB: any argument block fits (32 KiB of ints and 16 of doubles at most)
#define HEADER_WORDS 4        // [entry words, kernel, int count, double count]
#define SKIP (-1)             // a header whose kernel is SKIP pads to the ring's end

#define LOAD(p) __atomic_load_n(p, __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_SEQ_CST)

typedef int (*KernelFn)(const i32* ints, const double* floats);

#define DECLARE_KERNEL(code, name) int name(const i32* ints, const double* floats);
FOR_EACH_KERNEL(DECLARE_KERNEL)
void fathom_zero(u8* dst, u32 bytes);
void fathom_sgemm(int m, int n, int k, const float* a, const float* b, float* c);

static int zero_entry(const i32* ints, const double* floats) {
  fathom_zero((u8*)ints[0], (u32)ints[1]);
  return OK;
}
static int sgemm_entry(const i32* ints, const double* floats) {
  fathom_sgemm(ints[0], ints[1], ints[2], (const float*)ints[3], (const float*)ints[4], (float*)ints[5]);
  return OK;
}

#define KERNEL_ENTRY(code, name) [code] = name,
__attribute__((unused)) static const KernelFn entries[QUEUE_ENTRIES] = {FOR_EACH_KERNEL(KERNEL_ENTRY)[QUEUE_ZERO] = zero_entry, [QUEUE_SGEMM] = sgemm_entry};

// Each counter alone in its cache line: the main thread writes `produced`,
// the runner `consumed`, and each polls the other's.
typedef struct {
  u32 produced;  // words of the ring written (atomic)
  u8 line0[60];
  u32 consumed;  // words whose kernels have run (atomic)
  u8 line1[60];
  int failure;        // the first refusal's status, OK while none (atomic)
  u32 failedKernel;   // its number among the kernels enqueued
  u32 ran;            // kernels run (the runner's)
  int runnerSleeps;   // the runner is asleep on `produced` (atomic)
  int waiterSleeps;   // the main thread is asleep on `ran` (atomic)
  u32 scratchWanted;  // bytes the runner asks for, 0 when it asks none (atomic)
  u32 scratchAt;      // the block handed out and its size (atomic)
  u32 scratchBytes;
  int on;             // kernels go through the queue (set before the workers start)
} Queue;

static Queue q;
static i32 ring[RING_WORDS] __attribute__((aligned(8)));

int queue_on(void) { return LOAD(&q.on); }
int kernel_thread(void) { return LOAD(&q.on) ? 1 : 0; }

// Called before the workers start (worker 1 becomes the runner) and, after a
// worker failed, to go back to running kernels on the main thread.
EXPORT(fathom_queue_enable) void fathom_queue_enable(int on) { STORE(&q.on, on); }

u8* fathom_scratch(u32 bytes) {
  if (!LOAD(&q.on)) return host_scratch(bytes);
  if (bytes <= LOAD(&q.scratchBytes)) return (u8*)LOAD(&q.scratchAt);
  STORE(&q.scratchWanted, bytes);
#ifdef __wasm_atomics__
  while (LOAD(&q.scratchWanted) != 0) {
    if (pool_quitting()) __builtin_trap();
    __builtin_wasm_memory_atomic_wait32((int*)&q.scratchWanted, (int)bytes, 100000);
  }
#endif
  return (u8*)LOAD(&q.scratchAt);
}

// The main thread hands out scratch the runner asked for.
static void serve_scratch(void) {
  u32 wanted = LOAD(&q.scratchWanted);
  if (wanted == 0) return;
  u8* at = host_scratch(wanted);
  STORE(&q.scratchAt, (u32)at);
  STORE(&q.scratchBytes, wanted);
  STORE(&q.scratchWanted, 0u);
#ifdef __wasm_atomics__
  __builtin_wasm_memory_atomic_notify((int*)&q.scratchWanted, 1);
#endif
}

// What the main thread does while it waits for the runner.
static void wait_a_moment(void) {
  serve_scratch();
  help_with_job(0);
}

static int failure(void) {
  return LOAD(&q.failure);
}

// Enqueues kernel `kernel` with the argument block at (ints, floats); returns
// the first refusal not yet reported (OK when none).
EXPORT(fathom_enqueue) int fathom_enqueue(int kernel, const i32* ints, int intCount, const double* floats, int floatCount) {
  serve_scratch();
  u32 words = (u32)(HEADER_WORDS + round_up(intCount, 2) + 2 * floatCount);
  u32 produced = q.produced;
  u32 at = produced % RING_WORDS;
  u32 pad = at + words > RING_WORDS ? RING_WORDS - at : 0;
  while (produced + pad + words - LOAD(&q.consumed) > RING_WORDS) wait_a_moment();
  if (pad) {
    ring[at] = (i32)pad;
    ring[at + 1] = SKIP;
    at = 0;
  }
  i32* entry = ring + at;
  entry[0] = (i32)words;
  entry[1] = kernel;
  entry[2] = intCount;
  entry[3] = floatCount;
  memcpy(entry + HEADER_WORDS, ints, (size_t)intCount * 4);
  memcpy(entry + HEADER_WORDS + round_up(intCount, 2), floats, (size_t)floatCount * 8);
  STORE(&q.produced, produced + pad + words);
#ifdef __wasm_atomics__
  if (LOAD(&q.runnerSleeps)) __builtin_wasm_memory_atomic_notify((int*)&q.produced, 1);
#endif
  return failure();
}

// Waits until the first `kernels` kernels enqueued have run, running the
// runner's tasks meanwhile; returns the first refusal not yet reported, or
// −1 when a worker died (its kernel's outputs are missing).
EXPORT(fathom_queue_wait) int fathom_queue_wait(u32 kernels) {
#ifdef __wasm_atomics__
  for (int spin = 0; (i32)(LOAD(&q.ran) - kernels) < 0; spin++) {
    if (pool_failed()) return -1;
    if (help_with_job(0)) spin = 0;
    serve_scratch();
    // Sleep in short waits once the runner's kernel has long tails (the
    // runner notifies `ran`); a browser's main thread may only spin.
    if (spin > 1000000 && main_may_wait()) {
      u32 seen = LOAD(&q.ran);
      STORE(&q.waiterSleeps, 1);
      if ((i32)(seen - kernels) < 0) __builtin_wasm_memory_atomic_wait32((int*)&q.ran, (int)seen, 50000);
      STORE(&q.waiterSleeps, 0);
    }
  }
#endif
  return failure();
}

// Clears the reported refusal; returns the number of the kernel that made it.
EXPORT(fathom_queue_take_failure) u32 fathom_queue_take_failure(void) {
  u32 kernel = q.failedKernel;
  STORE(&q.failure, OK);
  return kernel;
}

// How many kernels have run (after a worker died: those whose outputs are there).
EXPORT(fathom_queue_kernels_run) u32 fathom_queue_kernels_run(void) { return LOAD(&q.ran); }

void wake_queue_runner(void) {
#ifdef __wasm_atomics__
  __builtin_wasm_memory_atomic_notify((int*)&q.produced, 1);
  __builtin_wasm_memory_atomic_notify((int*)&q.scratchWanted, 1);
#endif
}

void run_queue(void) {
#ifdef __wasm_atomics__
  u32 consumed = LOAD(&q.consumed);
  for (;;) {
    u32 produced = LOAD(&q.produced);
    if (produced == consumed) {
      // Spin before sleeping, as pool workers do: kernels come microseconds apart.
      for (int spin = 0; spin < 200000 && (produced = LOAD(&q.produced)) == consumed && !pool_quitting(); spin++) {}
      while ((produced = LOAD(&q.produced)) == consumed && !pool_quitting()) {
        STORE(&q.runnerSleeps, 1);
        if (LOAD(&q.produced) == consumed) __builtin_wasm_memory_atomic_wait32((int*)&q.produced, (int)consumed, -1);
        STORE(&q.runnerSleeps, 0);
      }
      if (pool_quitting()) return;
    }
    while (consumed != produced) {
      const i32* entry = ring + consumed % RING_WORDS;
      if (entry[1] != SKIP) {
        int status = entries[entry[1]](entry + HEADER_WORDS, (const double*)(entry + HEADER_WORDS + round_up(entry[2], 2)));
        if (status != OK && LOAD(&q.failure) == OK) {
          q.failedKernel = q.ran;
          STORE(&q.failure, status);
        }
        consumed += (u32)entry[0];
        STORE(&q.consumed, consumed);
        STORE(&q.ran, q.ran + 1);
        if (LOAD(&q.waiterSleeps)) __builtin_wasm_memory_atomic_notify((int*)&q.ran, 1);
      } else {
        consumed += (u32)entry[0];
        STORE(&q.consumed, consumed);
      }
    }
  }
#endif
}
