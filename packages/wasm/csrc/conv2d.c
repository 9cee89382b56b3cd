// Convolution through im2col and the packed GEMM, forward and both gradients.
//
// Per image and group: out_g (Og, P) = W_g (Og, K) · cols (K, P), where
// K = Cg·kH·kW taps and P = OH·OW output positions; a 1×1, stride-1, unpadded
// convolution uses the input planes as cols directly. Images (and groups) are
// spread over the threads when there are enough of them, each thread with its
// own column buffer; otherwise one image at a time with the GEMM split.
#include "gemm.h"

typedef struct {
  int batch, inChannels, inHeight, inWidth, outChannels, outHeight, outWidth;
  int kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth, groups;
} ConvGeometry;

static void read_geometry(Params* p, ConvGeometry* g) {
  i32* fields = (i32*)g;
  for (int i = 0; i < 16; i++) fields[i] = next_int(p);
}

INLINE int ceil_div(int a, int b) {
  // b > 0; rounds toward +∞ for either sign of a.
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}
INLINE int clamp_int(int v, int low, int high) { return v < low ? low : v > high ? high : v; }

// Output columns ow whose input column ow·stride + shift lies in [0, inWidth).
INLINE void column_range(const ConvGeometry* g, int shift, int* start, int* end) {
  *start = clamp_int(ceil_div(-shift, g->strideWidth), 0, g->outWidth);
  *end = clamp_int(ceil_div(g->inWidth - shift, g->strideWidth), *start, g->outWidth);
}

// Unfolds rows first…last−1 of the column matrix (K, P) of the input planes
// at x into cols: row t = (c, kh, kw), column (oh, ow) holds the input under
// that tap, 0 in the padding.
static void im2col_rows(const ConvGeometry* g, const float* x, int first, int last, float* cols) {
  int plane = g->inHeight * g->inWidth;
  int taps = g->kernelHeight * g->kernelWidth;
  float* d = cols;
  for (int t = first; t < last; t++) {
    int c = t / taps, kh = t % taps / g->kernelWidth, kw = t % g->kernelWidth;
    const float* base = x + (i64)c * plane;
    int shift = kw * g->dilationWidth - g->padWidth;
    int owStart, owEnd;
    column_range(g, shift, &owStart, &owEnd);
    for (int oh = 0; oh < g->outHeight; oh++) {
      int ih = oh * g->strideHeight + kh * g->dilationHeight - g->padHeight;
      if (ih < 0 || ih >= g->inHeight) {
        memset(d, 0, (size_t)g->outWidth * 4);
        d += g->outWidth;
        continue;
      }
      const float* row = base + (i64)ih * g->inWidth + shift;
      int ow = 0;
      for (; ow < owStart; ow++) *d++ = 0;
      if (g->strideWidth == 1) {
        memcpy(d, row + ow, (size_t)(owEnd - ow) * 4);
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
static void im2col(const ConvGeometry* g, const float* x, int channels, float* cols) {
  im2col_rows(g, x, 0, channels * g->kernelHeight * g->kernelWidth, cols);
}

// Adds each entry of cols back onto the input position it was read from.
static void col2im(const ConvGeometry* g, const float* cols, int channels, float* x) {
  int plane = g->inHeight * g->inWidth;
  const float* d = cols;
  for (int c = 0; c < channels; c++) {
    float* base = x + (i64)c * plane;
    for (int kh = 0; kh < g->kernelHeight; kh++) {
      for (int kw = 0; kw < g->kernelWidth; kw++) {
        int shift = kw * g->dilationWidth - g->padWidth;
        int owStart, owEnd;
        column_range(g, shift, &owStart, &owEnd);
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
  float* out;
  float* scratch;
  u32 colsFloats, packFloats, threadFloats;
  int slices, rowsPerSlice;  // weight gradient: K rows split into slices
} ConvJob;

static void setup(ConvJob* j, Params* p) {
  read_geometry(p, &j->g);
  j->x = (const float*)(uintptr_t)next_address(p);
  j->weight = (const float*)(uintptr_t)next_address(p);
  j->out = (float*)(uintptr_t)next_address(p);
  const ConvGeometry* g = &j->g;
  j->groupIn = g->inChannels / g->groups;
  j->groupOut = g->outChannels / g->groups;
  j->taps = j->groupIn * g->kernelHeight * g->kernelWidth;
  j->outPlane = g->outHeight * g->outWidth;
  j->inPlane = g->inHeight * g->inWidth;
  j->pointwise = is_pointwise(g);
  j->colsFloats = j->pointwise ? 0 : (u32)j->taps * (u32)j->outPlane;
}

// Whether to spread `units` independent pieces (images or image·groups) over
// the threads rather than split each GEMM: when they balance well.
static int spread_units(int units) {
  int threads = thread_count();
  return threads > 1 && (units >= 2 * threads || units % threads == 0);
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
    im2col(&j->g, x, j->groupIn, cols);
    b = cols;
  }
  if (parallelGemm) sgemm_parallel(j->groupOut, j->outPlane, j->taps, w, j->taps, 1, b, j->outPlane, 1, out, j->outPlane, 0, pack);
  else sgemm(j->groupOut, j->outPlane, j->taps, w, j->taps, 1, b, j->outPlane, 1, out, j->outPlane, 0, pack);
}

static void forward_task(void* args, int task, int thread) { forward_unit((const ConvJob*)args, task, thread, 0); }

// [geometry (16), x address, weight address, out address]
EXPORT(fathom_conv2d) int fathom_conv2d(const i32* ints, const double* floats) {
  Params p = {ints, floats};
  ConvJob j;
  setup(&j, &p);
  int units = j.g.batch * j.g.groups;
  if (units == 0 || j.outPlane == 0 || j.groupOut == 0) return OK;
  int spread = spread_units(units);
  j.packFloats = gemm_pack_floats(j.groupOut, j.outPlane, j.taps);
  j.threadFloats = j.colsFloats + j.packFloats;
  // Only thread 0's column buffer is used when the GEMM is split instead.
  u32 total = spread ? j.threadFloats * (u32)thread_count() : j.colsFloats + j.packFloats * (u32)thread_count();
  j.scratch = (float*)fathom_scratch(total * 4u);
  if (spread) {
    parallel_for(forward_task, &j, units);
  } else {
    for (int unit = 0; unit < units; unit++) forward_unit(&j, unit, 0, 1);
  }
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
    col2im(&j->g, cols, j->groupIn, dx);
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
      im2col_rows(&j->g, x, first, last, cols);
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
  j.colsFloats = j.pointwise ? 0 : (u32)rowsPerSlice * (u32)j.outPlane;
  j.packFloats = gemm_pack_floats(rowsPerSlice, j.groupOut, j.outPlane);
  j.threadFloats = j.colsFloats + j.packFloats;
  j.scratch = (float*)fathom_scratch((j.threadFloats * (u32)threads + weightFloats) * 4u);
  parallel_for(weight_grad_task, &j, slices * j.g.groups);
  return OK;
}
