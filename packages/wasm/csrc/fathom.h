// Shared declarations of the Fathom WebAssembly kernels.
//
// Built with clang --target=wasm32 -nostdlib: there is no libc, so the few
// library functions the kernels need (math, memcpy) are written here.
// The JavaScript side owns all memory: it allocates tensors in the linear
// memory and passes byte addresses; kernels never allocate, except through
// fathom_scratch (a grow-only block JavaScript hands out for packing panels
// and im2col columns).
#ifndef FATHOM_H
#define FATHOM_H

#include <stdint.h>
#include <stddef.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define INLINE static inline __attribute__((always_inline))

typedef uint8_t u8;
typedef int32_t i32;
typedef uint32_t u32;
typedef int64_t i64;
typedef uint64_t u64;

// The argument blocks, views and the op, dtype and error codes shared with
// TypeScript: generated from src/abi.ts (see scripts/build-wasm.mjs).
#include "abi.h"

INLINE int dtype_size(int dt) { return dt == DT_BOOL ? 1 : 4; }

// ---------------------------------------------------------------------------
// Strided iteration over up to 4 operands sharing one shape.
#define MAX_OPERANDS 4
typedef struct {
  int ndim;
  int shape[MAX_DIMS];
  int strides[MAX_OPERANDS][MAX_DIMS];  // in bytes
  int operands;
  int sizes[MAX_OPERANDS];  // element bytes
  // Set by walk_elementwise for short rows: the last dim is the last two
  // dims [R, group] of the walk as one, and each operand marked in `gather`
  // steps through them by {rowStride, columnStride} (see group_short_rows).
  int group;
  u8 gather[MAX_OPERANDS];
  int rowStride[MAX_OPERANDS], columnStride[MAX_OPERANDS];
} Walk;

// Sets up a walk of `shape` over operands with element strides `strides[k]`
// and element sizes `sizes[k]`; merges dims every operand walks contiguously
// and drops size-1 dims. Returns the number of elements.
i64 walk_init(Walk* w, int ndim, const int* shape, int operands, const int* const* strides, const int* sizes);

// Calls row(ctx, pointers, length, strides-in-bytes) once per innermost row.
typedef void (*RowFn)(void* ctx, u8* const* ptrs, int n, const int* strides);
void walk_rows(const Walk* w, u8* const* bases, RowFn row, void* ctx);

// Rows shorter than this run in groups: a ResNet's BatchNorm on 2×2 planes
// multiplied by a per-channel scale walks rows of 4 elements, and a row call
// per 4 elements cost more than the arithmetic (PyTorch's loop2d, for the
// same reason). See walk_elementwise, and reduce.c's short rows.
#define SHORT_ROW 32

// The same for a row function that writes each element of its last operand
// from the others' elements at the same position, and nothing else (so rows
// may run in any order, at once): large walks are split over the threads,
// and a walk with a transposed operand goes down bands of columns. Rows may
// be cut short.
void walk_elementwise(const Walk* w, u8* const* bases, RowFn row, void* ctx);

// ---------------------------------------------------------------------------
// Threads (parallel.c). Tasks 0…count-1 run on the pool, each once; `thread`
// is the index (0 = the calling thread) for per-thread scratch. A task that
// reads `args` in its loops copies the struct into its own frame first, where
// the compiler keeps the fields in registers: read through the pointer (into
// the caller's frame) they cost LeNet-5's direct convolution over a quarter
// of its second thread's speed, and max pooling a third on any thread count,
// where they were reloaded after each store. Why only the second thread paid
// in the first case is not understood: spacing the stack between the
// caller's frame and the tasks', or below each stack's top, did not help.
typedef void (*TaskFn)(void* args, int task, int thread);
// Fewest elements of an elementwise op or a reduction worth a task of their
// own (a task costs a few µs to hand over, an element a fraction of a ns).
#ifndef PARALLEL_ELEMENTS
#define PARALLEL_ELEMENTS 32768
#endif
void parallel_for(TaskFn fn, void* args, int count);
int thread_count(void);
// Tasks to split `units` of work into: one per `grain` units, no more than
// the threads, at least 1 (then the calling thread does it all).
int task_count(i64 units, i64 grain);

