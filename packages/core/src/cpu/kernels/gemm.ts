/** The arrays {@link gemm} multiplies: float32 or float64 elements. */
export type FloatArray = Float32Array | Float64Array;

// Blocking in the Goto/BLIS style. A micro-tile of MR×NR outputs lives in local
// doubles while the micro-kernel streams one packed A sliver (kc×MR) and one
// packed B sliver (kc×NR) from L1; a block of A (MC×KC, ~240 KB packed) stays
// in L2 and a panel of B (KC×NC) in L3. The shape was picked by timing in V8
// on x64 without SIMD: 6×4 and 3×8 tie (~4.8 GFLOP/s at n=1024), 4×8 and 8×4
// reach ~4.5, 8×8 and 4×12 spill too much (~3.9), and unrolling the k loop
// by two costs 10%. KC, MC and NC barely matter within 2× of these values.
const MR = 6;
const NR = 4;
const KC = 256;
const MC = 120; // a multiple of MR
const NC = 1024; // a multiple of NR

// Grow-only scratch shared by every call (the CPU backend is single-threaded).
// Packing into float64 keeps float64 operands exact and lets float32 operands
// be widened once instead of in every micro-kernel pass.
let packedA = new Float64Array(0);
let packedB = new Float64Array(0);
let accumulatorRow = new Float64Array(0);
const edgeTile = new Float64Array(MR * NR);

/**
 * `C = A·B` (or `C += A·B` when `accumulate`) for an m×k matrix A and a k×n
 * matrix B, both read through element strides so transposed or otherwise
 * strided operands need no copy. C is row-major contiguous: element (i, j) is
 * `c[cOffset + i*n + j]`. Products are summed in doubles within each block of
 * up to 256 k-steps; C holds the partial sums between blocks. With k = 0, C is
 * zeroed (or left as is when accumulating).
 *
 * ```ts
 * gemm(2, 2, 3, a, 0, 3, 1, b, 0, 2, 1, c, 0, false); // a (2, 3) · b (3, 2)
 * gemm(2, 2, 3, a, 0, 1, 2, b, 0, 2, 1, c, 0, false); // aᵀ · b, a stored (3, 2)
 * ```
 */
export function gemm(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOffset: number, bRowStride: number, bColStride: number,
  c: FloatArray, cOffset: number, accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOffset, cOffset + m * n);
    return;
  }
  // Thin products waste most of a padded micro-tile; they take simple loops.
  if (m < MR) {
    rowsTimesMatrix(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, accumulate);
    return;
  }
  if (n < NR) {
    dotProducts(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, c, cOffset, accumulate);
    return;
  }
  const kcMax = Math.min(k, KC);
  const mcMax = Math.min(Math.ceil(m / MR) * MR, MC);
  const ncMax = Math.min(Math.ceil(n / NR) * NR, NC);
  if (packedA.length < kcMax * mcMax) packedA = new Float64Array(kcMax * mcMax);
  if (packedB.length < kcMax * ncMax) packedB = new Float64Array(kcMax * ncMax);
  const pa = packedA;
  const pb = packedB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const store = pc === 0 && !accumulate;
      packB(pb, kc, nc, b, bOffset + pc * bRowStride + jc * bColStride, bRowStride, bColStride);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(pa, kc, mc, a, aOffset + ic * aRowStride + pc * aColStride, aRowStride, aColStride);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            microKernel(kc, pa, ir * kc, pb, jr * kc, c, cOffset + (ic + ir) * n + jc + jr, n, mr, nr, store);
          }
        }
      }
    }
  }
}

// Packs an mc×kc block of A as MR-row slivers, each kc×MR with the MR values
// of one k-step adjacent; rows past mc are zero.
function packA(pa: Float64Array, kc: number, mc: number, a: FloatArray, offset: number, rowStride: number, colStride: number): void {
  let d = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const rowStart = offset + ir * rowStride;
    if (mr === MR) {
      for (let p = 0, s = rowStart; p < kc; p++, s += colStride) {
        pa[d] = a[s];
        pa[d + 1] = a[s + rowStride];
        pa[d + 2] = a[s + 2 * rowStride];
        pa[d + 3] = a[s + 3 * rowStride];
        pa[d + 4] = a[s + 4 * rowStride];
        pa[d + 5] = a[s + 5 * rowStride];
        d += MR;
      }
    } else {
      for (let p = 0, s0 = rowStart; p < kc; p++, s0 += colStride) {
        let i = 0;
        for (let s = s0; i < mr; i++, s += rowStride) pa[d++] = a[s];
        for (; i < MR; i++) pa[d++] = 0;
      }
    }
  }
}

