// The weight gradient of the direct convolutions (conv_direct.c): stride 1,
// few output channels,
//
//   dW[o][c][kh][kw] = Σ_n Σ_(oh, ow) gradOut[n][o][oh][ow] · x[n][c][oh + kh − pH][ow + kw − pW].
//
// im2col + GEMM spends as long unfolding and packing as multiplying here
// (LeNet-5's layers: a (taps × 6) or (taps × 16) product per image, narrower
// than the micro-kernel's 8 columns). Instead each image is copied once into
// a zero-padded buffer, its gradOut planes into rows of whole vectors (zeros
// past the last column), and a register tile of 4 output channels × 2
// taps runs along the rows four columns at a time; each
// accumulator is summed across its lanes once per image.
//
// The images are summed in chunks of a fixed size, each chunk into its own
// partial gradient, and the chunks are added in order at the end: the bits
// depend on the shape only, never on the number of threads.
#include "conv_direct.h"

#define WOB 4      // output channels per tile
#define WKB 2      // taps along a kernel row per tile
#define CHUNK 4    // images per partial sum

typedef struct {
  int batch, groups, cin, cout;  // channels per group
  int inH, inW, outH, outW, kH, kW, padH, padW;
  int paddedH, paddedW, rowW, chunks;
  const i32* offsets;  // per tap (c, kh, kw): c·paddedH·paddedW + kh·paddedW + kw
  const float* x;
  const float* gradOut;
  float* partials;  // [chunk][group][cout][cin·kH·kW]: the layout of dW, once per chunk
  float* pads;      // per thread: cin padded input planes, then cout gradOut planes (outH × rowW)
  u32 padFloats, weightFloats;
} WeightGrad;

INLINE float lane_sum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// dw[i·K + k] += the image's sum of gradOut plane i (from `g`) times the
// padded input at offsets[k] (tap t + k of the flat (c, kh, kw) order), for
// i < ob, k < kb.
INLINE void tile(const WeightGrad* d, const float* xpad, const i32* offsets, const float* g, int ob, int kb, float* dw, int K) {
  v128_t acc[WOB][WKB];
  const float* in[WKB];
  for (int k = 0; k < kb; k++) in[k] = xpad + offsets[k];
  for (int i = 0; i < ob; i++) {
    for (int k = 0; k < kb; k++) acc[i][k] = wasm_f32x4_splat(0);
  }
  int gPlane = d->outH * d->rowW;
  for (int oh = 0; oh < d->outH; oh++, g += d->rowW) {
    for (int ow = 0; ow < d->rowW; ow += 4) {
      v128_t x[WKB];
      for (int k = 0; k < kb; k++) x[k] = wasm_v128_load(in[k] + ow);
      for (int i = 0; i < ob; i++) {
        v128_t gv = wasm_v128_load(g + (i64)i * gPlane + ow);
        for (int k = 0; k < kb; k++) acc[i][k] = wasm_f32x4_add(acc[i][k], wasm_f32x4_mul(gv, x[k]));
      }
    }
    for (int k = 0; k < kb; k++) in[k] += d->paddedW;
  }
  for (int i = 0; i < ob; i++) {
    for (int k = 0; k < kb; k++) dw[(i64)i * K + k] += lane_sum(acc[i][k]);
  }
}

// The tile for every count of channels and taps, each with constant trip
// counts so the accumulators stay in registers.
static void run_tile(const WeightGrad* d, const float* xpad, const i32* offsets, const float* g, int ob, int kb, float* dw, int K) {
#define CASE(o, k) \
  case (o) * 4 + (k): tile(d, xpad, offsets, g, o, k, dw, K); break;
  switch (ob * 4 + kb) {
    CASE(4, 2) CASE(4, 1) CASE(3, 2) CASE(3, 1) CASE(2, 2) CASE(2, 1) CASE(1, 2) CASE(1, 1)
  }
#undef CASE
}

