// Log-softmax over runs of `size` elements `inner` apart (core's
// Kernels.logSoftmax): x − m − log Σ exp(x − m), m the run's max (0 where it
// is ±∞, so an all −∞ run gives NaN as in PyTorch). One pass where the
// composite took ten kernels (max, the ±∞ guard, exp, sum, log and the
// subtractions), each with its own output. Contiguous runs (the last dim,
// a classifier's logits) go four lanes at a time with the vector exp of the
// unary kernels; the sum and log are taken in double.
#include "fathom.h"
#include "math.h"

typedef struct {
  const float* x;
  float* out;
  int size, inner, tasks;
  i64 runs;
} LogSoftmax;

// The larger, or NaN if either is (as f32x4.max).
INLINE float larger(float max, float v) { return v > max || v != v ? v : max; }

INLINE double shift_of(float max) { return max == max && __builtin_fabs(max) == F_INF ? 0 : max; }

static void contiguous_run(const float* x, float* out, int size) {
  v128_t peak = wasm_f32x4_splat(-__builtin_inff());
  int k = 0;
  for (; k + 4 <= size; k += 4) peak = wasm_f32x4_max(peak, wasm_v128_load(x + k));
  float lanes[4];
  wasm_v128_store(lanes, peak);
  float max = lanes[0];
  for (int lane = 1; lane < 4; lane++) max = larger(max, lanes[lane]);
  for (; k < size; k++) max = larger(max, x[k]);
  float shift = (float)shift_of(max);
  v128_t s = wasm_f32x4_splat(shift), sum = wasm_f32x4_splat(0);
  for (k = 0; k + 4 <= size; k += 4) sum = wasm_f32x4_add(sum, exp4(wasm_f32x4_sub(wasm_v128_load(x + k), s)));
  double total = (double)wasm_f32x4_extract_lane(sum, 0) + wasm_f32x4_extract_lane(sum, 1) +
                 wasm_f32x4_extract_lane(sum, 2) + wasm_f32x4_extract_lane(sum, 3);
  for (; k < size; k++) total += exp_d((double)x[k] - shift);
  float logTotal = (float)(shift + log_d(total));
  v128_t l = wasm_f32x4_splat(logTotal);
  for (k = 0; k + 4 <= size; k += 4) wasm_v128_store(out + k, wasm_f32x4_sub(wasm_v128_load(x + k), l));
  for (; k < size; k++) out[k] = x[k] - logTotal;
}

static void strided_run(const float* x, float* out, int size, int inner) {
  float max = -__builtin_inff();
  for (int k = 0; k < size; k++) max = larger(max, x[(i64)k * inner]);
  double shift = shift_of(max), total = 0;
  for (int k = 0; k < size; k++) total += exp_d((double)x[(i64)k * inner] - shift);
  float logTotal = (float)(shift + log_d(total));
  for (int k = 0; k < size; k++) out[(i64)k * inner] = x[(i64)k * inner] - logTotal;
}

// Task: runs [runs·task/tasks, runs·(task+1)/tasks); run r is (o, j) = (r / inner, r % inner).
static void log_softmax_task(void* args, int task, int thread) {
  const LogSoftmax s = *(const LogSoftmax*)args;  // a copy: see TaskFn
  (void)thread;
  for (i64 r = s.runs * task / s.tasks, last = s.runs * (task + 1) / s.tasks; r < last; r++) {
    i64 start = r / s.inner * s.size * s.inner + r % s.inner;
    if (s.inner == 1) contiguous_run(s.x + start, s.out + start, s.size);
    else strided_run(s.x + start, s.out + start, s.size, s.inner);
  }
}

// [x address, out address, outer, size, inner]
EXPORT(fathom_log_softmax) int fathom_log_softmax(const i32* ints, const double* floats) {
  LogSoftmaxArguments args;
  read_log_softmax_arguments(ints, floats, &args);
  LogSoftmax s = {(const float*)args.x, (float*)args.out, args.size, args.inner, 0, (i64)args.outer * args.inner};
  if (s.runs == 0 || s.size == 0) return OK;
  s.tasks = task_count(s.runs * s.size, PARALLEL_ELEMENTS);
  parallel_for(log_softmax_task, &s, s.tasks);
  return OK;
}
