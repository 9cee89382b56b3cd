// Pooling over NCHW planes, forward and gradients, with PyTorch's conventions
// (as core's CPU kernels): max pooling never picks padding, reports the flat
// in-plane index of the first in-image tap unless a larger value (or a NaN)
// replaces it; average pooling divides as countIncludePad says.
#include "fathom.h"

// PoolGeometry (core's Pool2dParams) is generated in abi.h.
typedef struct {
  PoolGeometry g;
  const float* x;
  float* out;
  i32* indices;
  const i32* indicesIn;
  int planesPerTask;
} PoolJob;

// First and one-past-last taps t with start + t·dilation inside [0, size).
INLINE int first_tap(int start, int dilation) { return start >= 0 ? 0 : ceil_div(-start, dilation); }
INLINE int end_tap(int start, int dilation, int kernel, int size) {
  if (start >= size) return 0;
  int t = ceil_div(size - start, dilation);
  return t < kernel ? t : kernel;
}
INLINE int window_count(int start, int dilation, int kernel, int size, int pad, int includePad) {
  if (!includePad) return end_tap(start, dilation, kernel, size) - first_tap(start, dilation);
  return end_tap(start + pad, dilation, kernel, size + 2 * pad) - first_tap(start + pad, dilation);
}

// Runs fn over planes in chunks on the pool when the work is big enough.
static void over_planes(PoolJob* j, TaskFn fn, i64 workPerPlane) {
  int planes = j->g.planes;
  if (planes == 0) return;
  int threads = thread_count();
  int tasks = 1;
  if (threads > 1 && (i64)planes * workPerPlane >= 32768) tasks = planes < threads * 4 ? planes : threads * 4;
  j->planesPerTask = (planes + tasks - 1) / tasks;
  tasks = (planes + j->planesPerTask - 1) / j->planesPerTask;
  parallel_for(fn, j, tasks);
}

#define PLANE_RANGE(j, task, first, last)                                    \
  int first = (task) * (j)->planesPerTask;                                   \
  int last = first + (j)->planesPerTask < (j)->g.planes ? first + (j)->planesPerTask : (j)->g.planes;

// One output of max pooling: the window's max over its in-image taps, in
// row-major tap order, with its flat in-plane index.
INLINE void max_window(const PoolGeometry* g, const float* base, int hStart, int khFirst, int khEnd, int ow, float* out, i32* index) {
  int wStart = ow * g->strideWidth - g->padWidth;
  int kwFirst = first_tap(wStart, g->dilationWidth);
  int kwEnd = end_tap(wStart, g->dilationWidth, g->kernelWidth, g->inWidth);
  float max = -__builtin_inff();
  int at0 = (hStart + khFirst * g->dilationHeight) * g->inWidth + wStart + kwFirst * g->dilationWidth;
  int best = at0;
  for (int kh = khFirst; kh < khEnd; kh++) {
    int row = (hStart + kh * g->dilationHeight) * g->inWidth;
    for (int kw = kwFirst; kw < kwEnd; kw++) {
      int at = row + wStart + kw * g->dilationWidth;
      float v = base[at];
      if (v > max || v != v) {
        max = v;
        best = at;
      }
    }
  }
  *out = max;
  *index = best;
}

// Four values `stride` apart from p, reading nothing past the last.
INLINE v128_t load_strided4(const float* p, int stride) {
  if (stride == 1) return wasm_v128_load(p);
  if (stride == 2) return wasm_i32x4_shuffle(wasm_v128_load(p), wasm_v128_load(p + 3), 0, 2, 5, 7);
  return wasm_f32x4_make(p[0], p[stride], p[2 * stride], p[3 * stride]);
}

// Four neighbouring outputs whose windows lie inside the image across (the
// rows may be clipped), compared lane by lane in max_window's order, so each
// lane gets its bits and index.
INLINE void max_window4(const PoolGeometry* g, const float* base, int hStart, int khFirst, int khEnd, int ow, float* out, i32* index) {
  int wStart = ow * g->strideWidth - g->padWidth;
  v128_t max = wasm_f32x4_splat(-__builtin_inff());
  v128_t lanes = wasm_i32x4_make(0, g->strideWidth, 2 * g->strideWidth, 3 * g->strideWidth);
  v128_t best = wasm_i32x4_add(wasm_i32x4_splat((hStart + khFirst * g->dilationHeight) * g->inWidth + wStart), lanes);
  for (int kh = khFirst; kh < khEnd; kh++) {
    int row = (hStart + kh * g->dilationHeight) * g->inWidth;
    for (int kw = 0; kw < g->kernelWidth; kw++) {
      int at = row + wStart + kw * g->dilationWidth;
      v128_t v = load_strided4(base + at, g->strideWidth);
      v128_t replace = wasm_v128_or(wasm_f32x4_gt(v, max), wasm_f32x4_ne(v, v));
      max = wasm_v128_bitselect(v, max, replace);
      best = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(at), lanes), best, replace);
    }
  }
  wasm_v128_store(out, max);
  wasm_v128_store(index, best);
}

