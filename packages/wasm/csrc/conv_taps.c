// Convolutions whose taps often read padding (a ResNet's last stages: 3×3
// kernels padded by 1 on 4×4 and 2×2 planes), one GEMM per tap.
//
// On a 2×2 plane padded by 1, 20 of a 3×3 kernel's 36 products per plane
// read padding (44 of 144 on 4×4), and im2col multiplies those zeros too;
// Winograd's transforms cost more than they save on so few tiles. Here tap t
// is one product over only the output positions it reaches: W_t (O, C) times
// the input under them, gathered for a chunk of n images into (C, m_t·n),
// added into the output. The forward pass and the input gradient pack all
// taps' weights in one pass over (O, C, T), each read once (see
// tap_products_task); the weight gradient is computed tap by tap into
// (T, O, C) and laid back. Activations are held position-major, (C, Q, n),
// so each gathered column block is a copy of n floats.
//
// Measured inside ResNet-18 training steps (batch 16, 2 threads; ms per call,
// im2col or Winograd → tap by tap): 512 channels on 2×2 forward 6.4–6.9 →
// 4.4–4.7, input gradient 5.4–5.5 → 4.8–4.9, weight gradient 5.9–6.5 →
// 3.5–3.7; 256 channels on 4×4 (Winograd) forward 5.6–5.8 → 3.9–4.8, input
// gradient 5.7–5.9 → 4.1–4.8, weight gradient a tie. On 8×8 planes (a 0.84
// share of products reached) Winograd was 1.5× faster, hence the 3/4 bound.
// Packing the weights in one pass instead of laying them out tap by tap
// first (a memory-bound pass, ~5 % of each thread's time in a step): one
// layer called again and again, 2 threads, 512 channels 2×2 forward 5.6–5.7
// → 3.4–3.7 ms, input gradient 5.8–5.9 → 3.3; 256 channels 4×4 forward
// 5.7–5.8 → 4.3–5.0, input gradient 5.5–5.7 → 4.3–4.8; inside ResNet-18
// steps, the convolutions 199, 200, 204 → 195, 197, 199 ms per step.
#include "conv_taps.h"
#include "gemm.h"

// Scratch floats for one chunk's activations (bounds the images per chunk).
#define CHUNK_FLOATS (1u << 16)

typedef struct {
  const ConvGeometry* g;
  int C, O, T, P, Q;  // channels in and out, taps, output and input positions
  int count;          // images per chunk
  float* wt;          // the weight gradient: (T, O, C)
  float* xq;          // (C, Q, count): the input, position-major
  float* gq;          // (O, P, count): the output or its gradient, position-major
  float* left;        // (max(C, O), P·count): a tap's gathered operand
  float* right;       // (max(C, O), P·count): a tap's product, or the weight gradient's second operand
  float* pack;        // per thread
} Taps;

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
// Layouts: weights (T, O, C) → (O, C, T); activations (n, K, S) ↔ (K, S, n).

typedef struct { const float* from; float* to; int O, C, T; } WeightLayout;

// to (O, C, T) ← from (T, O, C), row o: the weight gradient laid back.
static void weight_layout_task(void* args, int o, int thread) {
  const WeightLayout* l = (const WeightLayout*)args;
  i64 plane = (i64)l->O * l->C;
  for (int c = 0; c < l->C; c++) {
    const float* from = l->from + (i64)o * l->C + c;
    float* to = l->to + ((i64)o * l->C + c) * l->T;
    for (int t = 0; t < l->T; t++) to[t] = from[t * plane];
  }
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
}

