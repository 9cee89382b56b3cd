// Convolutions whose taps often read padding (a ResNet's last stages: 3×3
// kernels padded by 1 on 4×4 and 2×2 planes), one GEMM per tap.
//
// On a 2×2 plane padded by 1, 20 of a 3×3 kernel's 36 products per plane
// read padding (44 of 144 on 4×4), and im2col multiplies those zeros too;
// Winograd's transforms cost more than they save on so few tiles. Here tap t
// is one product over only the output positions it reaches: W_t (O, C) times
// the input under them, for a chunk of n images (C, m_t·n), added into the
// output. A column is one image at one position; the images are laid out
// position-major a block of rows at a time, and each tap's columns copied
// from there into the packed SGEMM's layout. The forward pass and the input
// gradient pack all taps' weights in one pass over (O, C, T), each read once
// (see tap_products_task); the weight gradient is computed tap by tap into
// (T, O, C) and laid back.
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

// Scratch floats for one chunk's result (bounds the images per chunk).
#define CHUNK_FLOATS (1u << 16)

typedef struct {
  const ConvGeometry* g;
  int C, O, T, P, Q;  // channels in and out, taps, output and input positions
  int count;          // images per chunk
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

// Rows [k0, k1) of `count` images (count, K, S) laid position-major into
// major (k1 − k0, S, count), or back from it when `back`: four images by four
// positions through register transposes.
static void lay_rows(float* images, float* major, int K, int S, int count, int k0, int k1, int back) {
  i64 imageFloats = (i64)K * S;
  for (int k = k0; k < k1; k++, major += (i64)S * count) {
    float* row = images + (i64)k * S;  // image n's row k is at row + n·imageFloats
    int s = 0;
    if (count % 4 == 0) {
      for (; s + 4 <= S; s += 4) {
        for (int n = 0; n < count; n += 4) {
          v128_t in[4], out[4];
          if (!back) {
            for (int i = 0; i < 4; i++) in[i] = wasm_v128_load(row + (n + i) * imageFloats + s);
            transpose4x4(in, out);
            for (int j = 0; j < 4; j++) wasm_v128_store(major + (i64)(s + j) * count + n, out[j]);
          } else {
            for (int j = 0; j < 4; j++) in[j] = wasm_v128_load(major + (i64)(s + j) * count + n);
            transpose4x4(in, out);
            for (int i = 0; i < 4; i++) wasm_v128_store(row + (n + i) * imageFloats + s, out[i]);
          }
        }
      }
    }
    for (; s < S; s++) {
      for (int n = 0; n < count; n++) {
        if (back) row[n * imageFloats + s] = major[(i64)s * count + n];
        else major[(i64)s * count + n] = row[n * imageFloats + s];
      }
    }
  }
}

// Rows per task where the images are laid out and gathered from (divides KC).
#define ROW_BLOCK 32

// Where column `column` of tap r's product lies in a (·, positions, count)
// layout: its position (input side or output side) times count, plus its image.
INLINE i64 column_at(const Taps* s, const Reach* r, int column, int inputSide) {
  int p, q;
  positions(s->g, r, column / s->count, &p, &q);
  return (i64)(inputSide ? q : p) * s->count + column % s->count;
}

// ---------------------------------------------------------------------------
// The forward pass and the input gradient run every tap's product at once.
// A task owns TAP_ROWS rows of every product; for each KC-deep block it packs
// those rows of all taps in one pass over the weights, each read once from
// memory, then multiplies tap by tap with the GEMM's micro-kernel.
#define TAP_ROWS (MR * 8)

typedef struct {
  const Taps* s;
  const float* weight;
  int transposed;      // the input gradient: A_t = W_tᵀ (C, O); else W_t (O, C)
  int M, K, S, R;      // A_t is (M, K); B_t gathered from images (count, K, S)
  const float* images;
  float* laid;         // per thread: laidFloats, ROW_BLOCK rows of the images laid out
  u32 laidFloats;
  float* result;       // (M, R, count)
  float* out;          // the chunk's output images (count, M, R)
  i32* columns;        // per tap: its product's columns, m_t·count
  u32* bAt;            // per tap: where its packed B starts in packedB
  float* packedB;
  float* packA;        // per thread: packAFloats, T blocks of TAP_ROWS·KC floats
  u32 packAFloats;
} TapProducts;

// ROW_BLOCK rows of every tap's B: the images' rows laid out position-major,
// then each tap's columns copied into the packed SGEMM's NR-column slivers.
static void pack_b_task(void* args, int task, int thread) {
  const TapProducts j = *(const TapProducts*)args;  // copies: see TaskFn
  const Taps s = *j.s;
  int k0 = task * ROW_BLOCK, k1 = min_int(k0 + ROW_BLOCK, j.K), block0 = k0 / KC * KC, kc = min_int(KC, j.K - block0);
  i64 rowFloats = (i64)j.S * s.count;
  float* major = j.laid + (u32)thread * j.laidFloats;
  lay_rows((float*)j.images, major, j.K, j.S, s.count, k0, k1, 0);
  for (int t = 0; t < s.T; t++) {
    int n = j.columns[t];
    if (n == 0) continue;
    Reach r = reach(s.g, t);
    float* pb = j.packedB + j.bAt[t] + (u32)block0 * (u32)round_up(n, NR) + (u32)(k0 - block0) * NR;
    for (int jr = 0; jr < n; jr += NR, pb += (i64)kc * NR) {
      if (s.count % NR == 0) {
        // The sliver is NR images at one position: a run of NR floats a row.
        const float* from = major + column_at(&s, &r, jr, !j.transposed);
        for (int k = 0; k < k1 - k0; k++) {
          for (int v = 0; v < NR; v += 4) wasm_v128_store(pb + k * NR + v, wasm_v128_load(from + k * rowFloats + v));
        }
        continue;
      }
      for (int c = 0; c < NR; c++) {
        // Columns past n multiply zeros, not stale scratch (denormals are slow on x86).
        const float* from = jr + c < n ? major + column_at(&s, &r, jr + c, !j.transposed) : 0;
        for (int k = 0; k < k1 - k0; k++) pb[k * NR + c] = from ? from[k * rowFloats] : 0;
      }
    }
  }
}

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

// Adds an mr×nr tile (row stride NR) of tap r's product, rows from `row`
// on, into result (M, R, count) at the positions the tap reaches.
static void add_tile(const TapProducts* j, const Reach* r, const float* tile, int row, int jr, int mr, int nr) {
  const Taps* s = j->s;
  i64 rowStride = (i64)j->R * s->count;
  float* rows = j->result + (i64)row * rowStride;
  if (s->count % NR == 0) {
    float* to = rows + column_at(s, r, jr, j->transposed);
    for (int i = 0; i < mr; i++, to += rowStride) {
      for (int v = 0; v < NR; v += 4) wasm_v128_store(to + v, wasm_f32x4_add(wasm_v128_load(to + v), wasm_v128_load(tile + i * NR + v)));
    }
    return;
  }
  for (int c = 0; c < nr; c++) {
    float* to = rows + column_at(s, r, jr + c, j->transposed);
    for (int i = 0; i < mr; i++) to[i * rowStride] += tile[i * NR + c];
  }
}

static void tap_products_task(void* args, int task, int thread) {
  TapProducts local = *(const TapProducts*)args;  // copies: see TaskFn
  const Taps taps = *local.s;
  local.s = &taps;
  const TapProducts* j = &local;
  int i0 = task * TAP_ROWS, mc = min_int(j->M - i0, TAP_ROWS);
  float* pa = j->packA + (u32)thread * j->packAFloats;
  memset(j->result + (i64)i0 * j->R * taps.count, 0, (size_t)mc * j->R * taps.count * 4);
  float tile[MR * NR];
  for (int k0 = 0; k0 < j->K; k0 += KC) {
    int kc = min_int(j->K - k0, KC);
    pack_taps(j, i0, mc, k0, kc, pa);
    u32 tapFloats = (u32)round_up(mc, MR) * (u32)kc;
    for (int t = 0; t < taps.T; t++) {
      int n = j->columns[t];
      if (n == 0) continue;
      Reach r = reach(taps.g, t);
      const float* pb = j->packedB + j->bAt[t] + (u32)k0 * (u32)round_up(n, NR);
      for (int jr = 0; jr < n; jr += NR) {
        for (int ir = 0; ir < mc; ir += MR) {
          gemm_micro_kernel(kc, pa + t * tapFloats + (u32)ir * kc, pb + (u32)jr * kc, tile, NR, MR, NR, 0);
          add_tile(j, &r, tile, i0 + ir, jr, min_int(mc - ir, MR), min_int(n - jr, NR));
        }
      }
    }
  }
  lay_rows(j->out, j->result + (i64)i0 * j->R * taps.count, j->M, j->R, taps.count, i0, i0 + mc, 1);
}

// The forward pass (`transposed` 0: out from x) or the input gradient (1: dx
// from gradOut, with W_tᵀ): `from` (N, K, S) → `to` (N, M, R), where (K, S)
// and (M, R) are (C, Q) and (O, P), or the other way round. Two passes over
// the threads per chunk: each tap's B packed from the images, then the
// products, each task adding its rows of every tap into the result in tap
// order (so the bits do not depend on the thread count) and laying them back.
static void tap_by_tap(const ConvGeometry* g, const float* from, const float* weight, float* to, int transposed) {
  Taps s;
  setup(&s, g);
  int K = transposed ? s.O : s.C, S = transposed ? s.P : s.Q, M = transposed ? s.C : s.O, R = transposed ? s.Q : s.P;
  u32 columnsMost = (u32)(s.P > s.Q ? s.P : s.Q) * (u32)s.count, threads = (u32)thread_count();
  u32 result = whole_lines((u32)M * (u32)R * (u32)s.count), packedB = whole_lines((u32)s.T * (u32)K * (u32)round_up((int)columnsMost, NR));
  u32 packA = whole_lines((u32)s.T * TAP_ROWS * KC), laid = whole_lines(ROW_BLOCK * (u32)S * (u32)s.count);
  float* scratch = (float*)fathom_scratch((result + packedB + (packA + laid) * threads + 2u * (u32)s.T) * 4u);
  float* packs = scratch + result + packedB;
  i32* columns = (i32*)(packs + (packA + laid) * threads);
  u32* bAt = (u32*)(columns + s.T);
  TapProducts j = {&s, weight, transposed, M, K, S, R, 0, packs + packA * threads, laid, scratch, 0,
                   columns, bAt, scratch + result, packs, packA};
  for (int first = 0; first < g->batch; first += s.count) {
    s.count = min_int(s.count, g->batch - first);
    j.images = from + (i64)first * K * S;
    j.out = to + (i64)first * M * R;
    u32 bNext = 0;
    for (int t = 0; t < s.T; t++) {
      columns[t] = reach(g, t).m * s.count;
      bAt[t] = bNext;
      bNext += (u32)K * (u32)round_up(columns[t], NR);
    }
    parallel_for(pack_b_task, &j, (K + ROW_BLOCK - 1) / ROW_BLOCK);
    parallel_for(tap_products_task, &j, (M + TAP_ROWS - 1) / TAP_ROWS);
  }
}

void taps_conv(const ConvGeometry* g, const float* x, const float* weight, float* out) {
  tap_by_tap(g, x, weight, out, 0);
}

void taps_conv_input_grad(const ConvGeometry* g, const float* gradOut, const float* weight, float* dx) {
  tap_by_tap(g, gradOut, weight, dx, 1);
}

// ---------------------------------------------------------------------------
// The weight gradient: dW_t (O, C) += G_t (O, m_t·n) · X_tᵀ (m_t·n, C) tap by
// tap into (T, O, C), then laid back as (O, C, T).

// Every tap's G_t and X_t of a chunk, ROW_BLOCK rows a task: gradOut's rows
// into left, then the input's into right, each laid out position-major first.
typedef struct {
  const Taps* s;
  const float* x;
  const float* gradOut;
  float* left;        // per tap t at leftAt[t]: G_t (O, m_t·count)
  float* right;       // per tap t at rightAt[t]: X_t (C, m_t·count)
  const u32* leftAt;
  const u32* rightAt;
  float* laid;        // per thread: laidFloats
  u32 laidFloats;
} TapOperands;

static void gather_task(void* args, int task, int thread) {
  const TapOperands o = *(const TapOperands*)args;  // copies: see TaskFn
  const Taps s = *o.s;
  int outTasks = (s.O + ROW_BLOCK - 1) / ROW_BLOCK, inputSide = task >= outTasks;
  int K = inputSide ? s.C : s.O, S = inputSide ? s.Q : s.P;
  int k0 = (inputSide ? task - outTasks : task) * ROW_BLOCK, k1 = min_int(k0 + ROW_BLOCK, K);
  float* major = o.laid + (u32)thread * o.laidFloats;
  lay_rows((float*)(inputSide ? o.x : o.gradOut), major, K, S, s.count, k0, k1, 0);
  for (int t = 0; t < s.T; t++) {
    Reach r = reach(s.g, t);
    if (r.m == 0) continue;
    int n = r.m * s.count;
    float* block = (inputSide ? o.right + o.rightAt[t] : o.left + o.leftAt[t]) + (i64)k0 * n;
    for (int i = 0; i < r.m; i++) {
      const float* from = major + column_at(&s, &r, i * s.count, inputSide);
      for (int k = 0; k < k1 - k0; k++) {
        float* into = block + (i64)k * n + i * s.count;
        const float* row = from + (i64)k * S * s.count;
        int c = 0;
        for (; c + 4 <= s.count; c += 4) wasm_v128_store(into + c, wasm_v128_load(row + c));
        for (; c < s.count; c++) into[c] = row[c];
      }
    }
  }
}

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

void taps_conv_weight_grad(const ConvGeometry* g, const float* x, const float* gradOut, float* dw) {
  Taps s;
  setup(&s, g);
  u32 wt = whole_lines((u32)s.T * (u32)s.O * (u32)s.C), reached = 0;
  for (int t = 0; t < s.T; t++) reached += (u32)reach(g, t).m;
  u32 left = whole_lines((u32)s.O * reached * (u32)s.count), right = whole_lines((u32)s.C * reached * (u32)s.count);
  int most = s.O > s.C ? s.O : s.C, columnsMost = s.P * s.count;
  u32 laid = whole_lines(ROW_BLOCK * (u32)(s.P > s.Q ? s.P : s.Q) * (u32)s.count);
  u32 pack = gemm_pack_floats(most, most, columnsMost), threads = (u32)thread_count();
  float* scratch = (float*)fathom_scratch((wt + left + right + (pack + laid) * threads + 2u * (u32)s.T) * 4u);
  float* packs = scratch + wt + left + right;
  u32* leftAt = (u32*)(packs + (pack + laid) * threads);
  u32* rightAt = leftAt + s.T;
  TapOperands operands = {&s, 0, 0, scratch + wt, scratch + wt + left, leftAt, rightAt, packs + pack * threads, laid};
  // The first chunk's products overwrite their tap's plane; only a tap that reaches no position is never written.
  for (int t = 0; t < s.T; t++) {
    if (reach(g, t).m == 0) zero_floats(scratch + (i64)t * s.O * s.C, s.O * s.C);
  }
  for (int first = 0; first < g->batch; first += s.count) {
    s.count = min_int(s.count, g->batch - first);
    operands.x = x + (i64)first * s.C * s.Q;
    operands.gradOut = gradOut + (i64)first * s.O * s.P;
    u32 leftNext = 0, rightNext = 0;
    for (int t = 0; t < s.T; t++) {
      int n = reach(g, t).m * s.count;
      leftAt[t] = leftNext;
      rightAt[t] = rightNext;
      leftNext += (u32)s.O * (u32)n;
      rightNext += (u32)s.C * (u32)n;
    }
    parallel_for(gather_task, &operands, (s.O + ROW_BLOCK - 1) / ROW_BLOCK + (s.C + ROW_BLOCK - 1) / ROW_BLOCK);
    for (int t = 0; t < s.T; t++) {
      int n = reach(g, t).m * s.count;
      if (n == 0) continue;
      // Element (k, c) of X_tᵀ is at c·n + k.
      sgemm_parallel(s.O, s.C, n, operands.left + leftAt[t], n, 1, operands.right + rightAt[t], 1, n,
                     scratch + (i64)t * s.O * s.C, s.C, first > 0, packs);
    }
  }
  WeightLayout back = {scratch, dw, s.O, s.C, s.T};
  parallel_for(weight_layout_task, &back, s.O);
}
