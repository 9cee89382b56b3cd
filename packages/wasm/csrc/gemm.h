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

#endif
