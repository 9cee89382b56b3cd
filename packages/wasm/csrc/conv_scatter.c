// The input gradient of stride-1 convolutions with few output channels,
// scattered straight into dx without a column matrix.
//
// The im2col route computes cols (C·kH·kW, P) = Wᵀ · gradOut, each entry a
// sum of only O products, then col2im adds every entry back onto dx: with
// LeNet-5's 16 output channels col2im took as long as the GEMM (a V8 CPU
// profile, one thread). Here, per image, input channel c and kernel column
// kw, a register tile holds the products of up to KB kernel rows with VB
// vectors of gradOut positions, summed over the O channels, and adds each
// vector at its place in a padded copy of dx: row oh + kh, column ow + kw.
// gradOut is first copied with its rows padded to whole vectors, zeros past
// the last column: a vector never straddles two rows, and the padding's
// products are zeros added past the row's real columns.
//
// Measured in one process against the GEMM and col2im (conv2dInputGrad
// alone, alternated rounds): LeNet-5's second layer at batch 64, 0.72× the
// time on one thread and 0.85–0.87× on two. Tiles of 3 rows × 3 vectors beat
// 5 × 2 (it spills), 4 × 2, 2 × 3 and 2 × 4 (0.80–1.10×). With 32 output
// channels (32 → 32, 5×5 on 12×12) scattering still won, 0.86× / 0.97×; with
// 50 (Caffe's LeNet, 20 → 50) the GEMM did, 1.08–1.10×.
//
// Each image runs on one thread in a fixed order, so the bits depend on the
// shape only, never on the number of threads.
#include "conv_scatter.h"

#define VB 3  // gradOut vectors per tile: a row of up to 12 positions
#define KB 3  // kernel rows per tile at most: 9 accumulators, 3 gradOut vectors and a weight in V8's 15 registers

// Output channels a group up to which scattering beats the GEMM, and output
// widths from which it does (a row of 4 or fewer padded to a whole vector
// would waste half the products).
#ifndef SCATTER_MAX_OUT
#define SCATTER_MAX_OUT 32
#endif
#ifndef SCATTER_MIN_WIDTH
#define SCATTER_MIN_WIDTH 6
#endif

typedef struct {
  int groups, C, O;                 // channels per group
  int OH, OW, H, W, KH, KW, padH, padW;
  int rowFloats;                    // a gradOut row padded to whole vectors
  int vectors;                      // vectors of one padded gradOut plane: OH·rowFloats / 4
  int dxRows, dxCols;               // the padded dx plane: every row and column a product reaches
  const float* gradOut;
  const float* packed;              // [group][c][kw][o][kh]: the kernel rows of one column, per output channel
  float* dx;
  float* scratch;                   // per thread: O padded gradOut planes, then C padded dx planes
  u32 threadFloats;
} Scatter;

int scatter_conv_pays(const ConvGeometry* g) {
  return g->strideHeight == 1 && g->strideWidth == 1 && g->dilationHeight == 1 && g->dilationWidth == 1 &&
         g->outChannels / g->groups <= SCATTER_MAX_OUT && g->outWidth >= SCATTER_MIN_WIDTH &&
         g->padHeight < g->kernelHeight && g->padWidth < g->kernelWidth;
}

// acc[i][v] = Σ_o w[o·KH + i] · gy[o·plane + 4v], then each added into dest[v] + i·dxCols.
INLINE void tile(const float* gy, int plane, int O, const float* w, int KH, int kb, int vb, float* const* dest, int dxCols) {
  v128_t acc[KB][VB];
  for (int i = 0; i < kb; i++) {
    for (int v = 0; v < vb; v++) acc[i][v] = wasm_f32x4_splat(0);
  }
  for (int o = 0; o < O; o++, gy += plane, w += KH) {
    v128_t g[VB];
    for (int v = 0; v < vb; v++) g[v] = wasm_v128_load(gy + 4 * v);
    for (int i = 0; i < kb; i++) {
      v128_t weight = wasm_v128_load32_splat(w + i);
      for (int v = 0; v < vb; v++) acc[i][v] = wasm_f32x4_add(acc[i][v], wasm_f32x4_mul(weight, g[v]));
    }
  }
  for (int v = 0; v < vb; v++) {
    float* d = dest[v];
    for (int i = 0; i < kb; i++, d += dxCols) wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), acc[i][v]));
  }
}

// The tile for every count of kernel rows and vectors, each with constant
// trip counts so the accumulators stay in registers.
static void run_tile(const float* gy, int plane, int O, const float* w, int KH, int kb, int vb, float* const* dest, int dxCols) {
#define CASE(k, v) \
  case (k) * 4 + (v): tile(gy, plane, O, w, KH, k, v, dest, dxCols); break;
  switch (kb * 4 + vb) {
    CASE(3, 3) CASE(3, 2) CASE(3, 1) CASE(2, 3) CASE(2, 2) CASE(2, 1) CASE(1, 3) CASE(1, 2) CASE(1, 1)
  }
#undef CASE
}

