// out = a·alpha[c] + b·beta[c] + gamma[c] over (outer, channels, inner)
// (core's Kernels.channelAffine): BatchNorm's output and input gradient in
// one pass where the separate ops made two and four, each with its own
// output. Each product and sum rounded to float32 in the composite's order,
// so the values are its bits. Also the bias pass of the convolutions that do
// not add their bias as they store (conv2d.c).
#include "channel_affine.h"

typedef struct {
  const float* a;
  const float* alpha;  // null: a unscaled (a·1 is a)
  const float* b;      // null: no second term
  const float* beta;
  const float* gamma;  // null: no shift
  float* out;
  int outer, channels, inner, perTask;
} AffineJob;

static void affine_run(const AffineJob* j, const float* a, const float* b, float* out, int n, float s, float t, float u) {
  v128_t vs = wasm_f32x4_splat(s), vt = wasm_f32x4_splat(t), vu = wasm_f32x4_splat(u);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_f32x4_mul(wasm_v128_load(a + i), vs);
    if (j->b) v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_v128_load(b + i), vt));
    if (j->gamma) v = wasm_f32x4_add(v, vu);
    wasm_v128_store(out + i, v);
  }
  for (; i < n; i++) {
    float v = a[i] * s;
    if (j->b) v = v + b[i] * t;
    if (j->gamma) v = v + u;
    out[i] = v;
  }
}

// Runs (outer·channels) rows, task·perTask on.
static void affine_task(void* args, int task, int thread) {
  AffineJob j = *(const AffineJob*)args;  // copies: see TaskFn
  i64 rows = (i64)j.outer * j.channels, first = (i64)task * j.perTask;
  i64 last = first + j.perTask < rows ? first + j.perTask : rows;
  for (i64 row = first; row < last; row++) {
    int c = (int)(row % j.channels);
    i64 at = row * j.inner;
    affine_run(&j, j.a + at, j.b ? j.b + at : 0, j.out + at, j.inner, j.alpha ? j.alpha[c] : 1, j.b ? j.beta[c] : 0, j.gamma ? j.gamma[c] : 0);
  }
}

void channel_affine(const float* a, const float* alpha, const float* b, const float* beta, const float* gamma, float* out,
                    int outer, int channels, int inner) {
  AffineJob j = {a, alpha, b, beta, gamma, out, outer, channels, inner, 0};
  i64 rows = (i64)outer * channels, total = rows * inner;
  if (total == 0) return;
  i64 tasks = task_count(total, PARALLEL_ELEMENTS);
  if (tasks > rows) tasks = rows;
  j.perTask = (int)((rows + tasks - 1) / tasks);
  if (tasks == 1) affine_task(&j, 0, 0);
  else parallel_for(affine_task, &j, (int)((rows + j.perTask - 1) / j.perTask));
}

// [a, alpha, b, beta, gamma (unread unless flagged), out, outer, channels, inner, hasAlpha, hasB, hasGamma]
EXPORT(fathom_channel_affine) int fathom_channel_affine(const i32* ints, const double* floats) {
  ChannelAffineArguments args;
  read_channel_affine_arguments(ints, floats, &args);
  channel_affine((const float*)args.a, args.hasAlpha ? (const float*)args.alpha : 0, args.hasB ? (const float*)args.b : 0, (const float*)args.beta,
                 args.hasGamma ? (const float*)args.gamma : 0, (float*)args.out, args.outer, args.channels, args.inner);
  return OK;
}
