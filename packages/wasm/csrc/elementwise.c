// Elementwise kernels: fill, copy (with dtype conversion), unary, binary and
// where, over strided views. Each walks its operands row by row (strided.c);
// a float32 row with unit or zero strides runs 4 lanes at a time, and any
// other float32 row is gathered into a small contiguous block first, so every
// op has one implementation and the same bits whatever the layout.
#include "fathom.h"
#include "math.h"

#define BLOCK 256

// ---------------------------------------------------------------------------
// fill

EXPORT(fathom_fill) int fathom_fill(const i32* ints, const double* floats) {
  FillArguments args;
  read_fill_arguments(ints, floats, &args);
  u8* out = args.out;
  int dtype = args.dtype, length = args.length;
  double value = args.value;
  if (dtype == DT_BOOL) {
    memset(out, value != 0 ? 1 : 0, (size_t)length);
  } else if (dtype == DT_F32) {
    float v = (float)value;
    float* y = (float*)out;
    int i = 0;
    v128_t vv = wasm_f32x4_splat(v);
    for (; i + 4 <= length; i += 4) wasm_v128_store(y + i, vv);
    for (; i < length; i++) y[i] = v;
  } else {
    i32 v = to_int32(value);
    i32* y = (i32*)out;
    for (int i = 0; i < length; i++) y[i] = v;
  }
  return OK;
}

// ---------------------------------------------------------------------------
// copy

typedef struct { int from, to; } CopyCtx;

static void copy_row(void* c, u8* const* p, int n, const int* s) {
  const CopyCtx* ctx = (const CopyCtx*)c;
  const u8* x = p[0];
  u8* y = p[1];
  int sx = s[0], sy = s[1];
  int from = ctx->from, to = ctx->to;
  if (from == to) {
    int size = dtype_size(from);
    if (sx == size && sy == size) { memcpy(y, x, (size_t)n * size); return; }
    if (size == 4) for (int i = 0; i < n; i++, x += sx, y += sy) *(u32*)y = *(const u32*)x;
    else for (int i = 0; i < n; i++, x += sx, y += sy) *y = *x;
    return;
  }
  if (to == DT_BOOL) {
    if (from == DT_F32) for (int i = 0; i < n; i++, x += sx, y += sy) *y = *(const float*)x != 0;
    else for (int i = 0; i < n; i++, x += sx, y += sy) *y = *(const i32*)x != 0;
  } else if (to == DT_F32) {
    if (from == DT_I32) for (int i = 0; i < n; i++, x += sx, y += sy) *(float*)y = (float)*(const i32*)x;
    else for (int i = 0; i < n; i++, x += sx, y += sy) *(float*)y = (float)*x;
  } else {
    if (from == DT_F32) for (int i = 0; i < n; i++, x += sx, y += sy) *(i32*)y = to_int32(*(const float*)x);
    else for (int i = 0; i < n; i++, x += sx, y += sy) *(i32*)y = *x;
  }
}

// The two views share a shape.
EXPORT(fathom_copy) int fathom_copy(const i32* ints, const double* floats) {
  CopyArguments args;
  read_copy_arguments(ints, floats, &args);
  const View* src = &args.src;
  const View* dst = &args.dst;
  CopyCtx ctx;
  ctx.from = args.srcType;
  ctx.to = args.dstType;
  const int* strides[2] = {src->strides, dst->strides};
  int sizes[2] = {dtype_size(ctx.from), dtype_size(ctx.to)};
  Walk w;
  walk_init(&w, src->ndim, src->shape, 2, strides, sizes);
  u8* bases[2] = {src->base, dst->base};
  walk_elementwise(&w, bases, copy_row, &ctx);
  return OK;
}

// ---------------------------------------------------------------------------
// unary

typedef struct { int op; float alpha, min, max; int status; } UnaryCtx;

