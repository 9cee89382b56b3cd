// Strided views and the row walk every elementwise kernel uses.
#include "fathom.h"

void read_view(Params* p, View* v) {
  v->base = (u8*)(uintptr_t)next_address(p);
  v->ndim = next_int(p);
  for (int d = 0; d < v->ndim; d++) v->shape[d] = next_int(p);
  for (int d = 0; d < v->ndim; d++) v->strides[d] = next_int(p);
}

i64 walk_init(Walk* w, int ndim, const int* shape, int operands, const int* const* strides, const int* sizes) {
  w->operands = operands;
  w->ndim = 0;
  i64 total = 1;
  for (int d = 0; d < ndim; d++) total *= shape[d];
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    int last = w->ndim - 1;
    int mergeable = last >= 0;
    for (int k = 0; k < operands && mergeable; k++) {
      mergeable = w->strides[k][last] == strides[k][d] * sizes[k] * shape[d];
    }
    if (mergeable) {
      w->shape[last] *= shape[d];
      for (int k = 0; k < operands; k++) w->strides[k][last] = strides[k][d] * sizes[k];
    } else {
      w->shape[w->ndim] = shape[d];
      for (int k = 0; k < operands; k++) w->strides[k][w->ndim] = strides[k][d] * sizes[k];
      w->ndim++;
    }
  }
  if (w->ndim == 0) {
    w->shape[0] = 1;
    for (int k = 0; k < operands; k++) w->strides[k][0] = 0;
    w->ndim = 1;
  }
  return total;
}

void walk_rows(const Walk* w, u8* const* bases, RowFn row, void* ctx) {
  int ndim = w->ndim, ops = w->operands;
  i64 total = 1;
  for (int d = 0; d < ndim; d++) total *= w->shape[d];
  if (total == 0) return;
  int length = w->shape[ndim - 1];
  int inner[MAX_OPERANDS];
  u8* ptrs[MAX_OPERANDS];
  int counter[MAX_DIMS];
  for (int k = 0; k < ops; k++) {
    inner[k] = w->strides[k][ndim - 1];
    ptrs[k] = bases[k];
  }
  for (int d = 0; d < ndim; d++) counter[d] = 0;
  i64 rows = total / length;
  for (i64 r = 0; r < rows; r++) {
    row(ctx, ptrs, length, inner);
    for (int d = ndim - 2; d >= 0; d--) {
      counter[d]++;
      for (int k = 0; k < ops; k++) ptrs[k] += w->strides[k][d];
      if (counter[d] < w->shape[d]) break;
      for (int k = 0; k < ops; k++) ptrs[k] -= w->strides[k][d] * w->shape[d];
      counter[d] = 0;
    }
  }
}
