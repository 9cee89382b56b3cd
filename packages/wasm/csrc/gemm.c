// Packed-panel SGEMM in the Goto/BLIS style with a register-blocked SIMD
// micro-kernel.
//
// A micro-tile of MR×NR outputs lives in MR·NR/4 float32x4 accumulators while
// the micro-kernel streams a packed A sliver (KC×MR, one k-step's MR values
// adjacent) and a packed B sliver (KC×NR) from L1. A block of A (MC×KC) stays
// in L2, a panel of B (KC×NC) in L3.
//
// Why 4×8: V8 maps wasm SIMD values onto the 16 x86 xmm registers and keeps
// one as scratch, and clang loads all MR broadcasts of a k-step before using
// them. 4×8 needs 8 accumulators + 2 B vectors + 4 broadcasts + 1 product
// and never spills; measured on a 2-core AMD EPYC (Zen 4) in Node 20, n=512,
// one thread: 4×8 41 GFLOP/s, 3×8 39, 4×16 31, 4×4 32, 6×8 27, 4×12 27,
// 5×8 23, 8×4 23; unrolling k by 2 or 4 drops 4×8 to 29. KC, MC and NC move
// it by under 3%.
#include "gemm.h"

#ifndef NC
#define NC 2048
#endif


u32 gemm_pack_floats(int m, int n, int k) {
  int kc = min_int(k, KC);
  return whole_lines((u32)(min_int(round_up(m, MR), MC) * kc + kc * min_int(round_up(n, NR), NC)));
}

int gemm_worth_splitting(int m, int n, int k) {
  return (i64)m * n * k >= 64 * 64 * 64 && (m >= 2 * MR || n >= 2 * NR);
}

// Packs an mc×kc block of A as MR-row slivers; rows past mc are zero.
static void pack_a(float* pa, int kc, int mc, const float* a, int rsa, int csa) {
  for (int ir = 0; ir < mc; ir += MR) {
    int mr = min_int(MR, mc - ir);
    const float* rows = a + (i64)ir * rsa;
    if (mr == MR && csa == 1) {
      const float* r[MR];
      for (int i = 0; i < MR; i++) r[i] = rows + (i64)i * rsa;
      int p = 0;
#if MR == 4
      // Four k-steps at a time: a 4×4 transpose in registers. Scalar, packing a
      // convolution's weights (512×4608 in ResNet's last layers) cost a third
      // of the product.
      for (; p + 4 <= kc; p += 4, pa += 4 * MR) {
        v128_t in[4] = {wasm_v128_load(r[0] + p), wasm_v128_load(r[1] + p), wasm_v128_load(r[2] + p), wasm_v128_load(r[3] + p)}, out[4];
        transpose4x4(in, out);
        for (int v = 0; v < 4; v++) wasm_v128_store(pa + 4 * v, out[v]);
      }
#endif
      for (; p < kc; p++, pa += MR) {
        for (int i = 0; i < MR; i++) pa[i] = r[i][p];
      }
    } else if (mr == MR && rsa == 1) {
      for (int p = 0; p < kc; p++, pa += MR) {
        const float* col = rows + (i64)p * csa;
#if MR == 4
        wasm_v128_store(pa, wasm_v128_load(col));
#else
        for (int i = 0; i < MR; i++) pa[i] = col[i];
#endif
      }
    } else {
      for (int p = 0; p < kc; p++, pa += MR) {
        int i = 0;
        for (; i < mr; i++) pa[i] = rows[(i64)i * rsa + (i64)p * csa];
        for (; i < MR; i++) pa[i] = 0;
      }
    }
  }
}

