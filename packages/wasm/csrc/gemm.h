// Single-precision matrix product (gemm.c).
#ifndef FATHOM_GEMM_H
#define FATHOM_GEMM_H

#include "fathom.h"

// C (m×n, row stride ldc) = A·B, or += when `accumulate`; A element (i, p) at
// a[i·rsa + p·csa], B element (p, j) at b[p·rsb + j·csb], so transposed
// operands need no copy. `pack` is scratch of gemm_pack_floats(m, n, k)
// floats. Runs on the calling thread only.
void sgemm(int m, int n, int k, const float* a, int rsa, int csa, const float* b, int rsb, int csb,
           float* c, int ldc, int accumulate, float* pack);

// The same on the thread pool, split into output tiles; `pack` holds
// gemm_pack_floats(m, n, k) floats for each of thread_count() threads.
void sgemm_parallel(int m, int n, int k, const float* a, int rsa, int csa, const float* b, int rsb, int csb,
                    float* c, int ldc, int accumulate, float* pack);

// Scratch floats one sgemm call of this size needs.
u32 gemm_pack_floats(int m, int n, int k);

// Whether a product is big enough to be worth splitting across threads.
int gemm_worth_splitting(int m, int n, int k);

// The pieces of the packed product, for drivers that pack an operand their
// own way (conv_taps.c packs every tap's weights in one pass).
#ifndef MR
#define MR 4
#endif
#ifndef NR
#define NR 8
#endif
#ifndef KC
#define KC 256
#endif
#ifndef MC
#define MC (MR * 24)
#endif

// 4×4 transpose in registers: out[j] holds lane j of in[0…3].
INLINE void transpose4x4(const v128_t* in, v128_t* out) {
  v128_t lo01 = wasm_i32x4_shuffle(in[0], in[1], 0, 4, 1, 5), lo23 = wasm_i32x4_shuffle(in[2], in[3], 0, 4, 1, 5);
  v128_t hi01 = wasm_i32x4_shuffle(in[0], in[1], 2, 6, 3, 7), hi23 = wasm_i32x4_shuffle(in[2], in[3], 2, 6, 3, 7);
  out[0] = wasm_i32x4_shuffle(lo01, lo23, 0, 1, 4, 5);
  out[1] = wasm_i32x4_shuffle(lo01, lo23, 2, 3, 6, 7);
  out[2] = wasm_i32x4_shuffle(hi01, hi23, 0, 1, 4, 5);
  out[3] = wasm_i32x4_shuffle(hi01, hi23, 2, 3, 6, 7);
}

// Packs an mc×kc block of A (element (i, p) at a[i·rsa + p·csa]) as MR-row
// slivers of kc·MR floats, rows past mc zero.
void gemm_pack_a(float* pa, int kc, int mc, const float* a, int rsa, int csa);

// Packs a kc×nc panel of B (element (p, j) at b[p·rsb + j·csb]) as NR-column
// slivers of kc·NR floats, columns past nc zero.
void gemm_pack_b(float* pb, int kc, int nc, const float* b, int rsb, int csb);

// One MR×NR tile of C (row stride ldc) = or, when `add`, += the product of a
// packed A sliver (kc steps of MR values) and a packed B sliver; only the
// mr×nr corner is written. Inline, so drivers that pack their own operands
// (conv_taps.c, winograd.c) run it as the SGEMM's loops do, not through a
// call per tile.
#define NV (NR / 4)
INLINE void gemm_micro_kernel(int kc, const float* pa, const float* pb, float* c, int ldc, int mr, int nr, int add) {
  v128_t acc[MR][NV];
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; i++)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) acc[i][v] = wasm_f32x4_splat(0);
  for (int p = 0; p < kc; p++) {
    v128_t bv[NV];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) bv[v] = wasm_v128_load(pb + 4 * v);
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
      v128_t av = wasm_v128_load32_splat(pa + i);
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) acc[i][v] = wasm_f32x4_add(acc[i][v], wasm_f32x4_mul(av, bv[v]));
    }
    pa += MR;
    pb += NR;
  }
  if (mr == MR && nr == NR) {
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
      float* row = c + (i64)i * ldc;
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) {
        v128_t x = add ? wasm_f32x4_add(wasm_v128_load(row + 4 * v), acc[i][v]) : acc[i][v];
        wasm_v128_store(row + 4 * v, x);
      }
    }
    return;
  }
  float tile[MR * NR];
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; i++)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) wasm_v128_store(tile + i * NR + 4 * v, acc[i][v]);
  for (int i = 0; i < mr; i++) {
    float* row = c + (i64)i * ldc;
    if (add) for (int j = 0; j < nr; j++) row[j] += tile[i * NR + j];
    else for (int j = 0; j < nr; j++) row[j] = tile[i * NR + j];
  }
}


#endif
