// Batched matrix product with broadcast batch dims, read through strides.
#include "gemm.h"

typedef struct {
  int batchDims, m, n, k, rsa, csa, rsb, csb;
  int shape[MAX_DIMS], aStrides[MAX_DIMS], bStrides[MAX_DIMS];
  const float* a;
  const float* b;
  float* out;
  float* pack;
  u32 packFloats;
} MatmulJob;

// Operand offsets (elements) of batch element `batch`, from its coordinates.
static void batch_offsets(const MatmulJob* j, i64 batch, i64* aOffset, i64* bOffset) {
  i64 ao = 0, bo = 0;
  for (int d = j->batchDims - 1; d >= 0; d--) {
    i64 coord = batch % j->shape[d];
    batch /= j->shape[d];
    ao += coord * j->aStrides[d];
    bo += coord * j->bStrides[d];
  }
  *aOffset = ao;
  *bOffset = bo;
}

static void batch_task(void* args, int task, int thread) {
  const MatmulJob* j = (const MatmulJob*)args;
  i64 ao, bo;
  batch_offsets(j, task, &ao, &bo);
  sgemm(j->m, j->n, j->k, j->a + ao, j->rsa, j->csa, j->b + bo, j->rsb, j->csb,
        j->out + (i64)task * j->m * j->n, j->n, 0, j->pack + (u32)thread * j->packFloats);
}

// The product's geometry arrives folded by core's foldMatmulBatches: batch
// dims where b repeats and a continues its row stride are already folded into
// M (so (B, T, C) @ (C, N) runs as one (B·T, C) @ (C, N) product), and the
// batch dims left are merged where both operands allow.
EXPORT(fathom_matmul) int fathom_matmul(const i32* ints, const double* floats) {
  MatmulArguments args;
  read_matmul_arguments(ints, floats, &args);
  float* out = (float*)args.out;
  MatmulJob j;
  j.m = args.m;
  j.k = args.k;
  j.n = args.n;
  j.rsa = args.aRowStride;
  j.csa = args.aColStride;
  j.rsb = args.bRowStride;
  j.csb = args.bColStride;
  int batchDims = args.batchShapeCount;
  if (batchDims > MAX_DIMS || args.aBatchStridesCount != batchDims || args.bBatchStridesCount != batchDims) return ERR_RANK;
  j.batchDims = batchDims;
  i64 batches = 1;
  for (int d = 0; d < batchDims; d++) {
    j.shape[d] = args.batchShape[d];
    j.aStrides[d] = args.aBatchStrides[d];
    j.bStrides[d] = args.bBatchStrides[d];
    batches *= args.batchShape[d];
  }
  if (batches == 0 || j.m == 0 || j.n == 0) return OK;
  j.a = (const float*)args.a;
  j.b = (const float*)args.b;
  j.out = out;
  j.packFloats = gemm_pack_floats(j.m, j.n, j.k);
  j.pack = (float*)fathom_scratch(j.packFloats * 4u * (u32)thread_count());
  int threads = thread_count();
  if (batches == 1) {
    sgemm_parallel(j.m, j.n, j.k, j.a, j.rsa, j.csa, j.b, j.rsb, j.csb, out, j.n, 0, j.pack);
  } else if (threads > 1 && batches >= threads && !gemm_worth_splitting(j.m, j.n, j.k)) {
    parallel_for(batch_task, &j, (int)batches);
  } else {
    for (i64 batch = 0; batch < batches; batch++) {
      i64 ao, bo;
      batch_offsets(&j, batch, &ao, &bo);
      sgemm_parallel(j.m, j.n, j.k, j.a + ao, j.rsa, j.csa, j.b + bo, j.rsb, j.csb, out + batch * j.m * j.n, j.n, 0, j.pack);
    }
  }
  return OK;
}
