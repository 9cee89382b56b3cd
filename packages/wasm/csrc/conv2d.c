// Convolution through im2col and the packed GEMM, forward and both gradients.
//
// Per image and group: out_g (Og, P) = W_g (Og, K) · cols (K, P), where
// K = Cg·kH·kW taps and P = OH·OW output positions; a 1×1, stride-1, unpadded
// convolution uses the input planes as cols directly. Images (and groups) are
// spread over the threads when there are enough of them, each thread with its
// own column buffer; otherwise one image at a time with the GEMM split.
// 3×3 stride-1 convolutions with enough channels go through Winograd's
// F(2×2, 3×3) instead (winograd.c), forward and both gradients; planes so
// small that a quarter of the taps' products read padding go tap by tap
// (conv_taps.c; the weight gradient on 4×4 planes stays on Winograd),
// stride-1 layers with few channels go direct (conv_direct.c), and the input
// gradients of other stride-1 layers with few output channels scatter their
// products straight into dx (conv_scatter.c).
#include "gemm.h"
#include "winograd.h"
#include "conv_direct.h"
#include "conv_taps.h"
#include "conv_scatter.h"
#include "channel_affine.h"

// ConvGeometry (core's Conv2dParams) is generated in abi.h.

// Unfolds rows first…last−1 of the column matrix (K, P) of the input planes
// at x into cols (rows `ld` floats apart): row t = (c, kh, kw), column
// (oh, ow) holds the input under that tap, 0 in the padding.
static void im2col_rows(const ConvGeometry* g, const float* x, int first, int last, float* cols, int ld) {
  int plane = g->inHeight * g->inWidth;
  int taps = g->kernelHeight * g->kernelWidth;
  for (int t = first; t < last; t++) {
    float* d = cols + (i64)(t - first) * ld;
    int c = t / taps, kh = t % taps / g->kernelWidth, kw = t % g->kernelWidth;
    const float* base = x + (i64)c * plane;
    int shift = kw * g->dilationWidth - g->padWidth;
    int owStart, owEnd;
    valid_range(g->outWidth, g->inWidth, g->strideWidth, shift, &owStart, &owEnd);
    for (int oh = 0; oh < g->outHeight; oh++) {
      int ih = oh * g->strideHeight + kh * g->dilationHeight - g->padHeight;
      if (ih < 0 || ih >= g->inHeight) {
        zero_floats(d, g->outWidth);
        d += g->outWidth;
        continue;
      }
      const float* row = base + (i64)ih * g->inWidth + shift;
      int ow = 0;
      for (; ow < owStart; ow++) *d++ = 0;
      if (g->strideWidth == 1) {
        copy_floats(d, row + ow, owEnd - ow);
        d += owEnd - ow;
        ow = owEnd;
      } else {
        for (const float* s = row + (i64)ow * g->strideWidth; ow < owEnd; ow++, s += g->strideWidth) *d++ = *s;
      }
      for (; ow < g->outWidth; ow++) *d++ = 0;
    }
  }
}

// The whole column matrix of `channels` planes.
static void im2col(const ConvGeometry* g, const float* x, int channels, float* cols, int ld) {
  im2col_rows(g, x, 0, channels * g->kernelHeight * g->kernelWidth, cols, ld);
}

// Adds each entry of cols (rows `ld` floats apart) back onto the input
// position it was read from.
static void col2im(const ConvGeometry* g, const float* cols, int channels, float* x, int ld) {
  int plane = g->inHeight * g->inWidth;
  const float* row0 = cols;
  for (int c = 0; c < channels; c++) {
    float* base = x + (i64)c * plane;
    for (int kh = 0; kh < g->kernelHeight; kh++) {
      for (int kw = 0; kw < g->kernelWidth; kw++, row0 += ld) {
        int shift = kw * g->dilationWidth - g->padWidth;
        int owStart, owEnd;
        valid_range(g->outWidth, g->inWidth, g->strideWidth, shift, &owStart, &owEnd);
        const float* d = row0;
        for (int oh = 0; oh < g->outHeight; oh++, d += g->outWidth) {
          int ih = oh * g->strideHeight + kh * g->dilationHeight - g->padHeight;
          if (ih < 0 || ih >= g->inHeight) continue;
          float* row = base + (i64)ih * g->inWidth + shift;
          if (g->strideWidth == 1) {
            int ow = owStart;
            for (; ow + 4 <= owEnd; ow += 4) {
              wasm_v128_store(row + ow, wasm_f32x4_add(wasm_v128_load(row + ow), wasm_v128_load(d + ow)));
            }
            for (; ow < owEnd; ow++) row[ow] += d[ow];
          } else {
            float* s = row + (i64)owStart * g->strideWidth;
            for (int ow = owStart; ow < owEnd; ow++, s += g->strideWidth) *s += d[ow];
          }
        }
      }
    }
  }
}