// Runs VEC (an expression of v) over n contiguous floats; the tail goes
// through a zero-padded vector so it gets the same bits as the body.
#define MAP_VEC(VEC)                                                   \
  {                                                                    \
    int i = 0;                                                         \
    for (; i + 4 <= n; i += 4) {                                       \
      v128_t v = wasm_v128_load(x + i);                                \
      wasm_v128_store(y + i, (VEC));                                   \
    }                                                                  \
    if (i < n) {                                                       \
      float tail[4] = {0, 0, 0, 0};                                    \
      for (int j = 0; i + j < n; j++) tail[j] = x[i + j];              \
      v128_t v = wasm_v128_load(tail);                                 \
      wasm_v128_store(tail, (VEC));                                    \
      for (int j = 0; i + j < n; j++) y[i + j] = tail[j];              \
    }                                                                  \
  }                                                                    \
  break;

// Evaluates EXPR (of the double d) per element and rounds once to float32.
#define MAP_DOUBLE(EXPR)                                               \
  for (int i = 0; i < n; i++) {                                        \
    double d = x[i];                                                   \
    y[i] = (float)(EXPR);                                              \
  }                                                                    \
  break;

static double softplus_d(double d) { return (d > 0 ? d : 0) + log1p_d(exp_d(-__builtin_fabs(d))); }

static void unary_f32_block(UnaryCtx* ctx, const float* x, float* y, int n) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  const v128_t alpha = wasm_f32x4_splat(ctx->alpha);
  const v128_t low = wasm_f32x4_splat(ctx->min), high = wasm_f32x4_splat(ctx->max);
  switch (ctx->op) {
    case U_NEG: MAP_VEC(wasm_f32x4_neg(v))
    case U_ABS: MAP_VEC(wasm_f32x4_abs(v))
    case U_SIGN: MAP_VEC(wasm_v128_bitselect(v,
        wasm_v128_bitselect(one, wasm_v128_bitselect(wasm_f32x4_neg(one), zero, wasm_f32x4_lt(v, zero)), wasm_f32x4_gt(v, zero)),
        wasm_f32x4_ne(v, v)))
    case U_EXP: MAP_VEC(exp4(v))
    case U_EXPM1: MAP_DOUBLE(expm1_d(d))
    case U_LOG: MAP_DOUBLE(log_d(d))
    case U_LOG1P: MAP_DOUBLE(log1p_d(d))
    case U_SQRT: MAP_VEC(wasm_f32x4_sqrt(v))
    case U_RSQRT: MAP_VEC(wasm_f32x4_div(one, wasm_f32x4_sqrt(v)))
    case U_RECIPROCAL: MAP_VEC(wasm_f32x4_div(one, v))
    case U_SQUARE: MAP_VEC(wasm_f32x4_mul(v, v))
    case U_SIN: MAP_DOUBLE(sin_d(d))
    case U_COS: MAP_DOUBLE(cos_d(d))
    case U_TANH: MAP_VEC(tanh4(v))
    case U_SIGMOID: MAP_VEC(sigmoid4(v))
    case U_RELU: MAP_VEC(wasm_f32x4_pmax(v, zero))
    case U_GELU: MAP_VEC(gelu4(v))
    case U_SOFTPLUS: MAP_DOUBLE(softplus_d(d))
    case U_SILU: MAP_VEC(wasm_f32x4_mul(v, sigmoid4(v)))
    case U_ERF: MAP_VEC(erf4(v))
    case U_FLOOR: MAP_VEC(wasm_f32x4_floor(v))
    case U_CEIL: MAP_VEC(wasm_f32x4_ceil(v))
    case U_ROUND: MAP_VEC(wasm_f32x4_nearest(v))
    case U_LEAKY_RELU: MAP_VEC(wasm_v128_bitselect(v, wasm_f32x4_mul(alpha, v), wasm_f32x4_gt(v, zero)))
    case U_ELU: MAP_DOUBLE(d > 0 ? d : ctx->alpha * expm1_d(d))
    case U_CLAMP: MAP_VEC(wasm_f32x4_pmin(wasm_f32x4_pmax(v, low), high))
    default: ctx->status = ERR_OP;
  }
}

