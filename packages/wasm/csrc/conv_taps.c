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
// (see tap_products_task); the weight gradient runs all taps' products for
// one tile of (O, C) at a time and writes it in (O, C, T) order.
//
// Measured inside ResNet-18 training steps (batch 16, 2 threads; ms per call,
// im2col or Winograd → tap by tap): 512 channels on 2×2 forward 6.4–6.9 →
// 4.4–4.7, input gradient 5.4–5.5 → 4.8–4.9, weight gradient 5.9–6.5 →
// 3.5–3.7; 256 channels on 4×4 (Winograd) forward 5.6–5.8 → 3.9–4.8, input
// gradient 5.7–5.9 → 4.1–4.8, weight gradient a tie. On 8×8 planes (a 0.84
// share of products reached) Winograd was 1.5× faster, hence the 3/4 bound.
// The weight gradient written tile by tile in (O, C, T) order instead of a
// (T, O, C) plane laid back: 512 channels 2×2 3.4–3.5 → 2.8–2.9 ms, the
// stride-2 256 → 512 one 2.5–2.6 → 2.0–2.1 (with the larger chunks).
// Packing the weights in one pass instead of laying them out tap by tap
// first (a memory-bound pass, ~5 % of each thread's time in a step): one
// layer called again and again, 2 threads, 512 channels 2×2 forward 5.6–5.7
// → 3.4–3.7 ms, input gradient 5.8–5.9 → 3.3; 256 channels 4×4 forward
// 5.7–5.8 → 4.3–5.0, input gradient 5.5–5.7 → 4.3–4.8; inside ResNet-18
// steps, the convolutions 199, 200, 204 → 195, 197, 199 ms per step.
#include "conv_taps.h"
#include "gemm.h"

// Scratch floats for one chunk's result (bounds the images per chunk). The
// weight gradient keeps no result plane, only its operands, so its chunks
// are larger: ResNet-18's stride-2 256 → 512 layer in one chunk instead of
// two, 2.5 → 2.0 ms.
#define CHUNK_FLOATS (1u << 16)
#define WEIGHT_CHUNK_FLOATS (1u << 18)

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