INLINE int is_pointwise(const ConvGeometry* g) {
  return g->kernelHeight == 1 && g->kernelWidth == 1 && g->strideHeight == 1 && g->strideWidth == 1 &&
         g->padHeight == 0 && g->padWidth == 0;
}

typedef struct {
  ConvGeometry g;
  int groupIn, groupOut, taps, outPlane, inPlane, pointwise, splitGemm;
  const float* x;       // forward, weight grad: the input; input grad: gradOut
  const float* weight;  // forward, input grad: the weight; weight grad: gradOut
  const float* bias;    // forward: one per output channel, or null
  float* out;
  float* scratch;
  u32 colsFloats, packFloats, threadFloats;
  int slices, rowsPerSlice;  // weight gradient: K rows split into slices
} ConvJob;

static void setup(ConvJob* j, Params* p) {
  // The three kernels share one argument block (src/abi.ts).
  Conv2dArguments args;
  read_conv2d_arguments(p->ints, p->floats, &args);
  j->g = args.geometry;
  j->x = (const float*)args.x;
  j->weight = (const float*)args.weight;
  j->out = (float*)args.out;
  j->bias = args.hasBias ? (const float*)args.bias : 0;
  const ConvGeometry* g = &j->g;
  j->groupIn = g->inChannels / g->groups;
  j->groupOut = g->outChannels / g->groups;
  j->taps = j->groupIn * g->kernelHeight * g->kernelWidth;
  j->outPlane = g->outHeight * g->outWidth;
  j->inPlane = g->inHeight * g->inWidth;
  j->pointwise = is_pointwise(g);
  j->colsFloats = j->pointwise ? 0 : whole_lines((u32)j->taps * (u32)j->outPlane);
}

// Whether to spread `units` independent pieces (images or image·groups) over
// the threads rather than split each GEMM: when they balance well.
static int spread_units(int units) {
  int threads = thread_count();
  return threads > 1 && (units >= 2 * threads || units % threads == 0);
}

// ---------------------------------------------------------------------------
// Winograd F(2×2, 3×3): whether it applies to (and pays for) this geometry,
// forward or either gradient, and its description if so. The input gradient
// of a 3×3 stride-1 convolution padded by p is a 3×3 stride-1 convolution of
// gradOut padded by 2 − p with the flipped, transposed weights.

enum { WINOGRAD_FORWARD, WINOGRAD_INPUT_GRAD, WINOGRAD_WEIGHT_GRAD };

static int winograd_geometry(const ConvGeometry* g, int kind, WinogradConv* w) {
  if (g->kernelHeight != 3 || g->kernelWidth != 3 || g->strideHeight != 1 || g->strideWidth != 1 ||
      g->dilationHeight != 1 || g->dilationWidth != 1) {
    return 0;
  }
  WinogradConv c = {g->batch, g->inChannels, g->outChannels, g->groups, g->inHeight, g->inWidth,
                    g->outHeight, g->outWidth, g->padHeight, g->padWidth, 0};
  if (kind == WINOGRAD_INPUT_GRAD) {
    WinogradConv t = {g->batch, g->outChannels, g->inChannels, g->groups, g->outHeight, g->outWidth,
                      g->inHeight, g->inWidth, 2 - g->padHeight, 2 - g->padWidth, 1};
    c = t;
  }
  if (!(kind == WINOGRAD_WEIGHT_GRAD ? winograd_weight_grad_pays(&c) : winograd_pays(&c))) return 0;
  *w = c;
  return 1;
}

// ---------------------------------------------------------------------------
// Few output positions (a ResNet's last stages: 4×4, 2×2). One image's GEMM
// is then P columns wide, so the weights are packed again for every image,
// the micro-tiles run mostly empty and the weight gradient reads and writes
// all of dW once per image to add P products. Instead a chunk of images runs
// as one GEMM over all their columns: cols (C·kH·kW, n·P), image i's columns
// at i·P, with gradOut and the output gathered to and from (O, n·P). The
// choice depends on the geometry only, never on the thread count.