// As binary_f32_row: a strided x is gathered into a block, a strided output written from one.
static void unary_f32_row(void* c, u8* const* p, int n, const int* s) {
  UnaryCtx* ctx = (UnaryCtx*)c;
  int sx = s[0], sy = s[1];
  if (sx == 4 && sy == 4) {
    unary_f32_block(ctx, (const float*)p[0], (float*)p[1], n);
    return;
  }
  float xs[BLOCK], ys[BLOCK];
  for (int start = 0; start < n; start += BLOCK) {
    int m = n - start < BLOCK ? n - start : BLOCK;
    const u8* x = p[0] + (i64)start * sx;
    if (sx != 4) for (int i = 0; i < m; i++) xs[i] = *(const float*)(x + (i64)i * sx);
    float* y = sy == 4 ? (float*)(p[1] + (i64)start * 4) : ys;
    unary_f32_block(ctx, sx == 4 ? (const float*)x : xs, y, m);
    if (sy != 4) {
      u8* out = p[1] + (i64)start * sy;
      for (int i = 0; i < m; i++) *(float*)(out + (i64)i * sy) = ys[i];
    }
  }
}

static double clamp_d(double v, double low, double high) {
  double l = v < low ? low : v;
  return l > high ? high : l;
}

static void unary_i32_row(void* c, u8* const* p, int n, const int* s) {
  UnaryCtx* ctx = (UnaryCtx*)c;
  const u8* x = p[0];
  u8* y = p[1];
  int sx = s[0], sy = s[1];
  double low = ctx->min, high = ctx->max;
#define I32_LOOP(EXPR) for (int i = 0; i < n; i++, x += sx, y += sy) { i32 v = *(const i32*)x; *(i32*)y = (EXPR); } break;
  switch (ctx->op) {
    case U_NEG: I32_LOOP((i32)(0u - (u32)v))
    case U_ABS: I32_LOOP(v < 0 ? (i32)(0u - (u32)v) : v)
    case U_SIGN: I32_LOOP(v > 0 ? 1 : v < 0 ? -1 : 0)
    case U_SQUARE: I32_LOOP(to_int32((double)v * v))
    case U_RELU: I32_LOOP(v > 0 ? v : 0)
    case U_FLOOR: case U_CEIL: case U_ROUND: I32_LOOP(v)
    case U_CLAMP: I32_LOOP(to_int32(clamp_d(v, low, high)))
    default: ctx->status = ERR_DTYPE;
  }
#undef I32_LOOP
}

static void logical_not_row(void* c, u8* const* p, int n, const int* s) {
  int dtype = ((UnaryCtx*)c)->status;  // the input dtype rides in status until the walk ends
  const u8* x = p[0];
  u8* y = p[1];
  int sx = s[0], sy = s[1];
  if (dtype == DT_F32) for (int i = 0; i < n; i++, x += sx, y += sy) *y = *(const float*)x == 0;
  else if (dtype == DT_I32) for (int i = 0; i < n; i++, x += sx, y += sy) *y = *(const i32*)x == 0;
  else for (int i = 0; i < n; i++, x += sx, y += sy) *y = *x == 0;
}

EXPORT(fathom_unary) int fathom_unary(const i32* ints, const double* floats) {
  UnaryArguments args;
  read_unary_arguments(ints, floats, &args);
  UnaryCtx ctx;
  ctx.op = args.op;
  const View* x = &args.x;
  int in = args.xType;
  u8* out = args.out;
  int outType = args.outType;
  ctx.alpha = (float)args.alpha;
  ctx.min = (float)args.min;
  ctx.max = (float)args.max;
  ctx.status = OK;
  // out is contiguous with x's shape.
  int outStrides[MAX_DIMS];
  for (int d = x->ndim - 1, stride = 1; d >= 0; d--) {
    outStrides[d] = stride;
    stride *= x->shape[d];
  }
  const int* strides[2] = {x->strides, outStrides};
  int sizes[2] = {dtype_size(in), dtype_size(outType)};
  Walk w;
  walk_init(&w, x->ndim, x->shape, 2, strides, sizes);
  u8* bases[2] = {x->base, out};
  if (ctx.op == U_LOGICAL_NOT) {
    if (outType != DT_BOOL) return ERR_DTYPE;
    ctx.status = in;
    walk_elementwise(&w, bases, logical_not_row, &ctx);
    return OK;
  }
  if (in != outType) return ERR_DTYPE;
  if (in == DT_F32) {
    walk_elementwise(&w, bases, unary_f32_row, &ctx);
  } else if (in == DT_I32) {
    walk_elementwise(&w, bases, unary_i32_row, &ctx);
  } else {
    return ERR_DTYPE;
  }
  return ctx.status;
}

