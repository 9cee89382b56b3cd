// WGSL functions the kernels share, each with the functions it calls, so a
// shader includes only what it uses.
//
// Why not the builtins alone: WGSL promises little accuracy for log, sin and
// cos (absolute error 2^-21 for log near 1, 2^-11 for sin and cos), leaves
// sqrt of a negative, pow of a negative base and 0/0 indeterminate, and lets
// a compiler assume finite math when it folds comparisons. The conformance kit
// checks float32 results against float64 references with NaN and ±Inf at the
// same positions, on every driver, so NaN and Inf are tested through their
// bits (integer math no optimizer rewrites) and the functions whose builtins
// are loose are written out with documented error bounds.

interface MathFunction {
  readonly uses: readonly string[];
  readonly source: string;
}

const FUNCTIONS: Record<string, MathFunction> = {
  isNan: {
    uses: [],
    source: `fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`,
  },
  isInf: {
    uses: [],
    source: `fn isInf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }`,
  },
  isZero: {
    uses: [],
    source: `fn isZero(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0u; }`,
  },
  constants: {
    uses: [],
    // From a var: a constant infinity or NaN is a compile error in WGSL.
    source: `fn infF32() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
fn negInfF32() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }
fn nanF32() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }`,
  },
  // 1 for x ≠ 0, NaN included, as JavaScript's x !== 0 on which the CPU backend rests.
  truthy: {
    uses: [],
    source: `fn truthyF32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) != 0u; }`,
  },
  // -x and |x| through the sign bit: exact, and NaN stays NaN.
  negate: {
    uses: [],
    source: `fn negF32(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ 0x80000000u); }
fn absF32(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu); }`,
  },
  // JavaScript's ToInt32 (what storing a double in an Int32Array does): truncate,
  // wrap modulo 2^32, NaN and ±Inf give 0. WGSL's i32(f32) saturates instead.
  toInt32: {
    uses: [],
    source: `fn toInt32(x: f32) -> i32 {
  let bits = bitcast<u32>(x);
  let exponent = i32((bits >> 23u) & 0xffu) - 127;
  if (exponent == 128) { return 0; }
  if (exponent < 31) { return i32(trunc(x)); }
  // |x| ≥ 2^31 is an integer: its low 32 bits are the mantissa shifted left.
  let shift = exponent - 23;
  if (shift >= 32) { return 0; }
  let magnitude = ((bits & 0x7fffffu) | 0x800000u) << u32(shift);
  if ((bits & 0x80000000u) != 0u) { return bitcast<i32>(0u - magnitude); }
  return bitcast<i32>(magnitude);
}`,
  },
  // Natural log to a few ulps: x = m·2^e with m in [√½, √2), then
  // log m = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.172, by its series to s^11
  // (truncation below 3e-10 relative). m − 1 is exact, so log(1 − δ) keeps
  // its relative accuracy, which Box–Muller needs for u1 near 1.
  logF32: {
    uses: ['isNan', 'constants'],
    source: `fn logF32(x: f32) -> f32 {
  if (isNan(x) || x < 0.0) { return nanF32(); }
  if (x == 0.0) { return negInfF32(); }
  if (x == infF32()) { return infF32(); }
  var bits = bitcast<u32>(x);
  var exponent = 0;
  if (bits < 0x00800000u) {
    // Subnormal: scale into the normal range first.
    bits = bitcast<u32>(x * 8388608.0);
    exponent = -23;
  }
  exponent += i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356) { m = m * 0.5; exponent += 1; }
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let series = 1.0 + s2 * (0.33333333 + s2 * (0.2 + s2 * (0.14285714 + s2 * (0.11111111 + s2 * 0.09090909))));
  return f32(exponent) * 0.693147182 + 2.0 * s * series;
}`,
  },
  // log(1 + x): the same series on s = x / (2 + x) near 0, where 1 + x would round.
  log1pF32: {
    uses: ['logF32', 'isNan', 'constants'],
    source: `fn log1pF32(x: f32) -> f32 {
  if (isNan(x) || x < -1.0) { return nanF32(); }
  if (x == -1.0) { return negInfF32(); }
  if (abs(x) < 0.4) {
    let s = x / (2.0 + x);
    let s2 = s * s;
    let series = 1.0 + s2 * (0.33333333 + s2 * (0.2 + s2 * (0.14285714 + s2 * (0.11111111 + s2 * 0.09090909))));
    return 2.0 * s * series;
  }
  return logF32(1.0 + x);
}`,
  },
  // e^x with IEEE results outside the finite range (some drivers return garbage there).
  expF32: {
    uses: ['isNan', 'constants'],
    source: `fn expF32(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  if (x > 88.7228394) { return infF32(); }
  if (x < -103.972084) { return 0.0; }
  return exp(x);
}`,
  },
  // e^x − 1: Taylor to x^9 below |x| = ln 2 / 2 (truncation under 2e-10), where e^x − 1 would cancel.
  expm1F32: {
    uses: ['expF32', 'isNan'],
    source: `fn expm1F32(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  if (abs(x) < 0.3465736) {
    return x * (1.0 + x * (0.5 + x * (0.16666667 + x * (0.041666668 + x * (0.008333334 + x * (0.0013888889 + x * (0.0001984127 + x * (0.0000248016 + x * 0.0000027557))))))));
  }
  if (x < -20.0) { return -1.0; }
  return expF32(x) - 1.0;
}`,
  },
  sqrtF32: {
    uses: ['isNan', 'constants'],
    source: `fn sqrtF32(x: f32) -> f32 {
  if (isNan(x) || x < 0.0) { return nanF32(); }
  if (x == infF32()) { return infF32(); }
  if (x == 0.0) { return x; }
  return sqrt(x);
}`,
  },
  // IEEE division: WGSL leaves x/0 and 0/0 indeterminate.
  divF32: {
    uses: ['isNan', 'isInf', 'constants'],
    source: `fn divF32(a: f32, b: f32) -> f32 {
  if (isNan(a) || isNan(b)) { return nanF32(); }
  let sign = (bitcast<u32>(a) ^ bitcast<u32>(b)) & 0x80000000u;
  if (b == 0.0) {
    if (a == 0.0) { return nanF32(); }
    return bitcast<f32>(0x7f800000u | sign);
  }
  if (isInf(b)) {
    if (isInf(a)) { return nanF32(); }
    return bitcast<f32>(sign);
  }
  if (isInf(a)) { return bitcast<f32>(0x7f800000u | sign); }
  return a / b;
}`,
  },
  // sin and cos to about 1 ulp for |x| < 8192 (Cephes' sinf/cosf: reduction by
  // π/4 in three parts, minimax polynomials on [−π/4, π/4]); beyond that the
  // builtins, whose reduction is the driver's.
  sinCosF32: {
    uses: ['isNan', 'isInf', 'constants'],
    source: `fn sinCosPoly(r: f32, octant: u32, wantCos: bool) -> f32 {
  let z = r * r;
  let sinPart = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let cosPart = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  var quadrant = octant;
  if (wantCos) { quadrant = quadrant + 1u; }
  var value = sinPart;
  if ((quadrant & 1u) == 1u) { value = cosPart; }
  if ((quadrant & 2u) == 2u) { value = -value; }
  return value;
}
fn sinCosReduce(x: f32, wantCos: bool) -> f32 {
  if (isNan(x) || isInf(x)) { return nanF32(); }
  let a = abs(x);
  if (a > 8192.0) {
    if (wantCos) { return cos(x); }
    return sin(x);
  }
  // Nearest multiple k of π/2, then r = a − k·π/2 with π/2 split so k·part is exact.
  let k = floor(a * 0.63661977236758134 + 0.5);
  let r = ((a - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.549789948768648e-8;
  var quadrant = u32(k) & 3u;
  var sign = 1.0;
  if (!wantCos && x < 0.0) { sign = -1.0; }
  return sign * sinCosPoly(r, quadrant, wantCos);
}
fn sinF32(x: f32) -> f32 { if (x == 0.0) { return x; } return sinCosReduce(x, false); }
fn cosF32(x: f32) -> f32 { return sinCosReduce(x, true); }`,
  },
  // cos(2π·t) for t in [0, 1): the reduction is exact in turns, so Box–Muller's
  // angle keeps float32 accuracy.
  cosTurnsF32: {
    uses: ['sinCosF32'],
    source: `fn cosTurnsF32(t: f32) -> f32 {
  let quadrant = floor(t * 4.0 + 0.5);
  let r = (t - quadrant * 0.25) * 6.2831853071795864;
  return sinCosPoly(r, u32(quadrant) & 3u, true);
}`,
  },
  // sin(2π·t) for t in [0, 1), reduced in turns like cosTurnsF32 (Box–Muller's second normal).
  sinTurnsF32: {
    uses: ['sinCosF32'],
    source: `fn sinTurnsF32(t: f32) -> f32 {
  let quadrant = floor(t * 4.0 + 0.5);
  let r = (t - quadrant * 0.25) * 6.2831853071795864;
  return sinCosPoly(r, u32(quadrant) & 3u, false);
}`,
  },
  // tanh through expm1: relative accuracy near 0, ±1 past |x| = 10, no overflow.
  tanhF32: {
    uses: ['expm1F32', 'isNan'],
    source: `fn tanhF32(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  let a = abs(x);
  if (a > 10.0) { return sign(x); }
  let e = expm1F32(2.0 * a);
  let t = e / (e + 2.0);
  if (x < 0.0) { return -t; }
  return t;
}`,
  },
  sigmoidF32: {
    uses: ['expF32', 'isNan'],
    source: `fn sigmoidF32(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  if (x >= 0.0) { return 1.0 / (1.0 + expF32(-x)); }
  let e = expF32(x);
  return e / (1.0 + e);
}`,
  },
  // erf: its Maclaurin series to x^13 below |x| = 0.5 (relative accuracy near 0),
  // else 1 − erfc with Numerical Recipes' erfcc (fractional error < 1.2e-7).
  erfF32: {
    uses: ['expF32', 'isNan'],
    source: `fn erfF32(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  let a = abs(x);
  if (a < 0.5) {
    let z = x * x;
    return 1.1283791670955126 * x * (1.0 + z * (-0.33333333 + z * (0.1 + z * (-0.023809524 + z * (0.0046296296 + z * (-0.00075757576 + z * 0.00010683761))))));
  }
  if (a > 6.0) { return sign(x); }
  let t = 1.0 / (1.0 + 0.5 * a);
  let poly = -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let erfc = t * expF32(poly);
  if (x < 0.0) { return erfc - 1.0; }
  return 1.0 - erfc;
}`,
  },
  // x^y with C99's special cases, which the CPU backend copies from PyTorch:
  // 1^y = 1, x^0 = 1 (NaN included), (−1)^±∞ = 1, a negative base only to
  // integer powers. Small integer powers multiply (exact to a few ulps); the
  // rest go through exp2(y·log2 x).
  powF32: {
    uses: ['logF32', 'isNan', 'isInf', 'constants'],
    source: `fn isOddInteger(y: f32) -> bool {
  return abs(y) < 16777216.0 && trunc(y) == y && (i32(abs(y)) & 1) == 1;
}
fn powF32(x: f32, y: f32) -> f32 {
  if (x == 1.0 || y == 0.0) { return 1.0; }
  if (isNan(x) || isNan(y)) { return nanF32(); }
  let ax = abs(x);
  if (isInf(y)) {
    if (ax == 1.0) { return 1.0; }
    if ((ax > 1.0) == (y > 0.0)) { return infF32(); }
    return 0.0;
  }
  let odd = isOddInteger(y);
  if (x == 0.0) {
    if (y > 0.0) { if (odd) { return x; } return 0.0; }
    if (odd) { return bitcast<f32>(0x7f800000u | (bitcast<u32>(x) & 0x80000000u)); }
    return infF32();
  }
  if (isInf(x)) {
    var magnitude = 0.0;
    if (y > 0.0) { magnitude = infF32(); }
    if (x < 0.0 && odd) { return -magnitude; }
    return magnitude;
  }
  if (x < 0.0 && trunc(y) != y) { return nanF32(); }
  var result: f32;
  if (trunc(y) == y && abs(y) <= 64.0) {
    var n = u32(abs(y));
    var base = ax;
    result = 1.0;
    loop {
      if ((n & 1u) == 1u) { result = result * base; }
      n = n >> 1u;
      if (n == 0u) { break; }
      base = base * base;
    }
    if (y < 0.0) { result = 1.0 / result; }
  } else {
    let e = y * logF32(ax) * 1.4426950408889634;
    if (e > 128.0) { result = infF32(); } else if (e < -150.0) { result = 0.0; } else { result = exp2(e); }
  }
  if (x < 0.0 && odd) { return -result; }
  return result;
}`,
  },
};

/** Names of the WGSL functions in this library. */
export type MathFunctionName = keyof typeof FUNCTIONS;

/** WGSL source of the named functions and everything they call, each once, callees first. */
export function mathLibrary(names: readonly string[]): string {
  const ordered: string[] = [];
  const visit = (name: string): void => {
    if (ordered.includes(name)) return;
    const entry = FUNCTIONS[name];
    if (!entry) throw new Error(`mathLibrary: no WGSL function '${name}'`);
    entry.uses.forEach(visit);
    ordered.push(name);
  };
  names.forEach(visit);
  return ordered.map((name) => FUNCTIONS[name].source).join('\n');
}