#ifndef MERGE_BELOW
#define MERGE_BELOW 64
#endif
#define MERGE_CHUNK_FLOATS (4u << 20)  // cols and gathered planes of one chunk

INLINE int merge_images(const ConvJob* j) { return j->outPlane < MERGE_BELOW && j->g.batch > 1; }

typedef struct {
  const ConvJob* j;
  int first, count, ld;  // images first…first+count−1; ld = count·P
  float* cols;           // (C·kH·kW, ld)
  float* planes;         // (O, ld): output or gradOut, image i at column i·P
  float* pack;
  const float* gradOut;  // gradients: the (N, O, P) gradOut to gather
} MergedChunk;

static void unfold_task(void* args, int i, int thread) {
  const MergedChunk* m = (const MergedChunk*)args;
  const ConvJob* j = m->j;
  const float* x = j->x + (i64)(m->first + i) * j->g.inChannels * j->inPlane;
  im2col(&j->g, x, j->g.inChannels, m->cols + (i64)i * j->outPlane, m->ld);
}

// planes ← image i of gradOut, and output image i ← planes.
static void gather_planes_task(void* args, int i, int thread) {
  const MergedChunk* m = (const MergedChunk*)args;
  const ConvJob* j = m->j;
  const float* from = m->gradOut + (i64)(m->first + i) * j->g.outChannels * j->outPlane;
  for (int o = 0; o < j->g.outChannels; o++) copy_floats(m->planes + (i64)o * m->ld + (i64)i * j->outPlane, from + (i64)o * j->outPlane, j->outPlane);
}

static void scatter_planes_task(void* args, int i, int thread) {
  const MergedChunk* m = (const MergedChunk*)args;
  const ConvJob* j = m->j;
  float* to = j->out + (i64)(m->first + i) * j->g.outChannels * j->outPlane;
  for (int o = 0; o < j->g.outChannels; o++) copy_floats(to + (i64)o * j->outPlane, m->planes + (i64)o * m->ld + (i64)i * j->outPlane, j->outPlane);
}

static void fold_task(void* args, int i, int thread) {
  const MergedChunk* m = (const MergedChunk*)args;
  const ConvJob* j = m->j;
  float* dx = j->out + (i64)(m->first + i) * j->g.inChannels * j->inPlane;
  memset(dx, 0, (size_t)j->g.inChannels * j->inPlane * 4);
  col2im(&j->g, m->cols + (i64)i * j->outPlane, j->g.inChannels, dx, m->ld);
}

enum { MERGED_FORWARD, MERGED_INPUT_GRAD, MERGED_WEIGHT_GRAD };

// Runs one of the three products chunk by chunk.
static void run_merged(const ConvJob* j, int kind) {
  const ConvGeometry* g = &j->g;
  int P = j->outPlane, groups = g->groups, Og = j->groupOut, Kg = j->taps;
  int allTaps = g->inChannels * g->kernelHeight * g->kernelWidth;
  u32 perImage = (u32)(allTaps + g->outChannels) * (u32)P;
  int count = (int)(MERGE_CHUNK_FLOATS / perImage);
  if (count < 1) count = 1;
  if (count > g->batch) count = g->batch;
  int ld = count * P;
  u32 packFloats = kind == MERGED_FORWARD ? gemm_pack_floats(Og, ld, Kg)
                 : kind == MERGED_INPUT_GRAD ? gemm_pack_floats(Kg, ld, Og) : gemm_pack_floats(Og, Kg, ld);
  u32 colsFloats = whole_lines((u32)allTaps * (u32)ld), planesFloats = whole_lines((u32)g->outChannels * (u32)ld);
  float* scratch = (float*)fathom_scratch((colsFloats + planesFloats + packFloats * (u32)thread_count()) * 4u);
  MergedChunk m = {j, 0, 0, 0, scratch, scratch + colsFloats, scratch + colsFloats + planesFloats,
                   kind == MERGED_INPUT_GRAD ? j->x : j->weight};
  for (int first = 0; first < g->batch; first += count) {
    m.first = first;
    m.count = first + count <= g->batch ? count : g->batch - first;
    m.ld = m.count * P;
    int n = m.ld;
    if (kind != MERGED_INPUT_GRAD) parallel_for(unfold_task, &m, m.count);
    if (kind != MERGED_FORWARD) parallel_for(gather_planes_task, &m, m.count);
    for (int group = 0; group < groups; group++) {
      float* cols = m.cols + (i64)group * Kg * m.ld;
      float* planes = m.planes + (i64)group * Og * m.ld;
      const float* w = j->weight + (i64)group * Og * Kg;
      if (kind == MERGED_FORWARD) {
        sgemm_parallel(Og, n, Kg, w, Kg, 1, cols, m.ld, 1, planes, m.ld, 0, m.pack);
      } else if (kind == MERGED_INPUT_GRAD) {
        // W_gᵀ (K, Og): element (t, o) of W_g (Og, K) is at o·K + t.
        sgemm_parallel(Kg, n, Og, w, 1, Kg, planes, m.ld, 1, cols, m.ld, 0, m.pack);
      } else {
        // dW_g (Og, K) += gradOut_g (Og, n·P) · colsᵀ (n·P, K): element (q, t) of colsᵀ is at t·ld + q.
        sgemm_parallel(Og, Kg, n, planes, m.ld, 1, cols, 1, m.ld, j->out + (i64)group * Og * Kg, Kg, first > 0, m.pack);
      }
    }
    if (kind == MERGED_FORWARD) parallel_for(scatter_planes_task, &m, m.count);
    if (kind == MERGED_INPUT_GRAD) parallel_for(fold_task, &m, m.count);
  }
}