// ---------------------------------------------------------------------------
// binary

typedef struct {
  int op, compute, result, status;
  float alpha;  // add and sub of floats: a ± alpha·b
} BinaryCtx;

// n outputs from a and b, each either contiguous or (stride 0) one repeated value.
static void binary_f32_block(BinaryCtx* ctx, const float* a, int aRepeat, const float* b, int bRepeat, float* y, int n) {
  int i = 0;
#define LOAD_A (aRepeat ? wasm_f32x4_splat(a[0]) : wasm_v128_load(a + i))
#define LOAD_B (bRepeat ? wasm_f32x4_splat(b[0]) : wasm_v128_load(b + i))
#define AT_A (aRepeat ? a[0] : a[i])
#define AT_B (bRepeat ? b[0] : b[i])
#define VEC_LOOP(VEC, SCALAR)                                        \
  for (; i + 4 <= n; i += 4) {                                       \
    v128_t va = LOAD_A, vb = LOAD_B;                                 \
    wasm_v128_store(y + i, (VEC));                                   \
  }                                                                  \
  for (; i < n; i++) {                                               \
    float sa = AT_A, sb = AT_B;                                      \
    y[i] = (SCALAR);                                                 \
  }                                                                  \
  break;
  enum { SCALED_ADD = -1, SCALED_SUB = -2 };  // add and sub with alpha ≠ 1
  float alpha = ctx->alpha;
  v128_t scale = wasm_f32x4_splat(alpha);
  int op = ctx->op;
  if (alpha != 1 && op == B_ADD) op = SCALED_ADD;
  if (alpha != 1 && op == B_SUB) op = SCALED_SUB;
  switch (op) {
    case B_ADD: VEC_LOOP(wasm_f32x4_add(va, vb), sa + sb)
    case B_SUB: VEC_LOOP(wasm_f32x4_sub(va, vb), sa - sb)
    // The product rounded to float32 before the sum (no fused multiply-add), as core documents.
    case SCALED_ADD: VEC_LOOP(wasm_f32x4_add(va, wasm_f32x4_mul(scale, vb)), sa + alpha * sb)
    case SCALED_SUB: VEC_LOOP(wasm_f32x4_sub(va, wasm_f32x4_mul(scale, vb)), sa - alpha * sb)
    case B_MUL: VEC_LOOP(wasm_f32x4_mul(va, vb), sa * sb)
    case B_DIV: VEC_LOOP(wasm_f32x4_div(va, vb), sa / sb)
    case B_MAXIMUM: VEC_LOOP(wasm_v128_bitselect(va, vb, wasm_v128_or(wasm_f32x4_gt(va, vb), wasm_f32x4_ne(va, va))),
                             (sa > sb || sa != sa) ? sa : sb)
    case B_MINIMUM: VEC_LOOP(wasm_v128_bitselect(va, vb, wasm_v128_or(wasm_f32x4_lt(va, vb), wasm_f32x4_ne(va, va))),
                             (sa < sb || sa != sa) ? sa : sb)
    // A NaN output compares false: no gradient, as where(output > 0, grad, 0) gives.
    case B_RELU_BACKWARD: VEC_LOOP(wasm_v128_and(va, wasm_f32x4_gt(vb, wasm_f32x4_splat(0))), sb > 0 ? sa : 0)
    case B_POW:
      for (; i < n; i++) y[i] = (float)pow_d(AT_A, AT_B);
      break;
    default: ctx->status = ERR_OP;
  }
#undef VEC_LOOP
#undef LOAD_A
#undef LOAD_B
#undef AT_A
#undef AT_B
}