// Adds image n of `group` to dw (this chunk's partial gradient of the group).
static void add_image(const WeightGrad* d, int n, int group, float* xpad, float* gpad, float* dw) {
  const float* x = d->x + ((i64)n * d->groups + group) * d->cin * d->inH * d->inW;
  for (int c = 0; c < d->cin; c++) {
    for (int h = 0; h < d->inH; h++) {
      copy_floats(xpad + ((i64)c * d->paddedH + h + d->padH) * d->paddedW + d->padW, x + ((i64)c * d->inH + h) * d->inW, d->inW);
    }
  }
  const float* g = d->gradOut + ((i64)n * d->groups + group) * d->cout * d->outH * d->outW;
  for (int row = 0; row < d->cout * d->outH; row++) {
    copy_floats(gpad + (i64)row * d->rowW, g + (i64)row * d->outW, d->outW);
  }
  int K = d->cin * d->kH * d->kW, gPlane = d->outH * d->rowW;
  for (int o = 0; o < d->cout; o += WOB) {
    int ob = d->cout - o < WOB ? d->cout - o : WOB;
    // Taps in pairs along the flat (c, kh, kw) order, across rows and channels, so an odd kW wastes no lanes.
    for (int t = 0; t < K; t += WKB) {
      int kb = K - t < WKB ? K - t : WKB;
      run_tile(d, xpad, d->offsets + t, gpad + (i64)o * gPlane, ob, kb, dw + (i64)o * K + t, K);
    }
  }
}

// Task (chunk, group): the chunk's images summed into its partial gradient.
static void chunk_task(void* args, int task, int thread) {
  const WeightGrad* d = (const WeightGrad*)args;
  int chunk = task / d->groups, group = task % d->groups;
  float* xpad = d->pads + (u32)thread * d->padFloats;
  float* gpad = xpad + (u32)d->cin * (u32)d->paddedH * (u32)d->paddedW;
  // Only the interiors are written per image: the padding and the columns past outW stay zero.
  memset(xpad, 0, (size_t)d->padFloats * 4);
  u32 groupFloats = (u32)d->cout * (u32)d->cin * (u32)(d->kH * d->kW);
  float* dw = d->partials + (u32)chunk * d->weightFloats + (u32)group * groupFloats;
  memset(dw, 0, (size_t)groupFloats * 4);
  int last = (chunk + 1) * CHUNK < d->batch ? (chunk + 1) * CHUNK : d->batch;
  for (int n = chunk * CHUNK; n < last; n++) add_image(d, n, group, xpad, gpad, dw);
}

void direct_conv_weight_grad(const ConvGeometry* g, const float* x, const float* gradOut, float* dw) {
  WeightGrad d = {g->batch, g->groups, g->inChannels / g->groups, g->outChannels / g->groups,
                  g->inHeight, g->inWidth, g->outHeight, g->outWidth, g->kernelHeight, g->kernelWidth, g->padHeight, g->padWidth,
                  0, 0, 0, 0, 0, x, gradOut, 0, 0, 0, 0};
  d.rowW = (d.outW + 3) & ~3;
  d.paddedH = d.inH + 2 * d.padH;
  d.paddedW = d.rowW + d.kW - 1;  // a row's last vector, shifted by the last tap, stays inside
  d.chunks = (d.batch + CHUNK - 1) / CHUNK;
  d.padFloats = whole_lines((u32)d.cin * (u32)d.paddedH * (u32)d.paddedW + (u32)d.cout * (u32)d.outH * (u32)d.rowW);
  d.weightFloats = whole_lines((u32)g->outChannels * (u32)d.cin * (u32)(d.kH * d.kW));
  u32 taps = (u32)d.cin * (u32)(d.kH * d.kW);
  float* scratch = (float*)fathom_scratch(((u32)d.chunks * d.weightFloats + d.padFloats * (u32)thread_count() + taps) * 4u);
  d.partials = scratch;
  d.pads = scratch + (u32)d.chunks * d.weightFloats;
  i32* offsets = (i32*)(d.pads + d.padFloats * (u32)thread_count());
  for (u32 t = 0; t < taps; t++) {
    int c = (int)t / (d.kH * d.kW), kh = (int)t / d.kW % d.kH, kw = (int)t % d.kW;
    offsets[t] = (c * d.paddedH + kh) * d.paddedW + kw;
  }
  d.offsets = offsets;
  parallel_for(chunk_task, &d, d.chunks * d.groups);
  memcpy(dw, d.partials, (size_t)d.weightFloats * 4);
  for (int chunk = 1; chunk < d.chunks; chunk++) {
    const float* partial = d.partials + (u32)chunk * d.weightFloats;
    for (u32 i = 0; i < d.weightFloats; i++) dw[i] += partial[i];
  }
}