// ---------------------------------------------------------------------------
// forward

static void forward_unit(const ConvJob* j, int unit, int thread, int parallelGemm) {
  int n = unit / j->g.groups, group = unit % j->g.groups;
  float* mine = j->scratch + (u32)thread * j->threadFloats;
  float* cols = mine;
  float* pack = mine + j->colsFloats;
  const float* x = j->x + ((i64)n * j->g.inChannels + (i64)group * j->groupIn) * j->inPlane;
  const float* w = j->weight + (i64)group * j->groupOut * j->taps;
  float* out = j->out + ((i64)n * j->g.outChannels + (i64)group * j->groupOut) * j->outPlane;
  const float* b = x;
  if (!j->pointwise) {
    im2col(&j->g, x, j->groupIn, cols, j->outPlane);
    b = cols;
  }
  if (parallelGemm) sgemm_parallel(j->groupOut, j->outPlane, j->taps, w, j->taps, 1, b, j->outPlane, 1, out, j->outPlane, 0, pack);
  else sgemm(j->groupOut, j->outPlane, j->taps, w, j->taps, 1, b, j->outPlane, 1, out, j->outPlane, 0, pack);
}

static void forward_task(void* args, int task, int thread) { forward_unit((const ConvJob*)args, task, thread, 0); }

// The convolution by the fastest path for its geometry; returns whether that
// path added the bias itself (the direct one, as it stores).
static int forward(ConvJob* j) {
  int units = j->g.batch * j->g.groups;
  if (taps_conv_pays(&j->g)) {
    taps_conv(&j->g, j->x, j->weight, j->out);
    return 0;
  }
  WinogradConv winograd;
  if (winograd_geometry(&j->g, WINOGRAD_FORWARD, &winograd)) {
    winograd_conv3x3(&winograd, j->x, j->weight, j->out);
    return 0;
  }
  if (direct_conv_pays(&j->g, DIRECT_FORWARD)) {
    direct_conv(&j->g, j->x, j->weight, j->bias, j->out);
    return 1;
  }
  if (merge_images(j)) {
    run_merged(j, MERGED_FORWARD);
    return 0;
  }
  int spread = spread_units(units);
  j->packFloats = gemm_pack_floats(j->groupOut, j->outPlane, j->taps);
  j->threadFloats = j->colsFloats + j->packFloats;
  // Only thread 0's column buffer is used when the GEMM is split instead.
  u32 total = spread ? j->threadFloats * (u32)thread_count() : j->colsFloats + j->packFloats * (u32)thread_count();
  j->scratch = (float*)fathom_scratch(total * 4u);
  if (spread) {
    parallel_for(forward_task, j, units);
  } else {
    for (int unit = 0; unit < units; unit++) forward_unit(j, unit, 0, 1);
  }
  return 0;
}

// [geometry (16), x address, weight address, out address, bias address, hasBias]
EXPORT(fathom_conv2d) int fathom_conv2d(const i32* ints, const double* floats) {
  Params p = {ints, floats};
  ConvJob j;
  setup(&j, &p);
  if (j.g.batch * j.g.groups == 0 || j.outPlane == 0 || j.groupOut == 0) return OK;
  // The other paths' bias: one pass of out + bias[c], in place.
  if (!forward(&j) && j.bias) channel_affine(j.out, 0, 0, 0, j.bias, j.out, j.g.batch, j.g.outChannels, j.outPlane);
  return OK;
}