// An operand that is neither contiguous nor repeated is gathered into a
// block first, and a strided output written from one; the rest are read and
// written in place.
static void binary_f32_row(void* c, u8* const* p, int n, const int* s) {
  BinaryCtx* ctx = (BinaryCtx*)c;
  int sa = s[0], sb = s[1], sy = s[2];
  int aDirect = sa == 4 || sa == 0, bDirect = sb == 4 || sb == 0;
  if (aDirect && bDirect && sy == 4) {
    binary_f32_block(ctx, (const float*)p[0], sa == 0, (const float*)p[1], sb == 0, (float*)p[2], n);
    return;
  }
  float as[BLOCK], bs[BLOCK], ys[BLOCK];
  for (int start = 0; start < n; start += BLOCK) {
    int m = n - start < BLOCK ? n - start : BLOCK;
    const u8* a = p[0] + (i64)start * sa;
    const u8* b = p[1] + (i64)start * sb;
    if (!aDirect) for (int i = 0; i < m; i++) as[i] = *(const float*)(a + (i64)i * sa);
    if (!bDirect) for (int i = 0; i < m; i++) bs[i] = *(const float*)(b + (i64)i * sb);
    float* y = sy == 4 ? (float*)(p[2] + (i64)start * 4) : ys;
    binary_f32_block(ctx, aDirect ? (const float*)a : as, sa == 0, bDirect ? (const float*)b : bs, sb == 0, y, m);
    if (sy != 4) {
      u8* out = p[2] + (i64)start * sy;
      for (int i = 0; i < m; i++) *(float*)(out + (i64)i * sy) = ys[i];
    }
  }
}

// Comparisons and logical ops of any compute dtype, writing bool.
#define COMPARE_LOOP(T, EXPR)                                                    \
  for (int i = 0; i < n; i++, a += sa, b += sb, y += sy) {                       \
    T x = *(const T*)a, z = *(const T*)b;                                        \
    *y = (EXPR);                                                                 \
  }                                                                              \
  break;
#define COMPARE_SWITCH(T)                                                        \
  switch (ctx->op) {                                                             \
    case B_EQ: COMPARE_LOOP(T, x == z)                                           \
    case B_NE: COMPARE_LOOP(T, x != z)                                           \
    case B_LT: COMPARE_LOOP(T, x < z)                                            \
    case B_LE: COMPARE_LOOP(T, x <= z)                                           \
    case B_GT: COMPARE_LOOP(T, x > z)                                            \
    case B_GE: COMPARE_LOOP(T, x >= z)                                           \
    case B_LOGICAL_AND: COMPARE_LOOP(T, (x != 0) & (z != 0))                             \
    case B_LOGICAL_OR: COMPARE_LOOP(T, (x != 0) | (z != 0))                              \
    case B_LOGICAL_XOR: COMPARE_LOOP(T, (x != 0) ^ (z != 0))                             \
    case B_MAXIMUM: COMPARE_LOOP(T, x > z ? x : z)                               \
    case B_MINIMUM: COMPARE_LOOP(T, x < z ? x : z)                               \
    default: ctx->status = ERR_OP;                                               \
  }

// Four lanes' masks (all ones or zero) per vector, sixteen lanes narrowed to
// the bools 1 and 0.
INLINE v128_t mask_bytes(v128_t m0, v128_t m1, v128_t m2, v128_t m3) {
  v128_t bytes = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(m0, m1), wasm_i16x8_narrow_i32x4(m2, m3));
  return wasm_v128_and(bytes, wasm_i8x16_splat(1));
}

