// Elementary functions for the kernels: scalar doubles (accurate to about
// 1e-15, used where float32 results must be right to the last bits or the op
// is rare: log, expm1, log1p, sin, cos, pow, random normals) and float32x4
// vectors for the hot activations (exp, tanh, sigmoid, erf/gelu), accurate to
// a few float32 ulps.
#ifndef FATHOM_MATH_H
#define FATHOM_MATH_H

#include "fathom.h"

#define F_INF __builtin_inf()
#define F_NAN __builtin_nan("")
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10
#define INV_LN2 1.44269504088896338700e+00
#define PI_D 3.14159265358979323846

INLINE int is_nan(double x) { return x != x; }

INLINE double bits_to_double(u64 b) { double d; __builtin_memcpy(&d, &b, 8); return d; }
INLINE u64 double_to_bits(double d) { u64 b; __builtin_memcpy(&b, &d, 8); return b; }

// 2^n for integer n in [-1022, 1023].
INLINE double pow2i(int n) { return bits_to_double((u64)(n + 1023) << 52); }

// x·2^n without overflow in the scale factor itself.
INLINE double scale2(double x, int n) {
  if (n > 1023) { x *= pow2i(1023); n -= 1023; if (n > 1023) n = 1023; }
  else if (n < -1022) { x *= pow2i(-1022); n += 1022; if (n < -1022) { x *= pow2i(-1022); n += 1022; if (n < -1022) n = -1022; } }
  return x * pow2i(n);
}

// e^r for |r| ≤ ½·ln 2, Taylor to r^13 (remainder below 2e-17 relative).
INLINE double exp_reduced(double r) {
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  return p * r + 1.0;
}

static inline double exp_d(double x) {
  if (is_nan(x)) return x;
  if (x > 709.782712893384) return F_INF;
  if (x < -745.1332191019412) return 0.0;
  double n = __builtin_nearbyint(x * INV_LN2);
  double r = (x - n * LN2_HI) - n * LN2_LO;
  return scale2(exp_reduced(r), (int)n);
}

// e^x − 1, accurate near 0 (Taylor below |x| = ½, where e^x − 1 cancels).
static inline double expm1_d(double x) {
  if (is_nan(x)) return x;
  double a = __builtin_fabs(x);
  if (a < 0.5) {
    double p = 1.0 / 1307674368000.0;
    p = p * x + 1.0 / 87178291200.0;
    p = p * x + 1.0 / 6227020800.0;
    p = p * x + 1.0 / 479001600.0;
    p = p * x + 1.0 / 39916800.0;
    p = p * x + 1.0 / 3628800.0;
    p = p * x + 1.0 / 362880.0;
    p = p * x + 1.0 / 40320.0;
    p = p * x + 1.0 / 5040.0;
    p = p * x + 1.0 / 720.0;
    p = p * x + 1.0 / 120.0;
    p = p * x + 1.0 / 24.0;
    p = p * x + 1.0 / 6.0;
    p = p * x + 0.5;
    return (p * x + 1.0) * x;
  }
  if (x < -40) return -1.0;
  return exp_d(x) - 1.0;
}