// Grow-only scratch from JavaScript, 64-byte aligned, valid until the kernel
// returns. The main thread's import hands it out; a kernel run from the queue
// (queue.c) asks the main thread for it.
IMPORT(fathom_scratch) u8* host_scratch(u32 bytes);
u8* fathom_scratch(u32 bytes);

// The thread that runs kernels (queue.c): 1, the queue's runner, while the
// queue is on; 0, the main thread, otherwise. Its tasks' `thread` argument.
int kernel_thread(void);
// Whether the queue is on; the main thread's wait for a slot or for the queue
// to drain runs the runner's tasks (parallel.c's help_with_job).
int queue_on(void);
int help_with_job(int thread);
int main_may_wait(void);
// The loop of the queue's runner (worker 1); returns after fathom_threads_quit.
void run_queue(void);
// Whether fathom_threads_quit was called.
int pool_quitting(void);
// Whether a worker died inside a task.
int pool_failed(void);
void wake_queue_runner(void);

// ---------------------------------------------------------------------------
// Integer helpers shared by the kernels.

// a / b rounded toward +∞ for either sign of a (b > 0).
INLINE int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
INLINE int min_int(int a, int b) { return a < b ? a : b; }
INLINE int clamp_int(int v, int low, int high) { return v < low ? low : v > high ? high : v; }
// x rounded up to a multiple of `to` (x ≥ 0, to > 0).
INLINE int round_up(int x, int to) { return (x + to - 1) / to * to; }
// Floats rounded up to whole 64-byte cache lines. fathom_scratch returns
// line-aligned memory, and scratch carved into per-thread regions sizes each
// region (and what precedes them) in whole lines, so no two threads write one
// line: with a 16-byte offset, two threads' Winograd strips shared a line and
// ResNet-18's 16×16 layer took 1.21× the time on 2 threads.
INLINE u32 whole_lines(u32 floats) { return (floats + 15u) & ~15u; }

// Short rows copied and cleared inline: memcpy and memset become memory.copy
// and memory.fill, calls into the engine that cost more than a row of a
// small plane.
INLINE void copy_floats(float* to, const float* from, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(to + i, wasm_v128_load(from + i));
  for (; i < n; i++) to[i] = from[i];
}
INLINE void zero_floats(float* to, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(to + i, wasm_f32x4_splat(0));
  for (; i < n; i++) to[i] = 0;
}
// Outputs o in [*start, *end) of `out` whose input o·stride + shift lies in
// [0, in): a convolution tap's reach along one axis.
INLINE void valid_range(int out, int in, int stride, int shift, int* start, int* end) {
  *start = clamp_int(ceil_div(-shift, stride), 0, out);
  *end = clamp_int(ceil_div(in - shift, stride), *start, out);
}

// ---------------------------------------------------------------------------
// Library functions.
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);

// JavaScript's ToInt32: what storing a double into an Int32Array does.
INLINE i32 to_int32(double x) {
  if (!(x == x) || x == __builtin_inf() || x == -__builtin_inf()) return 0;
  if (x > -2147483649.0 && x < 2147483648.0) return (i32)x;
  double t = __builtin_trunc(x);
  double m = t - 4294967296.0 * __builtin_floor(t / 4294967296.0);  // in [0, 2^32)
  return (i32)(u32)m;
}

// Loads and stores of one element of any dtype, as JavaScript typed arrays do.
INLINE double load_as_double(const u8* p, int dt) {
  switch (dt) {
    case DT_F32: return *(const float*)p;
    case DT_I32: return *(const i32*)p;
    default: return *p;
  }
}
INLINE void store_double(u8* p, int dt, double v) {
  switch (dt) {
    case DT_F32: *(float*)p = (float)v; break;
    case DT_I32: *(i32*)p = to_int32(v); break;
    default: *p = (u8)to_int32(v); break;
  }
}

#endif
