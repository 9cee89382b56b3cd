// Convolutions whose taps often read padding (a ResNet's last stages: 3×3
// kernels padded by 1 on 4×4 and 2×2 planes), one GEMM per tap.
//
// On a 2×2 plane padded by 1, 20 of a 3×3 kernel's 36 products per plane
// read padding (44 of 144 on 4×4), and im2col multiplies those zeros too;
// Winograd's transforms cost more than they save on so few tiles. Here tap t
// is one product over only the output positions it reaches: W_t (O, C) times
// the input under them, gathered for a chunk of n images into (C, m_t·n),
// added into the output. The weights are first laid out tap by tap
// (T, O, C), so every product packs contiguous rows; the weight gradient is
// computed in that layout and laid back. Activations are held
// position-major, (C, Q, n), so each gathered column block is a copy of n
// floats.
//
// Measured inside ResNet-18 training steps (batch 16, 2 threads; ms per call,
// im2col or Winograd → tap by tap): 512 channels on 2×2 forward 6.4–6.9 →
// 4.4–4.7, input gradient 5.4–5.5 → 4.8–4.9, weight gradient 5.9–6.5 →
// 3.5–3.7; 256 channels on 4×4 (Winograd) forward 5.6–5.8 → 3.9–4.8, input
// gradient 5.7–5.9 → 4.1–4.8, weight gradient a tie. On 8×8 planes (a 0.84
// share of products reached) Winograd was 1.5× faster, hence the 3/4 bound.
#include "conv_taps.h"
#include "gemm.h"

// Scratch floats for one chunk's activations (bounds the images per chunk).
#define CHUNK_FLOATS (1u << 16)

typedef struct {
  const ConvGeometry* g;
  int C, O, T, P, Q;  // channels in and out, taps, output and input positions
  int count;          // images per chunk
  float* wt;          // (T, O, C)
  float* xq;          // (C, Q, count): the input, position-major
  float* gq;          // (O, P, count): the output or its gradient, position-major
  float* left;        // (max(C, O), P·count): a tap's gathered operand
  float* right;       // (max(C, O), P·count): a tap's product, or the weight gradient's second operand
  float* pack;        // per thread
} Taps;

INLINE int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
INLINE int clamp_int(int v, int low, int high) { return v < low ? low : v > high ? high : v; }

// Outputs o in [*start, *end) whose input o·stride + shift lies in [0, in).
static void valid_range(int out, int in, int stride, int shift, int* start, int* end) {
  *start = clamp_int(ceil_div(-shift, stride), 0, out);
  *end = clamp_int(ceil_div(in - shift, stride), *start, out);
}

// The output positions tap t reaches: rows [oh0, oh1) × columns [ow0, ow1).
typedef struct { int oh0, oh1, ow0, ow1, m; int shiftH, shiftW; } Reach;

static Reach reach(const ConvGeometry* g, int t) {
  Reach r;
  int kh = t / g->kernelWidth, kw = t % g->kernelWidth;
  r.shiftH = kh * g->dilationHeight - g->padHeight;
  r.shiftW = kw * g->dilationWidth - g->padWidth;
  valid_range(g->outHeight, g->inHeight, g->strideHeight, r.shiftH, &r.oh0, &r.oh1);
  valid_range(g->outWidth, g->inWidth, g->strideWidth, r.shiftW, &r.ow0, &r.ow1);
  r.m = (r.oh1 - r.oh0) * (r.ow1 - r.ow0);
  return r;
}

// Output and input positions of the i-th position tap t reaches.
INLINE void positions(const ConvGeometry* g, const Reach* r, int i, int* p, int* q) {
  int width = r->ow1 - r->ow0;
  int oh = r->oh0 + i / width, ow = r->ow0 + i % width;
  *p = oh * g->outWidth + ow;
  *q = (oh * g->strideHeight + r->shiftH) * g->inWidth + ow * g->strideWidth + r->shiftW;
}