// Natural log: x = m·2^e with m in [√½, √2), log m = 2·atanh(s), s = (m−1)/(m+1).
static inline double log_d(double x) {
  if (is_nan(x) || x < 0) return F_NAN;
  if (x == 0) return -F_INF;
  if (x == F_INF) return x;
  int e = 0;
  if (x < 2.2250738585072014e-308) { x *= 18014398509481984.0; e = -54; }  // 2^54: normalize subnormals
  u64 bits = double_to_bits(x);
  e += (int)((bits >> 52) & 0x7ff) - 1023;
  double m = bits_to_double((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
  double s = (m - 1.0) / (m + 1.0);
  double s2 = s * s;
  double p = 1.0 / 23;
  p = p * s2 + 1.0 / 21;
  p = p * s2 + 1.0 / 19;
  p = p * s2 + 1.0 / 17;
  p = p * s2 + 1.0 / 15;
  p = p * s2 + 1.0 / 13;
  p = p * s2 + 1.0 / 11;
  p = p * s2 + 1.0 / 9;
  p = p * s2 + 1.0 / 7;
  p = p * s2 + 1.0 / 5;
  p = p * s2 + 1.0 / 3;
  p = p * s2 + 1.0;
  return e * LN2_HI + (e * LN2_LO + 2.0 * s * p);
}

// log(1 + x) by the classic correction: log(u)·x/(u − 1) with u = 1 + x rounded.
static inline double log1p_d(double x) {
  if (is_nan(x)) return x;
  if (x == F_INF) return x;
  double u = 1.0 + x;
  if (u == 1.0) return x;
  if (u <= 0) return u == 0 ? -F_INF : F_NAN;
  return log_d(u) * (x / (u - 1.0));
}

// sin and cos on |r| ≤ π/4 (Taylor, remainder below 1e-17).
INLINE double sin_reduced(double r) {
  double r2 = r * r;
  double p = -1.0 / 1307674368000.0;
  p = p * r2 + 1.0 / 6227020800.0;
  p = p * r2 - 1.0 / 39916800.0;
  p = p * r2 + 1.0 / 362880.0;
  p = p * r2 - 1.0 / 5040.0;
  p = p * r2 + 1.0 / 120.0;
  p = p * r2 - 1.0 / 6.0;
  return r + r * r2 * p;
}
INLINE double cos_reduced(double r) {
  double r2 = r * r;
  double p = 1.0 / 20922789888000.0;
  p = p * r2 - 1.0 / 87178291200.0;
  p = p * r2 + 1.0 / 479001600.0;
  p = p * r2 - 1.0 / 3628800.0;
  p = p * r2 + 1.0 / 40320.0;
  p = p * r2 - 1.0 / 720.0;
  p = p * r2 + 1.0 / 24.0;
  p = p * r2 - 0.5;
  return 1.0 + r2 * p;
}

// x − k·π/2 in three parts (fdlibm's split of π/2), good for |x| up to ~1e9;
// quadrant k mod 4 in *quadrant.
INLINE double reduce_half_pi(double x, int* quadrant) {
  const double pio2_1 = 1.57079632673412561417e+00;
  const double pio2_2 = 6.07710050630396597660e-11;
  const double pio2_3 = 2.02226624871116645580e-21;
  double k = __builtin_nearbyint(x * 6.36619772367581382433e-01);
  *quadrant = (int)(k - 4.0 * __builtin_floor(k * 0.25));
  return ((x - k * pio2_1) - k * pio2_2) - k * pio2_3;
}

static inline double sin_d(double x) {
  if (is_nan(x) || __builtin_fabs(x) == F_INF) return F_NAN;
  int q;
  double r = reduce_half_pi(x, &q);
  switch (q) {
    case 0: return sin_reduced(r);
    case 1: return cos_reduced(r);
    case 2: return -sin_reduced(r);
    default: return -cos_reduced(r);
  }
}

static inline double cos_d(double x) {
  if (is_nan(x) || __builtin_fabs(x) == F_INF) return F_NAN;
  int q;
  double r = reduce_half_pi(x, &q);
  switch (q) {
    case 0: return cos_reduced(r);
    case 1: return -sin_reduced(r);
    case 2: return -cos_reduced(r);
    default: return sin_reduced(r);
  }
}

INLINE int is_integer(double y) { return __builtin_trunc(y) == y && __builtin_fabs(y) != F_INF; }
INLINE int is_odd_integer(double y) { return is_integer(y) && __builtin_fabs(y) < 9007199254740992.0 && __builtin_trunc(y * 0.5) != y * 0.5; }

// |x|^n by squaring, for integer n with |n| ≤ 2^31 (exact while results fit).
INLINE double pow_integer(double x, double y) {
  double n = __builtin_fabs(y);
  double result = 1.0, base = x;
  u64 k = (u64)n;
  while (k) {
    if (k & 1) result *= base;
    base *= base;
    k >>= 1;
  }
  return y < 0 ? 1.0 / result : result;
}

// pow with C99's special cases (as PyTorch): 1^y = 1 and x^0 = 1 for every
// x and y (NaN included), (−1)^±∞ = 1.
static inline double pow_d(double x, double y) {
  if (y == 0 || x == 1) return 1.0;
  if (is_nan(x) || is_nan(y)) return F_NAN;
  double ax = __builtin_fabs(x);
  if (__builtin_fabs(y) == F_INF) {
    if (ax == 1) return 1.0;
    return (ax > 1) == (y > 0) ? F_INF : 0.0;
  }
  if (is_integer(y) && __builtin_fabs(y) <= 64) return pow_integer(x, y);
  if (ax == F_INF || x == 0) {
    int odd = is_odd_integer(y);
    double magnitude = (ax == F_INF) == (y > 0) ? F_INF : 0.0;
    return (x < 0 || (x == 0 && 1.0 / x < 0)) && odd ? -magnitude : magnitude;
  }
  if (x < 0) {
    if (!is_integer(y)) return F_NAN;
    double r = exp_d(y * log_d(ax));
    return is_odd_integer(y) ? -r : r;
  }
  return exp_d(y * log_d(x));
}

// ---------------------------------------------------------------------------
// float32x4.

#define V_SPLAT wasm_f32x4_splat

// e^x: x = n·ln 2 + r with |r| ≤ ½ ln 2, degree-6 polynomial (Cephes expf
// coefficients, ~1 ulp), scaled by 2^n in two halves so that n down to −149
// still gives subnormals. NaN propagates; overflow gives +Inf.
INLINE v128_t exp4(v128_t x) {
  const v128_t hi = V_SPLAT(88.72283935546875f), lo = V_SPLAT(-103.97208f);
  v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), V_SPLAT(89.0f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(xc, V_SPLAT(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, V_SPLAT(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, V_SPLAT(-2.12194440e-4f)));
  v128_t p = V_SPLAT(1.9875691500E-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), V_SPLAT(1.3981999507E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), V_SPLAT(8.3334519073E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), V_SPLAT(4.1665795894E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), V_SPLAT(1.6666665459E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), V_SPLAT(5.0000001201E-1f));
  v128_t r2 = wasm_f32x4_mul(r, r);
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, r2), r), V_SPLAT(1.0f));
  v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
  v128_t n1 = wasm_i32x4_shr(ni, 1);
  v128_t n2 = wasm_i32x4_sub(ni, n1);
  v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23);
  v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23);
  v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
  y = wasm_v128_bitselect(V_SPLAT(__builtin_inff()), y, wasm_f32x4_gt(x, hi));
  y = wasm_v128_bitselect(V_SPLAT(0.0f), y, wasm_f32x4_lt(x, lo));
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