// Packs a kc×nc panel of B as NR-column slivers, each kc×NR with the NR values
// of one k-step adjacent; columns past nc are zero.
function packB(pb: Float64Array, kc: number, nc: number, b: FloatArray, offset: number, rowStride: number, colStride: number): void {
  let d = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const colStart = offset + jr * colStride;
    if (nr === NR) {
      for (let p = 0, s = colStart; p < kc; p++, s += rowStride) {
        pb[d] = b[s];
        pb[d + 1] = b[s + colStride];
        pb[d + 2] = b[s + 2 * colStride];
        pb[d + 3] = b[s + 3 * colStride];
        d += NR;
      }
    } else {
      for (let p = 0, s0 = colStart; p < kc; p++, s0 += rowStride) {
        let j = 0;
        for (let s = s0; j < nr; j++, s += colStride) pb[d++] = b[s];
        for (; j < NR; j++) pb[d++] = 0;
      }
    }
  }
}

// One MR×NR tile of C from a packed A sliver at `ai` and a packed B sliver at
// `bi`; stores (`store`) or adds its valid mr×nr corner at `ci` (row stride ldc).
function microKernel(
  kc: number, pa: Float64Array, ai: number, pb: Float64Array, bi: number,
  c: FloatArray, ci: number, ldc: number, mr: number, nr: number, store: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let c40 = 0, c41 = 0, c42 = 0, c43 = 0;
  let c50 = 0, c51 = 0, c52 = 0, c53 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ai], a1 = pa[ai + 1], a2 = pa[ai + 2], a3 = pa[ai + 3], a4 = pa[ai + 4], a5 = pa[ai + 5];
    const b0 = pb[bi], b1 = pb[bi + 1], b2 = pb[bi + 2], b3 = pb[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3;
    c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3;
    ai += MR;
    bi += NR;
  }
  if (mr === MR && nr === NR) {
    if (store) {
      c[ci] = c00; c[ci + 1] = c01; c[ci + 2] = c02; c[ci + 3] = c03; ci += ldc;
      c[ci] = c10; c[ci + 1] = c11; c[ci + 2] = c12; c[ci + 3] = c13; ci += ldc;
      c[ci] = c20; c[ci + 1] = c21; c[ci + 2] = c22; c[ci + 3] = c23; ci += ldc;
      c[ci] = c30; c[ci + 1] = c31; c[ci + 2] = c32; c[ci + 3] = c33; ci += ldc;
      c[ci] = c40; c[ci + 1] = c41; c[ci + 2] = c42; c[ci + 3] = c43; ci += ldc;
      c[ci] = c50; c[ci + 1] = c51; c[ci + 2] = c52; c[ci + 3] = c53;
    } else {
      c[ci] += c00; c[ci + 1] += c01; c[ci + 2] += c02; c[ci + 3] += c03; ci += ldc;
      c[ci] += c10; c[ci + 1] += c11; c[ci + 2] += c12; c[ci + 3] += c13; ci += ldc;
      c[ci] += c20; c[ci + 1] += c21; c[ci + 2] += c22; c[ci + 3] += c23; ci += ldc;
      c[ci] += c30; c[ci + 1] += c31; c[ci + 2] += c32; c[ci + 3] += c33; ci += ldc;
      c[ci] += c40; c[ci + 1] += c41; c[ci + 2] += c42; c[ci + 3] += c43; ci += ldc;
      c[ci] += c50; c[ci + 1] += c51; c[ci + 2] += c52; c[ci + 3] += c53;
    }
    return;
  }
  const t = edgeTile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
  t[16] = c40; t[17] = c41; t[18] = c42; t[19] = c43;
  t[20] = c50; t[21] = c51; t[22] = c52; t[23] = c53;
  for (let i = 0; i < mr; i++, ci += ldc) {
    for (let j = 0; j < nr; j++) {
      if (store) c[ci + j] = t[i * NR + j];
      else c[ci + j] += t[i * NR + j];
    }
  }
}

// m < MR: each row of C is a combination of the rows of B, summed in a
// float64 row so float32 output is rounded once.
function rowsTimesMatrix(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOffset: number, bRowStride: number, bColStride: number,
  c: FloatArray, cOffset: number, accumulate: boolean,
): void {
  if (accumulatorRow.length < n) accumulatorRow = new Float64Array(n);
  const acc = accumulatorRow;
  for (let i = 0; i < m; i++) {
    const ci = cOffset + i * n;
    if (accumulate) for (let j = 0; j < n; j++) acc[j] = c[ci + j];
    else acc.fill(0, 0, n);
    for (let p = 0; p < k; p++) {
      const aip = a[aOffset + i * aRowStride + p * aColStride];
      const bp = bOffset + p * bRowStride;
      if (bColStride === 1) for (let j = 0; j < n; j++) acc[j] += aip * b[bp + j];
      else for (let j = 0, s = bp; j < n; j++, s += bColStride) acc[j] += aip * b[s];
    }
    for (let j = 0; j < n; j++) c[ci + j] = acc[j];
  }
}

// n < NR: one dot product per element of C.
function dotProducts(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOffset: number, bRowStride: number, bColStride: number,
  c: FloatArray, cOffset: number, accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = accumulate ? c[cOffset + i * n + j] : 0;
      let s = aOffset + i * aRowStride;
      let t = bOffset + j * bColStride;
      for (let p = 0; p < k; p++, s += aColStride, t += bRowStride) sum += a[s] * b[t];
      c[cOffset + i * n + j] = sum;
    }
  }
}
