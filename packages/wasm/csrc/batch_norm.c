// Training-mode batch normalization over (outer, channels, inner), forward
// and backward (core's Kernels.batchNorm and batchNormBackward, PyTorch's
// native_batch_norm and its backward): each channel's statistics and its
// output in one task, where the separate ops took ten kernels forward and
// twelve backward, most of them passes over the whole tensor. A channel's
// elements (ResNet-18's: 4–64 KiB) stay in cache between its passes.
//
// Sums run in four float32 lanes over blocks of a row, the blocks added in
// double, then rounded to float32; everything else is rounded in the order of core's composite,
// so outputs differ from its bits only by the sums' order.
#include "fathom.h"

typedef struct {
  const float* x;
  const float* weight;  // null: no weight (scale = invstd)
  const float* bias;    // forward; null: no shift
  const float* grad;    // backward
  float* out;           // forward's output, or the input gradient (null: not asked for)
  float* mean;
  float* variance;
  float* gradWeight;
  float* gradBias;
  float* runningMean;  // forward; null: no running statistics to update
  float* runningVar;
  float eps, keep, meanWeight, varianceWeight;  // the running update's 1 − momentum and weights
  int outer, channels, inner, perTask;
  i64 rowStride;  // floats from one of a channel's rows to the next
  float count;    // elements a channel
} BatchNormJob;

INLINE float lanes_sum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// Longest run summed in float32 lanes before it is added in double: rows of
// 224×224 activations around 1000 summed whole lost 1e-4 of the mean.
#define SUM_BLOCK 256

// Σ p[i] over a block.
static float block_sum(const float* p, int n) {
  v128_t a = wasm_f32x4_splat(0), b = a;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    a = wasm_f32x4_add(a, wasm_v128_load(p + i));
    b = wasm_f32x4_add(b, wasm_v128_load(p + i + 4));
  }
  if (i + 4 <= n) {
    a = wasm_f32x4_add(a, wasm_v128_load(p + i));
    i += 4;
  }
  float s = lanes_sum(wasm_f32x4_add(a, b));
  for (; i < n; i++) s += p[i];
  return s;
}

// Σ (p[i] − m)² over a block, each difference and square rounded.
static float block_squares(const float* p, int n, float m) {
  v128_t vm = wasm_f32x4_splat(m), a = wasm_f32x4_splat(0);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t d = wasm_f32x4_sub(wasm_v128_load(p + i), vm);
    a = wasm_f32x4_add(a, wasm_f32x4_mul(d, d));
  }
  float s = lanes_sum(a);
  for (; i < n; i++) {
    float d = p[i] - m;
    s += d * d;
  }
  return s;
}

INLINE int block_length(int at, int n) { return n - at < SUM_BLOCK ? n - at : SUM_BLOCK; }

static double row_sum(const float* p, int n) {
  double total = 0;
  for (int at = 0; at < n; at += SUM_BLOCK) total += block_sum(p + at, block_length(at, n));
  return total;
}

static double row_squares(const float* p, int n, float m) {
  double total = 0;
  for (int at = 0; at < n; at += SUM_BLOCK) total += block_squares(p + at, block_length(at, n), m);
  return total;
}

// out = (x − m)·scale (+ shift) over a row.
static void row_normalize(const float* p, float* out, int n, float m, float scale, float shift, int hasShift) {
  v128_t vm = wasm_f32x4_splat(m), vs = wasm_f32x4_splat(scale), vu = wasm_f32x4_splat(shift);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(p + i), vm), vs);
    wasm_v128_store(out + i, hasShift ? wasm_f32x4_add(v, vu) : v);
  }
  for (; i < n; i++) {
    float v = (p[i] - m) * scale;
    out[i] = hasShift ? v + shift : v;
  }
}

// 1/√(variance + eps) as the composite's add and rsqrt round it.
INLINE float inverse_std(float variance, float eps) { return 1.0f / __builtin_sqrtf(variance + eps); }

// Channels [task·perTask, …): statistics, then the output.
static void forward_task(void* args, int task, int thread) {
  (void)thread;
  BatchNormJob j = *(const BatchNormJob*)args;  // copies: see TaskFn
  int first = task * j.perTask, last = first + j.perTask < j.channels ? first + j.perTask : j.channels;
  i64 rowStride = j.rowStride;
  for (int c = first; c < last; c++) {
    const float* x = j.x + (i64)c * j.inner;
    double sum = 0;
    for (int n = 0; n < j.outer; n++) sum += row_sum(x + n * rowStride, j.inner);
    float m = (float)sum / j.count;
    double squares = 0;
    for (int n = 0; n < j.outer; n++) squares += row_squares(x + n * rowStride, j.inner, m);
    float variance = (float)squares / j.count;
    j.mean[c] = m;
    j.variance[c] = variance;
    float invstd = inverse_std(variance, j.eps);
    float scale = j.weight ? invstd * j.weight[c] : invstd;
    float shift = j.bias ? j.bias[c] : 0;
    float* out = j.out + (i64)c * j.inner;
    for (int n = 0; n < j.outer; n++) row_normalize(x + n * rowStride, out + n * rowStride, j.inner, m, scale, shift, j.bias != 0);
    if (j.runningMean) {
      // As `running.mul(1 − momentum).add(statistic, { alpha })` rounds it.
      j.runningMean[c] = j.runningMean[c] * j.keep + j.meanWeight * m;
      j.runningVar[c] = j.runningVar[c] * j.keep + j.varianceWeight * variance;
    }
  }
}