// A float32 comparison of a and b (each contiguous or, stride 0, one repeated
// value) into contiguous bools, sixteen at a time; lanes compare as the
// scalar operators do, NaN included.
static void compare_f32_block(int op, const float* a, int aRepeat, const float* b, int bRepeat, u8* y, int n) {
  int i = 0;
#define LOAD_A(k) (aRepeat ? wasm_v128_load32_splat(a) : wasm_v128_load(a + i + 4 * (k)))
#define LOAD_B(k) (bRepeat ? wasm_v128_load32_splat(b) : wasm_v128_load(b + i + 4 * (k)))
#define VEC_LOOP(CMP, SCALAR)                                                              \
  for (; i + 16 <= n; i += 16) {                                                           \
    wasm_v128_store(y + i, mask_bytes(CMP(LOAD_A(0), LOAD_B(0)), CMP(LOAD_A(1), LOAD_B(1)), \
                                      CMP(LOAD_A(2), LOAD_B(2)), CMP(LOAD_A(3), LOAD_B(3)))); \
  }                                                                                        \
  for (; i < n; i++) {                                                                     \
    float x = aRepeat ? a[0] : a[i], z = bRepeat ? b[0] : b[i];                            \
    y[i] = (SCALAR);                                                                       \
  }                                                                                        \
  break;
  switch (op) {
    case B_EQ: VEC_LOOP(wasm_f32x4_eq, x == z)
    case B_NE: VEC_LOOP(wasm_f32x4_ne, x != z)
    case B_LT: VEC_LOOP(wasm_f32x4_lt, x < z)
    case B_LE: VEC_LOOP(wasm_f32x4_le, x <= z)
    case B_GT: VEC_LOOP(wasm_f32x4_gt, x > z)
    case B_GE: VEC_LOOP(wasm_f32x4_ge, x >= z)
  }
#undef VEC_LOOP
#undef LOAD_A
#undef LOAD_B
}

static void compare_row(void* c, u8* const* p, int n, const int* s) {
  BinaryCtx* ctx = (BinaryCtx*)c;
  const u8* a = p[0];
  const u8* b = p[1];
  u8* y = p[2];
  int sa = s[0], sb = s[1], sy = s[2];
  if (ctx->compute == DT_F32 && ctx->op >= B_EQ && ctx->op <= B_GE && (sa == 4 || sa == 0) && (sb == 4 || sb == 0) && sy == 1) {
    compare_f32_block(ctx->op, (const float*)a, sa == 0, (const float*)b, sb == 0, y, n);
    return;
  }
  if (ctx->compute == DT_F32) { COMPARE_SWITCH(float) }
  else if (ctx->compute == DT_I32) { COMPARE_SWITCH(i32) }
  else { COMPARE_SWITCH(u8) }
}

static void binary_i32_row(void* c, u8* const* p, int n, const int* s) {
  BinaryCtx* ctx = (BinaryCtx*)c;
  const u8* a = p[0];
  const u8* b = p[1];
  u8* y = p[2];
  int sa = s[0], sb = s[1], sy = s[2];
#define I32_LOOP(EXPR)                                                           \
  for (int i = 0; i < n; i++, a += sa, b += sb, y += sy) {                       \
    i32 x = *(const i32*)a, z = *(const i32*)b;                                  \
    *(i32*)y = (EXPR);                                                           \
  }                                                                              \
  break;
  switch (ctx->op) {
    case B_ADD: I32_LOOP((i32)((u32)x + (u32)z))
    case B_SUB: I32_LOOP((i32)((u32)x - (u32)z))
    case B_MUL: I32_LOOP(to_int32((double)x * z))
    case B_DIV: I32_LOOP(to_int32((double)x / z))
    case B_POW: I32_LOOP(to_int32(pow_d(x, z)))
    case B_MAXIMUM: I32_LOOP(x > z ? x : z)
    case B_MINIMUM: I32_LOOP(x < z ? x : z)
    case B_RELU_BACKWARD: I32_LOOP(z > 0 ? x : 0)
    default: ctx->status = ERR_OP;
  }
#undef I32_LOOP
}

