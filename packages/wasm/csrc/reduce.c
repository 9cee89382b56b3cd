// Reductions. Every output accumulates in a double (as the CPU reference
// does), in a scratch array laid out like the output: the input is walked in
// its own memory order with the accumulator as a second operand whose
// strides are 0 along the reduced dims, so summing over the last dim and over
// the first (a bias gradient) both stream through memory.
#include "fathom.h"

typedef struct { int op, dtype, length; } ReduceCtx;  // length: of each short row (reduce_short_rows)

INLINE double accumulate(int op, double acc, double v) {
  switch (op) {
    case R_SUM: return acc + v;
    case R_PROD: return acc * v;
    case R_MAX: return (v > acc || v != v) ? v : acc;
    case R_MIN: return (v < acc || v != v) ? v : acc;
    case R_ALL: return (acc != 0 && v != 0) ? 1 : 0;
    default: return (acc != 0 || v != 0) ? 1 : 0;
  }
}

// Σ of n contiguous floats in doubles, two lanes at a time.
static double sum_f32(const float* x, int n) {
  v128_t s0 = wasm_f64x2_splat(0), s1 = wasm_f64x2_splat(0);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    s0 = wasm_f64x2_add(s0, wasm_f64x2_promote_low_f32x4(v));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
  }
  v128_t s = wasm_f64x2_add(s0, s1);
  double total = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
  for (; i < n; i++) total += x[i];
  return total;
}

static void reduce_row(void* c, u8* const* p, int n, const int* s) {
  const ReduceCtx* ctx = (const ReduceCtx*)c;
  const u8* x = p[0];
  double* acc = (double*)p[1];
  int sx = s[0], sa = s[1];
  int op = ctx->op, dtype = ctx->dtype;
  if (sa == 0) {
    double a = *acc;
    if (op == R_SUM && dtype == DT_F32 && sx == 4) {
      a += sum_f32((const float*)x, n);
    } else if (op == R_SUM) {
      for (int i = 0; i < n; i++, x += sx) a += load_as_double(x, dtype);
    } else {
      for (int i = 0; i < n; i++, x += sx) a = accumulate(op, a, load_as_double(x, dtype));
    }
    *acc = a;
    return;
  }
  int step = sa / 8;
  if (op == R_SUM && dtype == DT_F32) {
    for (int i = 0; i < n; i++, x += sx) acc[i * step] += *(const float*)x;
  } else {
    for (int i = 0; i < n; i++, x += sx) acc[i * step] = accumulate(op, acc[i * step], load_as_double(x, dtype));
  }
}

// n short rows of ctx->length contiguous floats, each summed into its
// accumulator as reduce_row sums one (the same bits), without a walk step
// and a row call per row: a BatchNorm's per-channel sums over 2×2 planes.
static void reduce_short_rows(void* c, u8* const* p, int n, const int* s) {
  const ReduceCtx* ctx = (const ReduceCtx*)c;
  const u8* x = p[0];
  u8* acc = p[1];
  for (int i = 0; i < n; i++, x += s[0], acc += s[1]) *(double*)acc += sum_f32((const float*)x, ctx->length);
}

// The input's dims in memory order, with the accumulator's strides.
typedef struct {
  ReduceCtx ctx;
  int ndim, xSize, split, per;  // split: the dim threads divide (−1: none), per: its indices per task
  int shape[MAX_DIMS], xs[MAX_DIMS], as[MAX_DIMS];
  const u8* x;
  double* acc;
} ReduceJob;

// Reduces indices first…first+count−1 of the split dim (all of it when there is none).
static void reduce_part(const ReduceJob* j, int first, int count) {
  int shape[MAX_DIMS];
  for (int i = 0; i < j->ndim; i++) shape[i] = j->shape[i];
  u8* bases[2] = {(u8*)j->x, (u8*)j->acc};
  if (j->split >= 0) {
    shape[j->split] = count;
    bases[0] += (i64)first * j->xs[j->split] * j->xSize;
    bases[1] += (i64)first * j->as[j->split] * 8;
  }
  const int* strides[2] = {j->xs, j->as};
  int sizes[2] = {j->xSize, 8};
  Walk w;
  walk_init(&w, j->ndim, shape, 2, strides, sizes);
  int last = w.ndim - 1;
  if (last >= 1 && w.shape[last] < SHORT_ROW && w.strides[0][last] == 4 && w.strides[1][last] == 0 &&
      j->ctx.op == R_SUM && j->ctx.dtype == DT_F32) {
    // Rows summed whole: the walk hands over runs of rows instead.
    ReduceCtx rows = j->ctx;
    rows.length = w.shape[last];
    w.ndim = last;
    walk_rows(&w, bases, reduce_short_rows, &rows);
    return;
  }
  walk_rows(&w, bases, reduce_row, (void*)&j->ctx);
}

static void reduce_task(void* args, int task, int thread) {
  const ReduceJob* j = (const ReduceJob*)args;
  int first = task * j->per;
  int count = first + j->per < j->shape[j->split] ? j->per : j->shape[j->split] - first;
  reduce_part(j, first, count);
}