// Scratch for the activations and a tap's operands, then `extra` floats,
// returned (fathom_scratch is one block: everything is asked for at once).
static float* allocate(Taps* s, u32 extra) {
  int widest = s->C > s->O ? s->C : s->O, columns = s->P * s->count;
  u32 xq = (u32)s->C * (u32)s->Q * (u32)s->count, gq = (u32)s->O * (u32)s->P * (u32)s->count;
  u32 block = (u32)widest * (u32)columns;
  u32 pack = gemm_pack_floats(widest, widest > columns ? widest : columns, widest > columns ? widest : columns);
  float* scratch = (float*)fathom_scratch((xq + gq + 2 * block + pack * (u32)thread_count() + extra) * 4u);
  s->xq = scratch;
  s->gq = s->xq + xq;
  s->left = s->gq + gq;
  s->right = s->left + block;
  s->pack = s->right + block;
  return s->pack + pack * (u32)thread_count();
}

// The forward pass and the input gradient run every tap's product at once.
// A task owns TAP_ROWS rows of every product; for each KC-deep block it packs
// those rows of all taps in one pass over the weights, each read once from
// memory, then multiplies tap by tap with the GEMM's micro-kernel.
#define TAP_ROWS (MR * 12)

typedef struct {
  const Taps* s;
  const float* weight;
  int transposed;      // the input gradient: A_t = W_tᵀ (C, O); else W_t (O, C)
  int M, K;
  const i32* columns;  // per tap: its product's columns, m_t·count
  const u32* bAt;      // per tap: where its packed B starts in packedB
  const u32* prodAt;   // per tap: where its product (M, columns) starts in prods
  const float* packedB;
  float* prods;
  float* packA;        // per thread: T blocks of TAP_ROWS·KC floats
  u32 packAFloats;
} TapProducts;

// Rows [i0, i0 + mc) and columns [k0, k0 + kc) of every tap's A, packed as
// MR-row slivers (kc steps of MR values) into pa + t·round_up(mc, MR)·kc.
// Element (i, k) of A_t is w[(o·C + c)·T + t] with (o, c) = (row, column),
// or (column, row) when transposed: a sliver's MR rows at one k are MR runs
// of T floats, each tap one lane of them; with 3×3 kernels two 4×4
// transposes and a gather give nine taps' vectors.
static void pack_taps(const TapProducts* j, int i0, int mc, int k0, int kc, float* pa) {
  int T = j->s->T, C = j->s->C, rows = round_up(mc, MR);
  u32 tapFloats = (u32)rows * (u32)kc;
  for (int ir = 0; ir < rows; ir += MR) {
    float* sliver = pa + (u32)ir * kc;
    for (int k = 0; k < kc; k++) {
      const float* run[MR];
      int full = 1;
      for (int i = 0; i < MR; i++) {
        int row = i0 + ir + i, col = k0 + k;
        if (ir + i >= mc) { full = 0; run[i] = 0; continue; }
        run[i] = j->weight + ((i64)(j->transposed ? col : row) * C + (j->transposed ? row : col)) * T;
      }
      float* to = sliver + (u32)k * MR;
      if (full && T == 9) {
        v128_t first[MR], second[MR], taps[MR];
        for (int i = 0; i < MR; i++) {
          first[i] = wasm_v128_load(run[i]);
          second[i] = wasm_v128_load(run[i] + 4);
        }
        transpose4x4(first, taps);
        for (int t = 0; t < 4; t++) wasm_v128_store(to + t * tapFloats, taps[t]);
        transpose4x4(second, taps);
        for (int t = 0; t < 4; t++) wasm_v128_store(to + (4 + t) * tapFloats, taps[t]);
        float* last = to + 8 * tapFloats;
        for (int i = 0; i < MR; i++) last[i] = run[i][8];
      } else {
        for (int t = 0; t < T; t++) {
          for (int i = 0; i < MR; i++) to[t * tapFloats + i] = run[i] ? run[i][t] : 0;
        }
      }
    }
  }
}