// 2×2 windows at stride 2 inside the image (LeNet's and VGG's pooling): one
// output row of a plane from input rows r0 and r1, four outputs per step,
// the even and odd columns split by shuffles and compared in max_window's
// tap order, so each output gets the same value and index as there.
INLINE int is_pair_pool(const PoolGeometry* g) {
  return g->kernelHeight == 2 && g->kernelWidth == 2 && g->strideHeight == 2 && g->strideWidth == 2 &&
         g->padHeight == 0 && g->padWidth == 0 && g->dilationHeight == 1 && g->dilationWidth == 1 &&
         2 * g->outHeight <= g->inHeight && 2 * g->outWidth <= g->inWidth;
}

INLINE void pair_pool_row(const PoolGeometry* g, const float* base, int oh, float* out, i32* indices) {
  const float* r0 = base + (i64)2 * oh * g->inWidth;
  const float* r1 = r0 + g->inWidth;
  v128_t lanes = wasm_i32x4_make(0, 2, 4, 6);
  v128_t one = wasm_i32x4_splat(1), below = wasm_i32x4_splat(g->inWidth);
  int ow = 0;
  for (;;) {
    if (ow + 4 > g->outWidth) {
      // The last 1–3 outputs as four ending at the row's end, over ones already
      // written (the same values again): LeNet-5's 14- and 5-wide rows.
      if (ow == g->outWidth || g->outWidth < 4) break;
      ow = g->outWidth - 4;
    }
    v128_t a0 = wasm_v128_load(r0 + 2 * ow), a1 = wasm_v128_load(r0 + 2 * ow + 4);
    v128_t b0 = wasm_v128_load(r1 + 2 * ow), b1 = wasm_v128_load(r1 + 2 * ow + 4);
    v128_t taps[3] = {wasm_i32x4_shuffle(a0, a1, 1, 3, 5, 7), wasm_i32x4_shuffle(b0, b1, 0, 2, 4, 6), wasm_i32x4_shuffle(b0, b1, 1, 3, 5, 7)};
    v128_t first = wasm_i32x4_add(wasm_i32x4_splat(2 * oh * g->inWidth + 2 * ow), lanes);
    v128_t at[3] = {wasm_i32x4_add(first, one), wasm_i32x4_add(first, below), wasm_i32x4_add(wasm_i32x4_add(first, below), one)};
    v128_t max = wasm_i32x4_shuffle(a0, a1, 0, 2, 4, 6), best = first;
    for (int t = 0; t < 3; t++) {
      v128_t replace = wasm_v128_or(wasm_f32x4_gt(taps[t], max), wasm_f32x4_ne(taps[t], taps[t]));
      max = wasm_v128_bitselect(taps[t], max, replace);
      best = wasm_v128_bitselect(at[t], best, replace);
    }
    wasm_v128_store(out + ow, max);
    wasm_v128_store(indices + ow, best);
    ow += 4;
  }
  for (; ow < g->outWidth; ow++) max_window(g, base, 2 * oh, 0, 2, ow, out + ow, indices + ow);
}