// Packs a kc×nc panel of B as NR-column slivers; columns past nc are zero.
static void pack_b(float* pb, int kc, int nc, const float* b, int rsb, int csb) {
  for (int jr = 0; jr < nc; jr += NR) {
    int nr = min_int(NR, nc - jr);
    const float* cols = b + (i64)jr * csb;
    if (nr == NR && csb == 1) {
      for (int p = 0; p < kc; p++, pb += NR) {
        const float* row = cols + (i64)p * rsb;
        for (int v = 0; v < NV; v++) wasm_v128_store(pb + 4 * v, wasm_v128_load(row + 4 * v));
      }
    } else if (nr == NR && rsb == 1) {
      // B read across its rows (a transposed operand: the weight gradient's
      // cols or Winograd transforms): four k-steps at a time, 4×4 transposes
      // in registers, as pack_a does.
      int p = 0;
#if NR == 8
      for (; p + 4 <= kc; p += 4) {
        for (int half = 0; half < 2; half++) {
          const float* c0 = cols + (i64)(4 * half) * csb + p;
          v128_t in[4] = {wasm_v128_load(c0), wasm_v128_load(c0 + csb), wasm_v128_load(c0 + 2 * (i64)csb), wasm_v128_load(c0 + 3 * (i64)csb)}, out[4];
          transpose4x4(in, out);
          float* to = pb + p * NR + 4 * half;
          for (int v = 0; v < 4; v++) wasm_v128_store(to + v * NR, out[v]);
        }
      }
#endif
      for (; p < kc; p++) {
        for (int j = 0; j < NR; j++) pb[p * NR + j] = cols[(i64)j * csb + p];
      }
      pb += kc * NR;
    } else {
      for (int p = 0; p < kc; p++, pb += NR) {
        int j = 0;
        for (; j < nr; j++) pb[j] = cols[(i64)p * rsb + (i64)j * csb];
        for (; j < NR; j++) pb[j] = 0;
      }
    }
  }
}

void gemm_pack_a(float* pa, int kc, int mc, const float* a, int rsa, int csa) { pack_a(pa, kc, mc, a, rsa, csa); }

void gemm_pack_b(float* pb, int kc, int nc, const float* b, int rsb, int csb) { pack_b(pb, kc, nc, b, rsb, csb); }


// m < MR (a few rows, e.g. one sample through a Linear layer): each row of C
// is a combination of the rows of B. The sums run in the same order and the
// same KC blocks as the micro-kernel's (products added to a zeroed block
// sum, block sums added to C), so a row has the same bits whichever path
// computes it, and a product the same bits on any number of threads.
#define FEW_COLUMNS 256
static void few_rows(int m, int n, int k, const float* a, int rsa, int csa, const float* b, int rsb, int csb,
                     float* c, int ldc, int accumulate) {
  float block[FEW_COLUMNS];
  for (int i = 0; i < m; i++) {
    float* ci = c + (i64)i * ldc;
    const float* ai = a + (i64)i * rsa;
    for (int j0 = 0; j0 < n; j0 += FEW_COLUMNS) {
      int width = min_int(FEW_COLUMNS, n - j0);
      for (int pc = 0; pc < k; pc += KC) {
        int kc = min_int(KC, k - pc);
        memset(block, 0, (size_t)width * 4);
        for (int p = pc; p < pc + kc; p++) {
          float aip = ai[(i64)p * csa];
          const float* bp = b + (i64)p * rsb + (i64)j0 * csb;
          if (csb == 1) {
            v128_t av = wasm_f32x4_splat(aip);
            int j = 0;
            for (; j + 4 <= width; j += 4) wasm_v128_store(block + j, wasm_f32x4_add(wasm_v128_load(block + j), wasm_f32x4_mul(av, wasm_v128_load(bp + j))));
            for (; j < width; j++) block[j] += aip * bp[j];
          } else {
            for (int j = 0; j < width; j++) block[j] += aip * bp[(i64)j * csb];
          }
        }
        float* out = ci + j0;
        if (accumulate || pc > 0) for (int j = 0; j < width; j++) out[j] += block[j];
        else memcpy(out, block, (size_t)width * 4);
      }
    }
  }
}

