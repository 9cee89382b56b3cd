// One SGD update in place (core's Kernels.sgdStep): the gradient read once,
// the parameter and its momentum buffer read and written once each, where
// the separate ops (scaled sums, then copy_ into the parameter) made up to
// eleven passes over them. Each operation is rounded to float32 in the order
// of the composite's ops, so the values are theirs bit for bit.
#include "fathom.h"

typedef struct {
  float* param;
  const float* grad;
  float* buffer;
  float negLr, momentum, keep, decay;
  int hasMomentum, nesterov, maximize, first, dampened;
  int length, chunk;
} SgdJob;

INLINE v128_t step4(const SgdJob* j, v128_t p, v128_t g, float* b) {
  if (j->maximize) g = wasm_f32x4_neg(g);
  if (j->decay != 0) g = wasm_f32x4_add(g, wasm_f32x4_mul(wasm_f32x4_splat(j->decay), p));
  if (j->hasMomentum) {
    v128_t mu = wasm_f32x4_splat(j->momentum);
    v128_t v = g;
    if (!j->first) {
      v128_t fresh = j->dampened ? wasm_f32x4_mul(g, wasm_f32x4_splat(j->keep)) : g;
      v = wasm_f32x4_add(fresh, wasm_f32x4_mul(mu, wasm_v128_load(b)));
    }
    wasm_v128_store(b, v);
    g = j->nesterov ? wasm_f32x4_add(g, wasm_f32x4_mul(mu, v)) : v;
  }
  return wasm_f32x4_add(p, wasm_f32x4_mul(wasm_f32x4_splat(j->negLr), g));
}

static void sgd_range(const SgdJob* j, int begin, int end) {
  int i = begin;
  float* b = j->hasMomentum ? j->buffer : 0;
  for (; i + 4 <= end; i += 4) {
    v128_t p = wasm_v128_load(j->param + i);
    wasm_v128_store(j->param + i, step4(j, p, wasm_v128_load(j->grad + i), b == 0 ? 0 : b + i));
  }
  // The last 1–3 elements through the same lanes, padded in a local block.
  if (i < end) {
    float p[4] = {0}, g[4] = {0}, v[4] = {0};
    int n = end - i;
    for (int k = 0; k < n; k++) {
      p[k] = j->param[i + k];
      g[k] = j->grad[i + k];
      if (b != 0) v[k] = b[i + k];
    }
    wasm_v128_store(p, step4(j, wasm_v128_load(p), wasm_v128_load(g), v));
    for (int k = 0; k < n; k++) {
      j->param[i + k] = p[k];
      if (b != 0) b[i + k] = v[k];
    }
  }
}

static void sgd_task(void* args, int task, int thread) {
  SgdJob j = *(const SgdJob*)args;
  int begin = task * j.chunk, end = begin + j.chunk < j.length ? begin + j.chunk : j.length;
  sgd_range(&j, begin, end);
}

// [param, grad, momentum buffer (unread without momentum), length, lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep]
EXPORT(fathom_sgd_step) int fathom_sgd_step(const i32* ints, const double* floats) {
  SgdStepArguments args;
  read_sgd_step_arguments(ints, floats, &args);
  SgdJob j = {(float*)args.param, (const float*)args.grad, (float*)args.momentumBuffer,
              (float)-args.lr, (float)args.momentum, (float)(1 - args.dampening), (float)args.weightDecay,
              args.momentum != 0, args.nesterov, args.maximize, args.firstStep, args.dampening != 0, args.length, 0};
  // Five streams an element where a binary op has three: a task's worth from half as many
  // elements (LeNet-5's 120×400 weight: 43.5 µs on one thread, 32.7 split in two).
  int tasks = task_count(j.length, PARALLEL_ELEMENTS / 2);
  if (tasks == 1) {
    sgd_range(&j, 0, j.length);
    return OK;
  }
  j.chunk = (j.length + tasks - 1) / tasks;
  j.chunk = (j.chunk + 15) / 16 * 16;
  parallel_for(sgd_task, &j, (j.length + j.chunk - 1) / j.chunk);
  return OK;
}