static void max_pool_task(void* args, int task, int thread) {
  (void)thread;
  // A copy (see TaskFn): LeNet-5's 2×2 pooling of 64×6×28×28 0.14–0.16 → 0.08–0.11 ms
  // on 2 threads, 0.26–0.29 → 0.16–0.17 on one.
  const PoolJob local = *(const PoolJob*)args;
  const PoolJob* j = &local;
  const PoolGeometry* g = &j->g;
  PLANE_RANGE(j, task, first, last)
  int inPlane = g->inHeight * g->inWidth, outPlane = g->outHeight * g->outWidth;
  // Outputs [inLow, inHigh) have every column tap inside the image.
  int reach = (g->kernelWidth - 1) * g->dilationWidth;
  int inLow = ceil_div(g->padWidth, g->strideWidth);
  int inHigh = g->inWidth - 1 - reach + g->padWidth < 0 ? 0 : (g->inWidth - 1 - reach + g->padWidth) / g->strideWidth + 1;
  if (inHigh > g->outWidth) inHigh = g->outWidth;
  if (inLow > inHigh) inLow = inHigh;
  int pairs = is_pair_pool(g);
  for (int plane = first; plane < last; plane++) {
    const float* base = j->x + (i64)plane * inPlane;
    float* out = j->out + (i64)plane * outPlane;
    i32* indices = j->indices + (i64)plane * outPlane;
    for (int oh = 0; oh < g->outHeight; oh++, out += g->outWidth, indices += g->outWidth) {
      if (pairs) {
        pair_pool_row(g, base, oh, out, indices);
        continue;
      }
      int hStart = oh * g->strideHeight - g->padHeight;
      int khFirst = first_tap(hStart, g->dilationHeight);
      int khEnd = end_tap(hStart, g->dilationHeight, g->kernelHeight, g->inHeight);
      int ow = 0;
      for (; ow < inLow; ow++) max_window(g, base, hStart, khFirst, khEnd, ow, out + ow, indices + ow);
      if (khFirst < khEnd) {
        for (; ow + 4 <= inHigh; ow += 4) max_window4(g, base, hStart, khFirst, khEnd, ow, out + ow, indices + ow);
        // The last inside outputs: four more ending at inHigh, over ones already written (the same
        // values again), instead of one at a time (ResNet's 3×3 stride-2 pooling on 32 columns: 3 of 16).
        if (ow < inHigh && inHigh - 4 >= inLow) {
          max_window4(g, base, hStart, khFirst, khEnd, inHigh - 4, out + inHigh - 4, indices + inHigh - 4);
          ow = inHigh;
        }
      }
      for (; ow < g->outWidth; ow++) max_window(g, base, hStart, khFirst, khEnd, ow, out + ow, indices + ow);
    }
  }
}

// [geometry (14), x address, out address, indices address]
EXPORT(fathom_max_pool2d) int fathom_max_pool2d(const i32* ints, const double* floats) {
  MaxPool2dArguments args;
  read_max_pool2d_arguments(ints, floats, &args);
  PoolJob j;
  j.g = args.geometry;
  j.x = (const float*)args.x;
  j.out = (float*)args.out;
  j.indices = (i32*)args.indices;
  over_planes(&j, max_pool_task, (i64)j.g.outHeight * j.g.outWidth * j.g.kernelHeight * j.g.kernelWidth);
  return OK;
}

static void max_pool_grad_task(void* args, int task, int thread) {
  (void)thread;
  const PoolJob* j = (const PoolJob*)args;
  PLANE_RANGE(j, task, first, last)
  int inPlane = j->g.inHeight * j->g.inWidth, outPlane = j->g.outHeight * j->g.outWidth;
  for (int plane = first; plane < last; plane++) {
    float* dx = j->out + (i64)plane * inPlane;
    const float* gradOut = j->x + (i64)plane * outPlane;
    const i32* indices = j->indicesIn + (i64)plane * outPlane;
    memset(dx, 0, (size_t)inPlane * 4);
    for (int o = 0; o < outPlane; o++) dx[indices[o]] += gradOut[o];
  }
}

// [geometry, gradOut address, indices address, out address]
EXPORT(fathom_max_pool2d_grad) int fathom_max_pool2d_grad(const i32* ints, const double* floats) {
  MaxPool2dGradArguments args;
  read_max_pool2d_grad_arguments(ints, floats, &args);
  PoolJob j;
  j.g = args.geometry;
  j.x = (const float*)args.gradOut;
  j.indicesIn = (const i32*)args.indices;
  j.out = (float*)args.out;
  over_planes(&j, max_pool_grad_task, (i64)j.g.inHeight * j.g.inWidth + (i64)j.g.outHeight * j.g.outWidth);
  return OK;
}