EXPORT(fathom_reduce) int fathom_reduce(const i32* ints, const double* floats) {
  ReduceArguments args;
  read_reduce_arguments(ints, floats, &args);
  ReduceCtx ctx;
  ctx.op = args.op;
  ctx.length = 0;
  const View* x = &args.x;
  ctx.dtype = args.xType;
  int reduced[MAX_DIMS] = {0};
  for (int k = 0; k < args.dimsCount; k++) reduced[args.dims[k]] = 1;
  u8* out = args.out;
  int outType = args.outType;

  // Accumulator strides: contiguous over the kept dims, 0 over the reduced ones.
  int accStrides[MAX_DIMS];
  i64 outputs = 1;
  for (int d = x->ndim - 1; d >= 0; d--) {
    if (reduced[d]) { accStrides[d] = 0; continue; }
    accStrides[d] = (int)outputs;
    outputs *= x->shape[d];
  }
  if (outputs == 0) return OK;
  double* acc = (double*)fathom_scratch((u32)(outputs * 8));
  double identity = ctx.op == R_PROD || ctx.op == R_ALL ? 1 : ctx.op == R_MAX ? -__builtin_inf() : ctx.op == R_MIN ? __builtin_inf() : 0;
  for (i64 j = 0; j < outputs; j++) acc[j] = identity;

  // Walk the input in its memory order: dims sorted by stride, largest first.
  int order[MAX_DIMS];
  for (int d = 0; d < x->ndim; d++) order[d] = d;
  for (int i = 1; i < x->ndim; i++) {
    int d = order[i], j = i;
    int key = x->strides[d] < 0 ? -x->strides[d] : x->strides[d];
    while (j > 0) {
      int prev = order[j - 1];
      int prevKey = x->strides[prev] < 0 ? -x->strides[prev] : x->strides[prev];
      if (prevKey >= key) break;
      order[j] = prev;
      j--;
    }
    order[j] = d;
  }
  ReduceJob j;
  j.ctx = ctx;
  j.ndim = x->ndim;
  for (int i = 0; i < x->ndim; i++) {
    j.shape[i] = x->shape[order[i]];
    j.xs[i] = x->strides[order[i]];
    j.as[i] = accStrides[order[i]];
  }
  j.xSize = dtype_size(ctx.dtype);
  j.x = x->base;
  j.acc = acc;
  // Threads split the outermost kept dim in walk order: each output is still
  // summed by one thread in the same order, so the bits do not change.
  i64 total = 1;
  for (int i = 0; i < x->ndim; i++) total *= x->shape[i];
  j.split = -1;
  for (int i = 0; i < x->ndim && j.split < 0; i++) {
    if (j.as[i] != 0 && j.shape[i] > 1) j.split = i;
  }
  i64 tasks = j.split < 0 ? 1 : task_count(total, PARALLEL_ELEMENTS);
  if (j.split >= 0 && tasks > j.shape[j.split]) tasks = j.shape[j.split];
  if (tasks <= 1) {
    reduce_part(&j, 0, j.split < 0 ? 1 : j.shape[j.split]);
  } else {
    j.per = (j.shape[j.split] + (int)tasks - 1) / (int)tasks;
    parallel_for(reduce_task, &j, (j.shape[j.split] + j.per - 1) / j.per);
  }

  int size = dtype_size(outType);
  for (i64 j = 0; j < outputs; j++) {
    double v = acc[j];
    if (outType == DT_BOOL) out[j] = v != 0;
    else store_double(out + j * size, outType, v);
  }
  return OK;
}

// The first index of the extreme along dim; a NaN counts as the extreme (the
// first NaN wins).
EXPORT(fathom_arg_reduce) int fathom_arg_reduce(const i32* ints, const double* floats) {
  ArgReduceArguments args;
  read_arg_reduce_arguments(ints, floats, &args);
  int op = args.op;
  const View* x = &args.x;
  int dtype = args.xType;
  int dim = args.dim;
  i32* out = (i32*)args.out;
  int esize = dtype_size(dtype);
  int size = x->shape[dim];
  int stride = x->strides[dim] * esize;
  // Kept dims, in order, for an odometer over the outputs.
  int shape[MAX_DIMS], strides[MAX_DIMS], kept = 0;
  i64 outputs = 1;
  for (int d = 0; d < x->ndim; d++) {
    if (d == dim) continue;
    shape[kept] = x->shape[d];
    strides[kept] = x->strides[d] * esize;
    outputs *= x->shape[d];
    kept++;
  }
  int counter[MAX_DIMS] = {0};
  const u8* base = x->base;
  for (i64 j = 0; j < outputs; j++) {
    const u8* at = base;
    double best = load_as_double(at, dtype);
    int index = 0;
    for (int k = 1; k < size && best == best; k++) {
      at += stride;
      double v = load_as_double(at, dtype);
      if (v != v || (op == A_ARGMAX ? v > best : v < best)) {
        best = v;
        index = k;
      }
    }
    out[j] = index;
    for (int d = kept - 1; d >= 0; d--) {
      counter[d]++;
      base += strides[d];
      if (counter[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      counter[d] = 0;
    }
  }
  return OK;
}