void sgemm(int m, int n, int k, const float* a, int rsa, int csa, const float* b, int rsb, int csb,
           float* c, int ldc, int accumulate, float* pack) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (int i = 0; i < m; i++) memset(c + (i64)i * ldc, 0, (size_t)n * 4);
    return;
  }
  if (m < MR) {
    few_rows(m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
    return;
  }
  int kcMax = min_int(k, KC);
  float* pa = pack;
  float* pb = pack + min_int(round_up(m, MR), MC) * kcMax;
  for (int jc = 0; jc < n; jc += NC) {
    int nc = min_int(NC, n - jc);
    for (int pc = 0; pc < k; pc += KC) {
      int kc = min_int(KC, k - pc);
      int add = accumulate || pc > 0;
      pack_b(pb, kc, nc, b + (i64)pc * rsb + (i64)jc * csb, rsb, csb);
      for (int ic = 0; ic < m; ic += MC) {
        int mc = min_int(MC, m - ic);
        pack_a(pa, kc, mc, a + (i64)ic * rsa + (i64)pc * csa, rsa, csa);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = min_int(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = min_int(MR, mc - ir);
            gemm_micro_kernel(kc, pa + ir * kc, pb + jr * kc, c + (i64)(ic + ir) * ldc + jc + jr, ldc, mr, nr, add);
          }
        }
      }
    }
  }
}

typedef struct {
  int m, n, k, rsa, csa, rsb, csb, ldc, accumulate, splitRows, tile, tasks;
  const float* a;
  const float* b;
  float* c;
  float* pack;
  u32 packFloats;
} GemmJob;

static void gemm_task(void* args, int task, int thread) {
  const GemmJob* j = (const GemmJob*)args;
  float* pack = j->pack + (u32)thread * j->packFloats;
  int start = task * j->tile;
  if (j->splitRows) {
    int rows = min_int(j->tile, j->m - start);
    if (rows <= 0) return;
    sgemm(rows, j->n, j->k, j->a + (i64)start * j->rsa, j->rsa, j->csa, j->b, j->rsb, j->csb,
          j->c + (i64)start * j->ldc, j->ldc, j->accumulate, pack);
  } else {
    int cols = min_int(j->tile, j->n - start);
    if (cols <= 0) return;
    sgemm(j->m, cols, j->k, j->a, j->rsa, j->csa, j->b + (i64)start * j->csb, j->rsb, j->csb,
          j->c + start, j->ldc, j->accumulate, pack);
  }
}

void sgemm_parallel(int m, int n, int k, const float* a, int rsa, int csa, const float* b, int rsb, int csb,
                    float* c, int ldc, int accumulate, float* pack) {
  int threads = thread_count();
  if (threads == 1 || !gemm_worth_splitting(m, n, k)) {
    sgemm(m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, pack);
    return;
  }
  GemmJob j = {m, n, k, rsa, csa, rsb, csb, ldc, accumulate, 0, 0, 0, a, b, c, pack, gemm_pack_floats(m, n, k)};
  // Split the longer side of C into one tile per thread, in whole micro-tiles.
  j.splitRows = m >= n;
  int length = j.splitRows ? m : n, unit = j.splitRows ? MR : NR;
  j.tile = round_up((length + threads - 1) / threads, unit);
  j.tasks = (length + j.tile - 1) / j.tile;
  parallel_for(gemm_task, &j, j.tasks);
}

// Row-major contiguous C = A·B (m×k by k×n), for benchmarks and tests.
EXPORT(fathom_sgemm) void fathom_sgemm(int m, int n, int k, const float* a, const float* b, float* c) {
  float* pack = (float*)fathom_scratch(gemm_pack_floats(m, n, k) * 4u * (u32)thread_count());
  sgemm_parallel(m, n, k, a, k, 1, b, n, 1, c, n, 0, pack);
}