// ---------------------------------------------------------------------------
// input gradient: cols = W_gᵀ · gradOut_g, then col2im onto the zeroed input.

static void input_grad_unit(const ConvJob* j, int unit, int thread, int parallelGemm) {
  int n = unit / j->g.groups, group = unit % j->g.groups;
  float* mine = j->scratch + (u32)thread * j->threadFloats;
  float* cols = mine;
  float* pack = mine + j->colsFloats;
  const float* gradOut = j->x + ((i64)n * j->g.outChannels + (i64)group * j->groupOut) * j->outPlane;
  const float* w = j->weight + (i64)group * j->groupOut * j->taps;
  float* dx = j->out + ((i64)n * j->g.inChannels + (i64)group * j->groupIn) * j->inPlane;
  // W_gᵀ (K, Og): element (t, o) of W_g (Og, K) is at o·K + t.
  float* target = j->pointwise ? dx : cols;
  if (parallelGemm) sgemm_parallel(j->taps, j->outPlane, j->groupOut, w, 1, j->taps, gradOut, j->outPlane, 1, target, j->outPlane, 0, pack);
  else sgemm(j->taps, j->outPlane, j->groupOut, w, 1, j->taps, gradOut, j->outPlane, 1, target, j->outPlane, 0, pack);
  if (!j->pointwise) {
    memset(dx, 0, (size_t)j->groupIn * j->inPlane * 4);
    col2im(&j->g, cols, j->groupIn, dx, j->outPlane);
  }
}

static void input_grad_task(void* args, int task, int thread) { input_grad_unit((const ConvJob*)args, task, thread, 0); }

// [geometry, gradOut address, weight address, out address]
EXPORT(fathom_conv2d_input_grad) int fathom_conv2d_input_grad(const i32* ints, const double* floats) {
  Params p = {ints, floats};
  ConvJob j;
  setup(&j, &p);
  int units = j.g.batch * j.g.groups;
  if (units == 0 || j.inPlane == 0 || j.groupIn == 0) return OK;
  if (j.outPlane == 0 || j.groupOut == 0) {
    memset(j.out, 0, (size_t)j.g.batch * j.g.inChannels * j.inPlane * 4);
    return OK;
  }
  if (taps_conv_pays(&j.g)) {
    taps_conv_input_grad(&j.g, j.x, j.weight, j.out);
    return OK;
  }
  WinogradConv winograd;
  if (winograd_geometry(&j.g, WINOGRAD_INPUT_GRAD, &winograd)) {
    winograd_conv3x3(&winograd, j.x, j.weight, j.out);
    return OK;
  }
  if (direct_conv_pays(&j.g, DIRECT_INPUT_GRAD)) {
    direct_conv_input_grad(&j.g, j.x, j.weight, j.out);
    return OK;
  }
  if (scatter_conv_pays(&j.g)) {
    scatter_conv_input_grad(&j.g, j.x, j.weight, j.out);
    return OK;
  }
  if (merge_images(&j)) {
    run_merged(&j, MERGED_INPUT_GRAD);
    return OK;
  }
  int spread = spread_units(units);
  j.packFloats = gemm_pack_floats(j.taps, j.outPlane, j.groupOut);
  j.threadFloats = j.colsFloats + j.packFloats;
  u32 total = spread ? j.threadFloats * (u32)thread_count() : j.colsFloats + j.packFloats * (u32)thread_count();
  j.scratch = (float*)fathom_scratch(total * 4u);
  if (spread) {
    parallel_for(input_grad_task, &j, units);
  } else {
    for (int unit = 0; unit < units; unit++) input_grad_unit(&j, unit, 0, 1);
  }
  return OK;
}

// ---------------------------------------------------------------------------
// weight gradient: dW_g (Og, K) = Σ_n gradOut_{n,g} (Og, P) · cols_{n,g}ᵀ (P, K),
// computed transposed, dW_gᵀ (K, Og) = Σ_n cols (K, P) · gradOut_gᵀ (P, Og), so
// the big operand (cols) is packed from contiguous rows and only the small
// gradOut is read across its rows. Threads split the K rows: each unfolds
// only its rows of cols and owns its slice of dW, summed over the images in
// order, so the result has the same bits on any number of threads.