static void avg_pool_task(void* args, int task, int thread) {
  (void)thread;
  const PoolJob* j = (const PoolJob*)args;
  const PoolGeometry* g = &j->g;
  PLANE_RANGE(j, task, first, last)
  int inPlane = g->inHeight * g->inWidth, outPlane = g->outHeight * g->outWidth;
  for (int plane = first; plane < last; plane++) {
    const float* base = j->x + (i64)plane * inPlane;
    float* out = j->out + (i64)plane * outPlane;
    for (int oh = 0; oh < g->outHeight; oh++) {
      int hStart = oh * g->strideHeight - g->padHeight;
      int khFirst = first_tap(hStart, g->dilationHeight);
      int khEnd = end_tap(hStart, g->dilationHeight, g->kernelHeight, g->inHeight);
      int rows = window_count(hStart, g->dilationHeight, g->kernelHeight, g->inHeight, g->padHeight, g->countIncludePad);
      for (int ow = 0; ow < g->outWidth; ow++) {
        int wStart = ow * g->strideWidth - g->padWidth;
        int kwFirst = first_tap(wStart, g->dilationWidth);
        int kwEnd = end_tap(wStart, g->dilationWidth, g->kernelWidth, g->inWidth);
        int count = rows * window_count(wStart, g->dilationWidth, g->kernelWidth, g->inWidth, g->padWidth, g->countIncludePad);
        double sum = 0;
        for (int kh = khFirst; kh < khEnd; kh++) {
          const float* row = base + (i64)(hStart + kh * g->dilationHeight) * g->inWidth + wStart;
          for (int kw = kwFirst; kw < kwEnd; kw++) sum += row[kw * g->dilationWidth];
        }
        // A window wholly in the padding averages nothing; PyTorch writes 0.
        *out++ = count > 0 ? (float)(sum / count) : 0.0f;
      }
    }
  }
}

// [geometry, x address, out address]
EXPORT(fathom_avg_pool2d) int fathom_avg_pool2d(const i32* ints, const double* floats) {
  AvgPool2dArguments args;
  read_avg_pool2d_arguments(ints, floats, &args);
  PoolJob j;
  j.g = args.geometry;
  j.x = (const float*)args.x;
  j.out = (float*)args.out;
  over_planes(&j, avg_pool_task, (i64)j.g.outHeight * j.g.outWidth * j.g.kernelHeight * j.g.kernelWidth);
  return OK;
}

static void avg_pool_grad_task(void* args, int task, int thread) {
  (void)thread;
  const PoolJob* j = (const PoolJob*)args;
  const PoolGeometry* g = &j->g;
  PLANE_RANGE(j, task, first, last)
  int inPlane = g->inHeight * g->inWidth, outPlane = g->outHeight * g->outWidth;
  for (int plane = first; plane < last; plane++) {
    float* base = j->out + (i64)plane * inPlane;
    const float* gradOut = j->x + (i64)plane * outPlane;
    memset(base, 0, (size_t)inPlane * 4);
    for (int oh = 0; oh < g->outHeight; oh++) {
      int hStart = oh * g->strideHeight - g->padHeight;
      int khFirst = first_tap(hStart, g->dilationHeight);
      int khEnd = end_tap(hStart, g->dilationHeight, g->kernelHeight, g->inHeight);
      int rows = window_count(hStart, g->dilationHeight, g->kernelHeight, g->inHeight, g->padHeight, g->countIncludePad);
      for (int ow = 0; ow < g->outWidth; ow++) {
        int wStart = ow * g->strideWidth - g->padWidth;
        int kwFirst = first_tap(wStart, g->dilationWidth);
        int kwEnd = end_tap(wStart, g->dilationWidth, g->kernelWidth, g->inWidth);
        int count = rows * window_count(wStart, g->dilationWidth, g->kernelWidth, g->inWidth, g->padWidth, g->countIncludePad);
        float grad = *gradOut++;
        if (count == 0) continue;
        float share = (float)((double)grad / count);
        for (int kh = khFirst; kh < khEnd; kh++) {
          float* row = base + (i64)(hStart + kh * g->dilationHeight) * g->inWidth + wStart;
          for (int kw = kwFirst; kw < kwEnd; kw++) row[kw * g->dilationWidth] += share;
        }
      }
    }
  }
}

// [geometry, gradOut address, out address]
EXPORT(fathom_avg_pool2d_grad) int fathom_avg_pool2d_grad(const i32* ints, const double* floats) {
  AvgPool2dGradArguments args;
  read_avg_pool2d_grad_arguments(ints, floats, &args);
  PoolJob j;
  j.g = args.geometry;
  j.x = (const float*)args.gradOut;
  j.out = (float*)args.out;
  over_planes(&j, avg_pool_grad_task, (i64)j.g.outHeight * j.g.outWidth * j.g.kernelHeight * j.g.kernelWidth);
  return OK;
}