// 1/(1 + e^−x): saturates cleanly to 0 and 1 at the ends.
INLINE v128_t sigmoid4(v128_t x) {
  v128_t e = exp4(wasm_f32x4_neg(x));
  return wasm_f32x4_div(V_SPLAT(1.0f), wasm_f32x4_add(V_SPLAT(1.0f), e));
}

// tanh: odd polynomial below |x| = 0.625 (Cephes tanhf), else
// 1 − 2/(e^{2|x|} + 1) with the sign restored.
INLINE v128_t tanh4(v128_t x) {
  v128_t a = wasm_f32x4_abs(x);
  v128_t s = wasm_f32x4_mul(x, x);
  v128_t p = V_SPLAT(-5.70498872745E-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), V_SPLAT(2.06390887954E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), V_SPLAT(-5.37397155531E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), V_SPLAT(1.33314422036E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), V_SPLAT(-3.33332819422E-1f));
  v128_t small = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, s), x), x);
  v128_t e = exp4(wasm_f32x4_add(a, a));
  v128_t large = wasm_f32x4_sub(V_SPLAT(1.0f), wasm_f32x4_div(V_SPLAT(2.0f), wasm_f32x4_add(e, V_SPLAT(1.0f))));
  large = wasm_v128_or(large, wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000)));
  v128_t y = wasm_v128_bitselect(small, large, wasm_f32x4_lt(a, V_SPLAT(0.625f)));
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

// erf: the odd Maclaurin polynomial to x¹⁵ below |x| = 0.5 (relative error
// under 1e-8 there), else 1 − erfc with Numerical Recipes' Chebyshev fit
// erfc(z) ≈ t·e^(−z² + P(t)), t = 1/(1 + z/2), relative error below 1.2e-7.
INLINE v128_t erf4(v128_t x) {
  v128_t z = wasm_f32x4_abs(x);
  v128_t x2 = wasm_f32x4_mul(x, x);
  v128_t s = V_SPLAT(-1.0f / 75600.0f);  // the x¹⁵ coefficient, (−1)⁷ / (7!·15)
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), V_SPLAT(1.0f / 9360.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), V_SPLAT(-1.0f / 1320.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), V_SPLAT(1.0f / 216.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), V_SPLAT(-1.0f / 42.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), V_SPLAT(1.0f / 10.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), V_SPLAT(-1.0f / 3.0f));
  v128_t small = wasm_f32x4_mul(V_SPLAT(1.1283791670955126f), wasm_f32x4_add(x, wasm_f32x4_mul(wasm_f32x4_mul(s, x2), x)));
  v128_t t = wasm_f32x4_div(V_SPLAT(1.0f), wasm_f32x4_add(V_SPLAT(1.0f), wasm_f32x4_mul(V_SPLAT(0.5f), z)));
  v128_t p = V_SPLAT(0.17087277f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), V_SPLAT(-0.82215223f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), V_SPLAT(1.48851587f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), V_SPLAT(-1.13520398f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), V_SPLAT(0.27886807f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), V_SPLAT(-0.18628806f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), V_SPLAT(0.09678418f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), V_SPLAT(0.37409196f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), V_SPLAT(1.00002368f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), V_SPLAT(-1.26551223f));
  v128_t erfc = wasm_f32x4_mul(t, exp4(wasm_f32x4_sub(p, wasm_f32x4_mul(z, z))));
  v128_t large = wasm_f32x4_sub(V_SPLAT(1.0f), erfc);
  large = wasm_v128_or(large, wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000)));
  v128_t y = wasm_v128_bitselect(small, large, wasm_f32x4_lt(z, V_SPLAT(0.5f)));
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x));
}

// GELU, 0.5·x·(1 + erf(x/√2)).
INLINE v128_t gelu4(v128_t x) {
  v128_t e = erf4(wasm_f32x4_mul(x, V_SPLAT(0.70710678118654752f)));
  return wasm_f32x4_mul(wasm_f32x4_mul(V_SPLAT(0.5f), x), wasm_f32x4_add(V_SPLAT(1.0f), e));
}

// The vector functions on one float, so tails and strided rows give the same
// bits as the vector body.
#define SCALAR_OF(fn) INLINE float fn##_f(float x) { return wasm_f32x4_extract_lane(fn##4(wasm_f32x4_splat(x)), 0); }
SCALAR_OF(exp)
SCALAR_OF(sigmoid)
SCALAR_OF(tanh)
#undef SCALAR_OF

#endif