static void weight_grad_task(void* args, int task, int thread) {
  const ConvJob* j = (const ConvJob*)args;
  int group = task / j->slices, slice = task % j->slices;
  int first = slice * j->rowsPerSlice;
  int last = first + j->rowsPerSlice < j->taps ? first + j->rowsPerSlice : j->taps;
  if (first >= last) return;
  int rows = last - first;
  float* mine = j->scratch + (u32)thread * j->threadFloats;
  float* cols = mine;
  float* pack = mine + j->colsFloats;
  float* transposed = j->scratch + (u32)thread_count() * j->threadFloats + (u32)group * (u32)j->taps * (u32)j->groupOut;
  float* sum = transposed + (i64)first * j->groupOut;  // rows first…last−1 of dW_gᵀ
  for (int n = 0; n < j->g.batch; n++) {
    const float* x = j->x + ((i64)n * j->g.inChannels + (i64)group * j->groupIn) * j->inPlane;
    const float* gradOut = j->weight + ((i64)n * j->g.outChannels + (i64)group * j->groupOut) * j->outPlane;
    const float* a = x + (i64)first * j->outPlane;  // pointwise: row t of cols is input plane t
    if (!j->pointwise) {
      im2col_rows(&j->g, x, first, last, cols, j->outPlane);
      a = cols;
    }
    // gradOut_gᵀ (P, Og): element (q, o) of gradOut_g (Og, P) is at o·P + q.
    sgemm(rows, j->groupOut, j->outPlane, a, j->outPlane, 1, gradOut, 1, j->outPlane, sum, j->groupOut, n > 0, pack);
  }
  float* dw = j->out + (i64)group * j->groupOut * j->taps;
  for (int o = 0; o < j->groupOut; o++) {
    for (int t = first; t < last; t++) dw[(i64)o * j->taps + t] = transposed[(i64)t * j->groupOut + o];
  }
}

// [geometry, x address, gradOut address, out address]
EXPORT(fathom_conv2d_weight_grad) int fathom_conv2d_weight_grad(const i32* ints, const double* floats) {
  Params p = {ints, floats};
  ConvJob j;
  setup(&j, &p);
  u32 weightFloats = (u32)j.g.outChannels * (u32)j.taps;
  if (weightFloats == 0) return OK;
  if (j.g.batch == 0 || j.outPlane == 0) {
    memset(j.out, 0, (size_t)weightFloats * 4);
    return OK;
  }
  // Winograd before tap by tap, unlike the other two directions (a tie there):
  // on 4×4 planes its weight gradient took 0.68–0.77× the time at 64–512
  // channels (ResNet-18's 256-channel layer 0.68×, 8 of 8 alternating rounds
  // on 2 threads), 0.85–1.0× at 16–48, and a ResNet-18 step 0.96×.
  WinogradConv winograd;
  if (winograd_geometry(&j.g, WINOGRAD_WEIGHT_GRAD, &winograd)) {
    winograd_weight_grad3x3(&winograd, j.x, j.weight, j.out);
    return OK;
  }
  if (taps_conv_pays(&j.g)) {
    taps_conv_weight_grad(&j.g, j.x, j.weight, j.out);
    return OK;
  }
  if (direct_conv_pays(&j.g, DIRECT_WEIGHT_GRAD)) {
    direct_conv_weight_grad(&j.g, j.x, j.weight, j.out);
    return OK;
  }
  if (merge_images(&j)) {
    run_merged(&j, MERGED_WEIGHT_GRAD);
    return OK;
  }
  int threads = thread_count();
  // Slices of at least 8 rows (whole micro-tiles), one per thread at most.
  int slices = threads;
  if (slices > j.taps / 8) slices = j.taps / 8;
  if (slices < 1) slices = 1;
  int rowsPerSlice = (j.taps + slices - 1) / slices;
  rowsPerSlice = (rowsPerSlice + 7) / 8 * 8;
  slices = (j.taps + rowsPerSlice - 1) / rowsPerSlice;
  j.slices = slices;
  j.rowsPerSlice = rowsPerSlice;
  j.colsFloats = j.pointwise ? 0 : whole_lines((u32)rowsPerSlice * (u32)j.outPlane);
  j.packFloats = gemm_pack_floats(rowsPerSlice, j.groupOut, j.outPlane);
  j.threadFloats = j.colsFloats + j.packFloats;
  j.scratch = (float*)fathom_scratch((j.threadFloats * (u32)threads + weightFloats) * 4u);
  parallel_for(weight_grad_task, &j, slices * j.g.groups);
  return OK;
}