// Task: one image of one group.
static void scatter_task(void* args, int task, int thread) {
  const Scatter s = *(const Scatter*)args;  // a copy: see TaskFn
  int n = task / s.groups, group = task % s.groups;
  int plane = s.vectors * 4, dxPlane = s.dxRows * s.dxCols;
  float* gy = s.scratch + (u32)thread * s.threadFloats;
  float* dxPadded = gy + (u32)s.O * (u32)plane;
  const float* from = s.gradOut + ((i64)n * s.groups + group) * s.O * s.OH * s.OW;
  for (int o = 0; o < s.O; o++) {
    for (int oh = 0; oh < s.OH; oh++) {
      float* row = gy + (i64)o * plane + (i64)oh * s.rowFloats;
      copy_floats(row, from + ((i64)o * s.OH + oh) * s.OW, s.OW);
      for (int ow = s.OW; ow < s.rowFloats; ow++) row[ow] = 0;
    }
  }
  zero_floats(dxPadded, s.C * dxPlane);
  for (int c = 0; c < s.C; c++) {
    float* dxc = dxPadded + (i64)c * dxPlane;
    for (int kw = 0; kw < s.KW; kw++) {
      const float* w = s.packed + (((i64)group * s.C + c) * s.KW + kw) * s.O * s.KH;
      // Kernel rows in chunks of at most KB, as even as can be (5 rows: 2 + 3; 7: 2 + 2 + 3).
      int chunks = (s.KH + KB - 1) / KB;
      for (int chunk = 0, k0 = 0, kb; chunk < chunks; chunk++, k0 += kb) {
        kb = (s.KH - k0) / (chunks - chunk);
        for (int v0 = 0; v0 < s.vectors; v0 += VB) {
          int vb = min_int(VB, s.vectors - v0);
          float* dest[VB];
          for (int v = 0; v < vb; v++) {
            int at = 4 * (v0 + v), oh = at / s.rowFloats, ow = at % s.rowFloats;
            dest[v] = dxc + (i64)(oh + k0) * s.dxCols + ow + kw;
          }
          run_tile(gy + 4 * v0, plane, s.O, w + k0, s.KH, kb, vb, dest, s.dxCols);
        }
      }
    }
  }
  // dx[c][ih][iw] is the padded plane's [ih + padH][iw + padW].
  float* to = s.dx + ((i64)n * s.groups + group) * s.C * s.H * s.W;
  for (int c = 0; c < s.C; c++) {
    for (int ih = 0; ih < s.H; ih++) {
      copy_floats(to + ((i64)c * s.H + ih) * s.W, dxPadded + (i64)c * dxPlane + (i64)(ih + s.padH) * s.dxCols + s.padW, s.W);
    }
  }
}

void scatter_conv_input_grad(const ConvGeometry* g, const float* gradOut, const float* weight, float* dx) {
  Scatter s;
  s.groups = g->groups;
  s.C = g->inChannels / g->groups;
  s.O = g->outChannels / g->groups;
  s.OH = g->outHeight;
  s.OW = g->outWidth;
  s.H = g->inHeight;
  s.W = g->inWidth;
  s.KH = g->kernelHeight;
  s.KW = g->kernelWidth;
  s.padH = g->padHeight;
  s.padW = g->padWidth;
  s.rowFloats = round_up(s.OW, 4);
  s.vectors = s.OH * s.rowFloats / 4;
  s.dxRows = s.OH + s.KH - 1;
  s.dxCols = s.rowFloats + s.KW - 1;
  s.gradOut = gradOut;
  s.dx = dx;
  s.threadFloats = whole_lines((u32)s.O * (u32)s.OH * (u32)s.rowFloats + (u32)s.C * (u32)s.dxRows * (u32)s.dxCols);
  int taps = s.KH * s.KW;
  u32 packedFloats = whole_lines((u32)s.groups * (u32)s.C * (u32)s.O * (u32)taps);
  float* scratch = (float*)fathom_scratch((packedFloats + s.threadFloats * (u32)thread_count()) * 4u);
  // packed[group][c][kw][o][kh] = weight[group·O + o][c][kh][kw]
  float* p = scratch;
  for (int group = 0; group < s.groups; group++) {
    for (int c = 0; c < s.C; c++) {
      for (int kw = 0; kw < s.KW; kw++) {
        for (int o = 0; o < s.O; o++) {
          const float* w = weight + (((i64)group * s.O + o) * s.C + c) * taps + kw;
          for (int kh = 0; kh < s.KH; kh++) *p++ = w[(i64)kh * s.KW];
        }
      }
    }
  }
  s.packed = scratch;
  s.scratch = scratch + packedFloats;
  parallel_for(scatter_task, &s, g->batch * s.groups);
}