static void setup(Taps* s, const ConvGeometry* g, u32 chunkFloats) {
  s->g = g;
  s->C = g->inChannels;
  s->O = g->outChannels;
  s->T = g->kernelHeight * g->kernelWidth;
  s->P = g->outHeight * g->outWidth;
  s->Q = g->inHeight * g->inWidth;
  int widest = s->C > s->O ? s->C : s->O, positions = s->P > s->Q ? s->P : s->Q;
  int count = (int)(chunkFloats / ((u32)widest * (u32)positions));
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
  setup(&s, g, CHUNK_FLOATS);
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
// The weight gradient: dW_t (O, C) += G_t (O, m_t·n) · X_tᵀ (m_t·n, C) for
// every tap, tile by tile of (O, C), written in dw's (O, C, T) order.

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

// Every tap's G_t and X_tᵀ are packed for the micro-kernel in KC-deep blocks
// (tap t's A at aAt[t], blocks of oPadded·kc floats; its B at bAt[t], blocks
// of cPadded·kc). Then each task takes WEIGHT_ROWS output channels and, for
// each MR×NR tile of (O, C), runs all T taps' products back to back and
// writes the tile's weights in dw's (O, C, T) order. Products tap by tap
// into a (T, O, C) plane laid back afterwards wrote and re-read the whole
// gradient (9.4 MB at 512 channels): the lay-back alone took a third of
// ResNet-18's 512-channel 2×2 weight gradient.
#define WEIGHT_ROWS (MR * 2)
#define TILE (MR * NR)

typedef struct {
  const Taps* s;
  const TapOperands* operands;
  const i32* depth;  // per tap: m_t·count, its products' k
  const u32* aAt;
  const u32* bAt;
  float* packedA;
  float* packedB;
  float* tiles;      // per thread: T tiles of MR·NR floats
  float* dw;
  int oPadded, cPadded, accumulate;
} WeightProducts;

// Task 2t packs tap t's G_t, task 2t + 1 its X_tᵀ.
static void weight_pack_task(void* args, int task, int thread) {
  const WeightProducts* p = (const WeightProducts*)args;
  const TapOperands* o = p->operands;
  int t = task / 2, n = p->depth[t];
  for (int pc = 0; pc < n; pc += KC) {
    int kc = min_int(KC, n - pc);
    if (task % 2 == 0) gemm_pack_a(p->packedA + p->aAt[t] + (i64)pc * p->oPadded, kc, p->s->O, o->left + o->leftAt[t] + pc, n, 1);
    // Element (k, c) of X_tᵀ is at c·n + k.
    else gemm_pack_b(p->packedB + p->bAt[t] + (i64)pc * p->cPadded, kc, p->s->C, o->right + o->rightAt[t] + pc, 1, n);
  }
}

// Row r of a 3×3 kernel's nine tiles (tap-major, `tiles`) to or, with
// `back`, from its NR channels' 9·NR weights `at` (channel-major), four
// channels at a time through two 4×4 transposes: taps 0–3 and 4–7 as
// vectors, tap 8 lane by lane.
INLINE void lay_row_nine(float* tiles, int r, float* at, int back) {
  for (int half = 0; half < NR / 4; half++, at += 36) {
    float* tile = tiles + r * NR + 4 * half;
    v128_t low[4], high[4], lowT[4], highT[4], last;
    if (!back) {
      for (int t = 0; t < 4; t++) {
        low[t] = wasm_v128_load(tile + t * TILE);
        high[t] = wasm_v128_load(tile + (4 + t) * TILE);
      }
      last = wasm_v128_load(tile + 8 * TILE);
      transpose4x4(low, lowT);
      transpose4x4(high, highT);
      for (int c = 0; c < 4; c++) {
        wasm_v128_store(at + 9 * c, lowT[c]);
        wasm_v128_store(at + 9 * c + 4, highT[c]);
      }
      at[8] = wasm_f32x4_extract_lane(last, 0);
      at[17] = wasm_f32x4_extract_lane(last, 1);
      at[26] = wasm_f32x4_extract_lane(last, 2);
      at[35] = wasm_f32x4_extract_lane(last, 3);
    } else {
      for (int c = 0; c < 4; c++) {
        lowT[c] = wasm_v128_load(at + 9 * c);
        highT[c] = wasm_v128_load(at + 9 * c + 4);
      }
      transpose4x4(lowT, low);
      transpose4x4(highT, high);
      for (int t = 0; t < 4; t++) {
        wasm_v128_store(tile + t * TILE, low[t]);
        wasm_v128_store(tile + (4 + t) * TILE, high[t]);
      }
      wasm_v128_store(tile + 8 * TILE, wasm_f32x4_make(at[8], at[17], at[26], at[35]));
    }
  }
}

// Rows [ir, ir + mr) × channels [jr, jr + nr) of all T tiles to or from dw.
static void lay_tiles(const WeightProducts* p, float* tiles, int ir, int mr, int jr, int nr, int back) {
  int T = p->s->T, C = p->s->C;
  for (int r = 0; r < mr; r++) {
    float* row = p->dw + ((i64)(ir + r) * C + jr) * T;
    if (T == 9 && nr == NR) {
      lay_row_nine(tiles, r, row, back);
      continue;
    }
    for (int c = 0; c < nr; c++) {
      for (int t = 0; t < T; t++) {
        float* tile = tiles + t * TILE + r * NR + c;
        if (back) *tile = row[c * T + t];
        else row[c * T + t] = *tile;
      }
    }
  }
}

static void weight_products_task(void* args, int task, int thread) {
  const WeightProducts p = *(const WeightProducts*)args;  // copies: see TaskFn
  int T = p.s->T, C = p.s->C;
  float* tiles = p.tiles + (u32)thread * whole_lines((u32)T * TILE);
  int o0 = task * WEIGHT_ROWS, o1 = min_int(o0 + WEIGHT_ROWS, p.s->O);
  for (int jr = 0; jr < C; jr += NR) {
    int nr = min_int(NR, C - jr);
    for (int ir = o0; ir < o1; ir += MR) {
      int mr = min_int(MR, o1 - ir);
      // A later chunk of images adds into what the earlier ones left.
      if (p.accumulate) lay_tiles(&p, tiles, ir, mr, jr, nr, 1);
      for (int t = 0; t < T; t++) {
        float* tile = tiles + t * TILE;
        int n = p.depth[t];
        if (n == 0 && !p.accumulate) zero_floats(tile, TILE);
        for (int pc = 0; pc < n; pc += KC) {
          int kc = min_int(KC, n - pc);
          gemm_micro_kernel(kc, p.packedA + p.aAt[t] + (i64)pc * p.oPadded + (i64)ir * kc,
                            p.packedB + p.bAt[t] + (i64)pc * p.cPadded + (i64)jr * kc, tile, NR, MR, NR, p.accumulate || pc > 0);
        }
      }
      lay_tiles(&p, tiles, ir, mr, jr, nr, 0);
    }
  }
}

void taps_conv_weight_grad(const ConvGeometry* g, const float* x, const float* gradOut, float* dw) {
  Taps s;
  setup(&s, g, WEIGHT_CHUNK_FLOATS);
  u32 reached = 0;
  for (int t = 0; t < s.T; t++) reached += (u32)reach(g, t).m;
  int oPadded = round_up(s.O, MR), cPadded = round_up(s.C, NR);
  u32 depths = reached * (u32)s.count, threads = (u32)thread_count();
  u32 left = whole_lines((u32)s.O * depths), right = whole_lines((u32)s.C * depths);
  u32 packedA = whole_lines((u32)oPadded * depths), packedB = whole_lines((u32)cPadded * depths);
  u32 laid = whole_lines(ROW_BLOCK * (u32)(s.P > s.Q ? s.P : s.Q) * (u32)s.count);
  u32 tiles = whole_lines((u32)s.T * TILE);
  float* scratch = (float*)fathom_scratch((left + right + packedA + packedB + (laid + tiles) * threads + 5u * (u32)s.T) * 4u);
  float* packs = scratch + left + right + packedA + packedB;
  u32* leftAt = (u32*)(packs + (laid + tiles) * threads);
  u32* rightAt = leftAt + s.T;
  u32* aAt = rightAt + s.T;
  u32* bAt = aAt + s.T;
  i32* depth = (i32*)(bAt + s.T);
  TapOperands operands = {&s, 0, 0, scratch, scratch + left, leftAt, rightAt, packs, laid};
  WeightProducts products = {&s, &operands, depth, aAt, bAt, scratch + left + right, scratch + left + right + packedA,
                             packs + laid * threads, dw, oPadded, cPadded, 0};
  for (int first = 0; first < g->batch; first += s.count) {
    s.count = min_int(s.count, g->batch - first);
    operands.x = x + (i64)first * s.C * s.Q;
    operands.gradOut = gradOut + (i64)first * s.O * s.P;
    u32 before = 0;  // the k of the taps before t
    for (int t = 0; t < s.T; t++) {
      depth[t] = reach(g, t).m * s.count;
      leftAt[t] = (u32)s.O * before;
      rightAt[t] = (u32)s.C * before;
      aAt[t] = (u32)oPadded * before;
      bAt[t] = (u32)cPadded * before;
      before += (u32)depth[t];
    }
    products.accumulate = first > 0;
    parallel_for(gather_task, &operands, (s.O + ROW_BLOCK - 1) / ROW_BLOCK + (s.C + ROW_BLOCK - 1) / ROW_BLOCK);
    parallel_for(weight_pack_task, &products, 2 * s.T);
    parallel_for(weight_products_task, &products, (s.O + WEIGHT_ROWS - 1) / WEIGHT_ROWS);
  }
}