// Σ dy and Σ dy·(x − m) over a block, each difference and product rounded.
static void block_grad_sums(const float* dy, const float* x, int n, float m, float* sum, float* dot) {
  v128_t vm = wasm_f32x4_splat(m), s = wasm_f32x4_splat(0), d = s;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t g = wasm_v128_load(dy + i);
    s = wasm_f32x4_add(s, g);
    d = wasm_f32x4_add(d, wasm_f32x4_mul(g, wasm_f32x4_sub(wasm_v128_load(x + i), vm)));
  }
  float ss = lanes_sum(s), dd = lanes_sum(d);
  for (; i < n; i++) {
    ss += dy[i];
    dd += dy[i] * (x[i] - m);
  }
  *sum = ss;
  *dot = dd;
}

// dx = dy·scale + (x − m)·t + u over a row, in channelAffine's order.
static void row_input_grad(const float* dy, const float* x, float* dx, int n, float m, float scale, float t, float u) {
  v128_t vm = wasm_f32x4_splat(m), vs = wasm_f32x4_splat(scale), vt = wasm_f32x4_splat(t), vu = wasm_f32x4_splat(u);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t deviation = wasm_f32x4_sub(wasm_v128_load(x + i), vm);
    v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(dy + i), vs), wasm_f32x4_mul(deviation, vt));
    wasm_v128_store(dx + i, wasm_f32x4_add(v, vu));
  }
  for (; i < n; i++) dx[i] = (dy[i] * scale + (x[i] - m) * t) + u;
}

static void backward_task(void* args, int task, int thread) {
  (void)thread;
  BatchNormJob j = *(const BatchNormJob*)args;  // copies: see TaskFn
  int first = task * j.perTask, last = first + j.perTask < j.channels ? first + j.perTask : j.channels;
  i64 rowStride = j.rowStride;
  for (int c = first; c < last; c++) {
    const float* x = j.x + (i64)c * j.inner;
    const float* dy = j.grad + (i64)c * j.inner;
    float m = j.mean[c];
    double sum = 0, dot = 0;
    for (int n = 0; n < j.outer; n++) {
      for (int at = 0; at < j.inner; at += SUM_BLOCK) {
        float s, d;
        block_grad_sums(dy + n * rowStride + at, x + n * rowStride + at, block_length(at, j.inner), m, &s, &d);
        sum += s;
        dot += d;
      }
    }
    float invstd = inverse_std(j.variance[c], j.eps);
    float gradBias = (float)sum, gradWeight = (float)dot * invstd;
    j.gradBias[c] = gradBias;
    j.gradWeight[c] = gradWeight;
    if (!j.out) continue;
    float scale = j.weight ? invstd * j.weight[c] : invstd;
    float normalizedWeight = invstd * (gradWeight / j.count);
    float t = -(normalizedWeight * scale), u = -((gradBias / j.count) * scale);
    float* dx = j.out + (i64)c * j.inner;
    for (int n = 0; n < j.outer; n++) row_input_grad(dy + n * rowStride, x + n * rowStride, dx + n * rowStride, j.inner, m, scale, t, u);
  }
}

// Splits the channels over the pool when the tensor is large enough.
static void over_channels(BatchNormJob* j, TaskFn fn) {
  if (j->channels == 0) return;
  j->rowStride = (i64)j->channels * j->inner;
  j->count = (float)((double)j->outer * j->inner);
  int tasks = task_count((i64)j->outer * j->channels * j->inner, PARALLEL_ELEMENTS);
  if (tasks > j->channels) tasks = j->channels;
  j->perTask = (j->channels + tasks - 1) / tasks;
  if (tasks == 1) fn(j, 0, 0);
  else parallel_for(fn, j, (j->channels + j->perTask - 1) / j->perTask);
}

// [x, weight, bias, out, mean, variance, runningMean, runningVar (the optional ones unread unless flagged), outer, channels,
//  inner, eps, momentum, hasWeight, hasBias, hasRunning]
EXPORT(fathom_batch_norm) int fathom_batch_norm(const i32* ints, const double* floats) {
  BatchNormArguments a;
  read_batch_norm_arguments(ints, floats, &a);
  double count = (double)a.outer * a.inner;
  BatchNormJob j = {.x = (const float*)a.x, .weight = a.hasWeight ? (const float*)a.weight : 0, .bias = a.hasBias ? (const float*)a.bias : 0,
                    .out = (float*)a.out, .mean = (float*)a.mean, .variance = (float*)a.variance,
                    .runningMean = a.hasRunning ? (float*)a.runningMean : 0, .runningVar = a.hasRunning ? (float*)a.runningVar : 0,
                    .eps = (float)a.eps, .keep = (float)(1 - a.momentum), .meanWeight = (float)a.momentum,
                    .varianceWeight = (float)(a.momentum * (count / (count > 1 ? count - 1 : 1))),
                    .outer = a.outer, .channels = a.channels, .inner = a.inner};
  over_channels(&j, forward_task);
  return OK;
}

// [grad, x, mean, variance, weight (unread unless flagged), gradInput (unwritten unless flagged), gradWeight, gradBias,
//  outer, channels, inner, eps, hasWeight, hasGradInput]
EXPORT(fathom_batch_norm_backward) int fathom_batch_norm_backward(const i32* ints, const double* floats) {
  BatchNormBackwardArguments a;
  read_batch_norm_backward_arguments(ints, floats, &a);
  BatchNormJob j = {.x = (const float*)a.x, .weight = a.hasWeight ? (const float*)a.weight : 0, .grad = (const float*)a.grad,
                    .out = a.hasGradInput ? (float*)a.gradInput : 0, .mean = (float*)a.mean, .variance = (float*)a.variance,
                    .gradWeight = (float*)a.gradWeight, .gradBias = (float*)a.gradBias, .eps = (float)a.eps,
                    .outer = a.outer, .channels = a.channels, .inner = a.inner};
  over_channels(&j, backward_task);
  return OK;
}
