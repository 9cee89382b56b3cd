// gather and scatterAdd along one dim (torch.gather / torch.scatter_add).
// Core checks the indices' range before calling (it can read them: this
// backend reads synchronously).
#include "fathom.h"

// out has index's shape.
EXPORT(fathom_gather) int fathom_gather(const i32* ints, const double* floats) {
  GatherArguments args;
  read_gather_arguments(ints, floats, &args);
  const View* x = &args.x;
  const View* index = &args.index;
  int dtype = args.dtype;
  int dim = args.dim;
  u8* out = args.out;
  int size = dtype_size(dtype);
  int ndim = index->ndim;
  i64 total = 1;
  for (int d = 0; d < ndim; d++) total *= index->shape[d];
  if (total == 0) return OK;
  int counter[MAX_DIMS] = {0};
  i64 at = 0, from = 0;  // element offsets in index and x (x without dim)
  i64 dimStride = x->strides[dim];
  for (i64 flat = 0; flat < total; flat++) {
    i32 i = ((const i32*)index->base)[at];
    const u8* src = x->base + (from + i * dimStride) * size;
    if (size == 4) ((u32*)out)[flat] = *(const u32*)src;
    else out[flat] = *src;
    for (int d = ndim - 1; d >= 0; d--) {
      counter[d]++;
      at += index->strides[d];
      if (d != dim) from += x->strides[d];
      if (counter[d] < index->shape[d]) break;
      at -= (i64)index->strides[d] * index->shape[d];
      if (d != dim) from -= (i64)x->strides[d] * index->shape[d];
      counter[d] = 0;
    }
  }
  return OK;
}

// out[…index[…i…]…] += src[…i…]; out is contiguous and holds the base values.
EXPORT(fathom_scatter_add) int fathom_scatter_add(const i32* ints, const double* floats) {
  ScatterAddArguments args;
  read_scatter_add_arguments(ints, floats, &args);
  u8* out = args.out;
  int dtype = args.dtype;
  int outDims = args.outShapeCount;
  const i32* outShape = args.outShape;
  int outStrides[MAX_DIMS];
  for (int d = outDims - 1, stride = 1; d >= 0; d--) {
    outStrides[d] = stride;
    stride *= outShape[d];
  }
  int dim = args.dim;
  const View* index = &args.index;
  const View* src = &args.src;
  int ndim = index->ndim;
  i64 total = 1;
  for (int d = 0; d < ndim; d++) total *= index->shape[d];
  if (total == 0) return OK;
  int counter[MAX_DIMS] = {0};
  i64 at = 0, from = 0, to = 0;  // offsets in index, src and out (out without dim)
  i64 dimStride = outStrides[dim];
  for (i64 flat = 0; flat < total; flat++) {
    i32 i = ((const i32*)index->base)[at];
    i64 target = to + i * dimStride;
    if (dtype == DT_F32) ((float*)out)[target] += ((const float*)src->base)[from];
    else if (dtype == DT_I32) ((i32*)out)[target] = (i32)((u32)((i32*)out)[target] + (u32)((const i32*)src->base)[from]);
    else out[target] = (u8)(out[target] + src->base[from]);
    for (int d = ndim - 1; d >= 0; d--) {
      counter[d]++;
      at += index->strides[d];
      from += src->strides[d];
      if (d != dim) to += outStrides[d];
      if (counter[d] < index->shape[d]) break;
      at -= (i64)index->strides[d] * index->shape[d];
      from -= (i64)src->strides[d] * index->shape[d];
      if (d != dim) to -= (i64)outStrides[d] * index->shape[d];
      counter[d] = 0;
    }
  }
  return OK;
}