int taps_conv_pays(const ConvGeometry* g) {
  if (g->groups != 1 || g->batch < 1) return 0;
  i64 reached = 0, taps = (i64)g->kernelHeight * g->kernelWidth, planes = (i64)g->outHeight * g->outWidth;
  if (taps < 2 || planes == 0) return 0;
  for (int t = 0; t < taps; t++) reached += reach(g, t).m;
  return 4 * reached <= 3 * taps * planes;
}

// ---------------------------------------------------------------------------
// Layouts: weights (O, C, T) ↔ (T, O, C); activations (n, K, S) ↔ (K, S, n).

typedef struct { const float* from; float* to; int O, C, T, back; } WeightLayout;

static void weight_layout_task(void* args, int o, int thread) {
  const WeightLayout* l = (const WeightLayout*)args;
  i64 plane = (i64)l->O * l->C;
  for (int c = 0; c < l->C; c++) {
    i64 nested = ((i64)o * l->C + c) * l->T, tapMajor = (i64)o * l->C + c;
    if (l->back) {
      for (int t = 0; t < l->T; t++) l->to[nested + t] = l->from[tapMajor + t * plane];
    } else {
      for (int t = 0; t < l->T; t++) l->to[tapMajor + t * plane] = l->from[nested + t];
    }
  }
}

static void lay_weights(const float* from, float* to, int O, int C, int T, int back) {
  WeightLayout l = {from, to, O, C, T, back};
  parallel_for(weight_layout_task, &l, O);
}

// to (K, S, count) ← images first… of from (N, K, S), or back when `back`.
static void lay_images(float* images, float* major, int K, int S, int count, int back) {
  for (int n = 0; n < count; n++) {
    float* image = images + (i64)n * K * S;
    for (int k = 0; k < K; k++) {
      for (int s = 0; s < S; s++) {
        float* at = major + ((i64)k * S + s) * count + n;
        if (back) image[(i64)k * S + s] = *at;
        else *at = image[(i64)k * S + s];
      }
    }
  }
}

// Between major (K, S, count) and block (K, m·count), the columns at the
// positions tap r reaches (`inputSide`: its input positions, else its output
// positions): gathered into block, or (`add`) block added back into major.
// Inline vector copies: memcpy is a call into the engine, dearer than a few vectors.
static void move_columns(const Taps* s, const Reach* r, float* block, float* major, int K, int S, int inputSide, int add) {
  int ld = r->m * s->count;
  for (int i = 0; i < r->m; i++) {
    int p, q;
    positions(s->g, r, i, &p, &q);
    int at = inputSide ? q : p;
    for (int k = 0; k < K; k++) {
      float* in = block + (i64)k * ld + (i64)i * s->count;
      float* out = major + ((i64)k * S + at) * s->count;
      int j = 0;
      if (add) {
        for (; j + 4 <= s->count; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(in + j)));
        for (; j < s->count; j++) out[j] += in[j];
      } else {
        for (; j + 4 <= s->count; j += 4) wasm_v128_store(in + j, wasm_v128_load(out + j));
        for (; j < s->count; j++) in[j] = out[j];
      }
    }
  }
}

// ---------------------------------------------------------------------------

static void setup(Taps* s, const ConvGeometry* g) {
  s->g = g;
  s->C = g->inChannels;
  s->O = g->outChannels;
  s->T = g->kernelHeight * g->kernelWidth;
  s->P = g->outHeight * g->outWidth;
  s->Q = g->inHeight * g->inWidth;
  int widest = s->C > s->O ? s->C : s->O, positions = s->P > s->Q ? s->P : s->Q;
  int count = (int)(CHUNK_FLOATS / ((u32)widest * (u32)positions));
  s->count = count < 1 ? 1 : count > g->batch ? g->batch : count;
  u32 wt = (u32)s->T * (u32)s->O * (u32)s->C;
  u32 xq = (u32)s->C * (u32)s->Q * (u32)s->count, gq = (u32)s->O * (u32)s->P * (u32)s->count;
  u32 block = (u32)widest * (u32)s->P * (u32)s->count;
  u32 pack = gemm_pack_floats(widest, widest > s->P * s->count ? widest : s->P * s->count, widest > s->P * s->count ? widest : s->P * s->count);
  float* scratch = (float*)fathom_scratch((wt + xq + gq + 2 * block + pack * (u32)thread_count()) * 4u);
  s->wt = scratch;
  s->xq = s->wt + wt;
  s->gq = s->xq + xq;
  s->left = s->gq + gq;
  s->right = s->left + block;
  s->pack = s->right + block;
}