static void tap_products_task(void* args, int task, int thread) {
  const TapProducts* j = (const TapProducts*)args;
  int i0 = task * TAP_ROWS, mc = j->M - i0 < TAP_ROWS ? j->M - i0 : TAP_ROWS;
  float* pa = j->packA + (u32)thread * j->packAFloats;
  for (int k0 = 0; k0 < j->K; k0 += KC) {
    int kc = j->K - k0 < KC ? j->K - k0 : KC;
    pack_taps(j, i0, mc, k0, kc, pa);
    u32 tapFloats = (u32)round_up(mc, MR) * (u32)kc;
    for (int t = 0; t < j->s->T; t++) {
      int n = j->columns[t];
      if (n == 0) continue;
      const float* pb = j->packedB + j->bAt[t] + (u32)k0 * (u32)round_up(n, NR);
      float* c = j->prods + j->prodAt[t] + (u32)i0 * (u32)n;
      for (int jr = 0; jr < n; jr += NR) {
        for (int ir = 0; ir < mc; ir += MR) {
          gemm_micro_kernel(kc, pa + t * tapFloats + (u32)ir * kc, pb + (u32)jr * kc, c + (u32)ir * n + jr, n,
                            mc - ir < MR ? mc - ir : MR, n - jr < NR ? n - jr : NR, k0 > 0);
        }
      }
    }
  }
}

// The forward pass (`transposed` 0: out from x) or the input gradient (1: dx
// from gradOut, with W_tᵀ): `from` (N, K, S) → `to` (N, M, R), where (K, S)
// and (M, R) are (C, Q) and (O, P), or the other way round.
static void tap_by_tap(const ConvGeometry* g, const float* from, const float* weight, float* to, int transposed) {
  Taps s;
  setup(&s, g);
  int K = transposed ? s.O : s.C, S = transposed ? s.P : s.Q, M = transposed ? s.C : s.O, R = transposed ? s.Q : s.P;
  u32 columnsMost = (u32)(s.P > s.Q ? s.P : s.Q) * (u32)s.count;
  u32 packedB = (u32)s.T * (u32)K * (u32)round_up((int)columnsMost, NR), prods = (u32)s.T * (u32)M * columnsMost;
  u32 packA = (u32)s.T * TAP_ROWS * KC;
  float* extra = allocate(&s, packedB + prods + packA * (u32)thread_count() + 3u * (u32)s.T);
  i32* columns = (i32*)(extra + packedB + prods + packA * (u32)thread_count());
  u32* bAt = (u32*)(columns + s.T);
  u32* prodAt = bAt + s.T;
  float* source = transposed ? s.gq : s.xq;
  float* result = transposed ? s.xq : s.gq;
  TapProducts j = {&s, weight, transposed, M, K, columns, bAt, prodAt, extra, extra + packedB, extra + packedB + prods, packA};
  for (int first = 0; first < g->batch; first += s.count) {
    s.count = first + s.count <= g->batch ? s.count : g->batch - first;
    lay_images((float*)from + (i64)first * K * S, source, K, S, s.count, 0);
    u32 bNext = 0, prodNext = 0;
    for (int t = 0; t < s.T; t++) {
      Reach r = reach(g, t);
      int n = r.m * s.count;
      columns[t] = n;
      bAt[t] = bNext;
      prodAt[t] = prodNext;
      if (n == 0) continue;
      move_columns(&s, &r, s.left, source, K, S, !transposed, 0);
      for (int k0 = 0; k0 < K; k0 += KC) {
        gemm_pack_b(extra + bNext + (u32)k0 * (u32)round_up(n, NR), K - k0 < KC ? K - k0 : KC, n, s.left + (i64)k0 * n, n, 1);
      }
      bNext += (u32)K * (u32)round_up(n, NR);
      prodNext += (u32)M * (u32)n;
    }
    parallel_for(tap_products_task, &j, (M + TAP_ROWS - 1) / TAP_ROWS);
    memset(result, 0, (size_t)M * R * s.count * 4);
    for (int t = 0; t < s.T; t++) {
      Reach r = reach(g, t);
      if (r.m > 0) move_columns(&s, &r, j.prods + prodAt[t], result, M, R, transposed, 1);
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
  s.wt = allocate(&s, (u32)s.T * (u32)s.O * (u32)s.C);
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
  WeightLayout back = {s.wt, dw, s.O, s.C, s.T};
  parallel_for(weight_layout_task, &back, s.O);
}