// Adaptive bins: cell i covers [⌊i·size/out⌋, ⌈(i+1)·size/out⌉).
INLINE int bin_start(int i, int size, int out) { return (int)(((i64)i * size) / out); }
INLINE int bin_end(int i, int size, int out) { return (int)(((i64)(i + 1) * size + out - 1) / out); }

static void adaptive_task(void* args, int task, int thread) {
  (void)thread;
  const PoolJob* j = (const PoolJob*)args;
  const PoolGeometry* g = &j->g;
  PLANE_RANGE(j, task, first, last)
  int inPlane = g->inHeight * g->inWidth, outPlane = g->outHeight * g->outWidth;
  for (int plane = first; plane < last; plane++) {
    const float* base = j->x + (i64)plane * inPlane;
    float* out = j->out + (i64)plane * outPlane;
    for (int oh = 0; oh < g->outHeight; oh++) {
      int h0 = bin_start(oh, g->inHeight, g->outHeight), h1 = bin_end(oh, g->inHeight, g->outHeight);
      for (int ow = 0; ow < g->outWidth; ow++) {
        int w0 = bin_start(ow, g->inWidth, g->outWidth), w1 = bin_end(ow, g->inWidth, g->outWidth);
        double sum = 0;
        for (int h = h0; h < h1; h++) {
          const float* row = base + (i64)h * g->inWidth;
          for (int w = w0; w < w1; w++) sum += row[w];
        }
        // An empty input gives empty bins; PyTorch's mean of nothing is NaN.
        *out++ = (float)(sum / ((h1 - h0) * (w1 - w0)));
      }
    }
  }
}

// Adaptive pooling uses the first five fields of the job's PoolGeometry.
static void adaptive_job(const AdaptivePoolGeometry* a, const u8* x, u8* out, PoolJob* j) {
  PoolGeometry* g = &j->g;
  g->planes = a->planes;
  g->inHeight = a->inHeight;
  g->inWidth = a->inWidth;
  g->outHeight = a->outHeight;
  g->outWidth = a->outWidth;
  j->x = (const float*)x;
  j->out = (float*)out;
}

EXPORT(fathom_adaptive_avg_pool2d) int fathom_adaptive_avg_pool2d(const i32* ints, const double* floats) {
  AdaptiveAvgPool2dArguments args;
  read_adaptive_avg_pool2d_arguments(ints, floats, &args);
  PoolJob j;
  adaptive_job(&args.geometry, args.x, args.out, &j);
  over_planes(&j, adaptive_task, (i64)j.g.inHeight * j.g.inWidth + (i64)j.g.outHeight * j.g.outWidth);
  return OK;
}

static void adaptive_grad_task(void* args, int task, int thread) {
  (void)thread;
  const PoolJob* j = (const PoolJob*)args;
  const PoolGeometry* g = &j->g;
  PLANE_RANGE(j, task, first, last)
  int inPlane = g->inHeight * g->inWidth, outPlane = g->outHeight * g->outWidth;
  for (int plane = first; plane < last; plane++) {
    float* base = j->out + (i64)plane * inPlane;
    const float* gradOut = j->x + (i64)plane * outPlane;
    memset(base, 0, (size_t)inPlane * 4);
    for (int oh = 0; oh < g->outHeight; oh++) {
      int h0 = bin_start(oh, g->inHeight, g->outHeight), h1 = bin_end(oh, g->inHeight, g->outHeight);
      for (int ow = 0; ow < g->outWidth; ow++) {
        int w0 = bin_start(ow, g->inWidth, g->outWidth), w1 = bin_end(ow, g->inWidth, g->outWidth);
        float share = (float)((double)*gradOut++ / ((h1 - h0) * (w1 - w0)));
        for (int h = h0; h < h1; h++) {
          float* row = base + (i64)h * g->inWidth;
          for (int w = w0; w < w1; w++) row[w] += share;
        }
      }
    }
  }
}

EXPORT(fathom_adaptive_avg_pool2d_grad) int fathom_adaptive_avg_pool2d_grad(const i32* ints, const double* floats) {
  AdaptiveAvgPool2dGradArguments args;
  read_adaptive_avg_pool2d_grad_arguments(ints, floats, &args);
  PoolJob j;
  adaptive_job(&args.geometry, args.gradOut, args.out, &j);
  over_planes(&j, adaptive_grad_task, (i64)j.g.inHeight * j.g.inWidth + (i64)j.g.outHeight * j.g.outWidth);
  return OK;
}