// a and b are broadcast to out's shape.
EXPORT(fathom_binary) int fathom_binary(const i32* ints, const double* floats) {
  BinaryArguments args;
  read_binary_arguments(ints, floats, &args);
  BinaryCtx ctx;
  ctx.op = args.op;
  const View* a = &args.a;
  const View* b = &args.b;
  ctx.compute = args.computeType;
  u8* out = args.out;
  ctx.result = args.outType;
  ctx.status = OK;
  ctx.alpha = (float)args.alpha;
  int outStrides[MAX_DIMS];
  for (int d = a->ndim - 1, stride = 1; d >= 0; d--) {
    outStrides[d] = stride;
    stride *= a->shape[d];
  }
  const int* strides[3] = {a->strides, b->strides, outStrides};
  int size = dtype_size(ctx.compute);
  int sizes[3] = {size, size, dtype_size(ctx.result)};
  Walk w;
  walk_init(&w, a->ndim, a->shape, 3, strides, sizes);
  u8* bases[3] = {a->base, b->base, out};
  int logical = ctx.op >= B_EQ && ctx.op <= B_LOGICAL_XOR;
  if (logical || ctx.compute == DT_BOOL) {
    if (ctx.result != (logical ? DT_BOOL : ctx.compute)) return ERR_DTYPE;
    walk_elementwise(&w, bases, compare_row, &ctx);
  } else if (ctx.result != ctx.compute) {
    return ERR_DTYPE;
  } else if (ctx.compute == DT_F32) {
    walk_elementwise(&w, bases, binary_f32_row, &ctx);
  } else {
    walk_elementwise(&w, bases, binary_i32_row, &ctx);
  }
  return ctx.status;
}

// ---------------------------------------------------------------------------
// where

// 4-byte values from a where the contiguous mask is nonzero, else from b
// (each contiguous or, stride 0, one repeated value), sixteen at a time.
static void where_u32_block(const u8* m, const u32* a, int aRepeat, const u32* b, int bRepeat, u32* y, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t set = wasm_i8x16_ne(wasm_v128_load(m + i), wasm_i8x16_splat(0));
    v128_t low = wasm_i16x8_extend_low_i8x16(set), high = wasm_i16x8_extend_high_i8x16(set);
    v128_t lanes[4] = {wasm_i32x4_extend_low_i16x8(low), wasm_i32x4_extend_high_i16x8(low),
                       wasm_i32x4_extend_low_i16x8(high), wasm_i32x4_extend_high_i16x8(high)};
    for (int k = 0; k < 4; k++) {
      v128_t va = aRepeat ? wasm_v128_load32_splat(a) : wasm_v128_load(a + i + 4 * k);
      v128_t vb = bRepeat ? wasm_v128_load32_splat(b) : wasm_v128_load(b + i + 4 * k);
      wasm_v128_store(y + i + 4 * k, wasm_v128_bitselect(va, vb, lanes[k]));
    }
  }
  for (; i < n; i++) y[i] = m[i] ? a[aRepeat ? 0 : i] : b[bRepeat ? 0 : i];
}

static void where_row(void* c, u8* const* p, int n, const int* s) {
  int size = *(const int*)c;
  const u8* m = p[0];
  const u8* a = p[1];
  const u8* b = p[2];
  u8* y = p[3];
  int sm = s[0], sa = s[1], sb = s[2], sy = s[3];
  if (size == 4 && sm == 1 && (sa == 4 || sa == 0) && (sb == 4 || sb == 0) && sy == 4) {
    where_u32_block(m, (const u32*)a, sa == 0, (const u32*)b, sb == 0, (u32*)y, n);
  } else if (size == 4) {
    for (int i = 0; i < n; i++, m += sm, a += sa, b += sb, y += sy) *(u32*)y = *m ? *(const u32*)a : *(const u32*)b;
  } else {
    for (int i = 0; i < n; i++, m += sm, a += sa, b += sb, y += sy) *y = *m ? *a : *b;
  }
}

EXPORT(fathom_where) int fathom_where(const i32* ints, const double* floats) {
  WhereArguments args;
  read_where_arguments(ints, floats, &args);
  const View* m = &args.cond;
  const View* a = &args.a;
  const View* b = &args.b;
  int size = dtype_size(args.dtype);
  u8* out = args.out;
  int outStrides[MAX_DIMS];
  for (int d = a->ndim - 1, stride = 1; d >= 0; d--) {
    outStrides[d] = stride;
    stride *= a->shape[d];
  }
  const int* strides[4] = {m->strides, a->strides, b->strides, outStrides};
  int sizes[4] = {1, size, size, size};
  Walk w;
  walk_init(&w, a->ndim, a->shape, 4, strides, sizes);
  u8* bases[4] = {m->base, a->base, b->base, out};
  walk_elementwise(&w, bases, where_row, &size);
  return OK;
}