// The forward pass (`transposed` 0: out from x) or the input gradient (1: dx
// from gradOut, with W_tᵀ): `from` (N, K, S) → `to` (N, M, R), where (K, S)
// and (M, R) are (C, Q) and (O, P), or the other way round.
static void tap_by_tap(const ConvGeometry* g, const float* from, const float* weight, float* to, int transposed) {
  Taps s;
  setup(&s, g);
  lay_weights(weight, s.wt, s.O, s.C, s.T, 0);
  int K = transposed ? s.O : s.C, S = transposed ? s.P : s.Q, M = transposed ? s.C : s.O, R = transposed ? s.Q : s.P;
  float* source = transposed ? s.gq : s.xq;
  float* result = transposed ? s.xq : s.gq;
  for (int first = 0; first < g->batch; first += s.count) {
    s.count = first + s.count <= g->batch ? s.count : g->batch - first;
    lay_images((float*)from + (i64)first * K * S, source, K, S, s.count, 0);
    memset(result, 0, (size_t)M * R * s.count * 4);
    for (int t = 0; t < s.T; t++) {
      Reach r = reach(g, t);
      if (r.m == 0) continue;
      int n = r.m * s.count;
      move_columns(&s, &r, s.left, source, K, S, !transposed, 0);
      // W_t (O, C) has rows C apart; W_tᵀ (C, O) has element (c, o) at o·C + c.
      sgemm_parallel(M, n, K, s.wt + (i64)t * s.O * s.C, transposed ? 1 : s.C, transposed ? s.C : 1, s.left, n, 1, s.right, n, 0, s.pack);
      move_columns(&s, &r, s.right, result, M, R, transposed, 1);
    }
    lay_images(to + (i64)first * M * R, result, M, R, s.count, 1);
  }
}

void taps_conv(const ConvGeometry* g, const float* x, const float* weight, float* out) {
  tap_by_tap(g, x, weight, out, 0);
}

void taps_conv_input_grad(const ConvGeometry* g, const float* gradOut, const float* weight, float* dx) {
  tap_by_tap(g, gradOut, weight, dx, 1);
}

void taps_conv_weight_grad(const ConvGeometry* g, const float* x, const float* gradOut, float* dw) {
  Taps s;
  setup(&s, g);
  memset(s.wt, 0, (size_t)s.T * s.O * s.C * 4);
  for (int first = 0; first < g->batch; first += s.count) {
    s.count = first + s.count <= g->batch ? s.count : g->batch - first;
    lay_images((float*)x + (i64)first * s.C * s.Q, s.xq, s.C, s.Q, s.count, 0);
    lay_images((float*)gradOut + (i64)first * s.O * s.P, s.gq, s.O, s.P, s.count, 0);
    for (int t = 0; t < s.T; t++) {
      Reach r = reach(g, t);
      if (r.m == 0) continue;
      int n = r.m * s.count;
      move_columns(&s, &r, s.left, s.gq, s.O, s.P, 0, 0);
      move_columns(&s, &r, s.right, s.xq, s.C, s.Q, 1, 0);
      // dW_t (O, C) += G_t (O, n) · X_tᵀ (n, C): element (k, c) of X_tᵀ is at c·n + k.
      sgemm_parallel(s.O, s.C, n, s.left, n, 1, s.right, 1, n, s.wt + (i64)t * s.O * s.C, s.C, first > 0, s.pack);
    }
  }
  lay_weights(s.wt, dw, s.O, s.C, s.T, 1);
}
