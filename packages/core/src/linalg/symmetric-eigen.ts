import { ValueError } from '../errors.js';

// Symmetric eigendecomposition in float64, the building block PCA needs.
//
// Two classic stages, each O(n³):
//   1. Householder reduction: A = Q T Qᵀ with T symmetric tridiagonal.
//   2. Implicit QL iteration with Wilkinson shifts on T, chasing each shift's
//      bulge with Givens rotations that are also applied to Q.
// The accumulated transform is kept transposed (one basis vector per row) so
// that its updates walk rows of contiguous memory. That, fusing each update with
// the next step's dot products, and unrolled inner loops (V8 does not unroll or
// vectorize) are what keep n = 784 (an MNIST covariance) near a second in Node.

const EPSILON = Number.EPSILON; // 2⁻⁵², unit roundoff of float64 is half of this
// Components whose magnitudes agree to this relative tolerance count as tied
// for the sign convention, so [1, 1]/√2 is oriented the same way however the
// last bit of each component happened to round.
const SIGN_TIE_TOLERANCE = 1e-12;

/**
 * Eigendecomposition of a real symmetric matrix, like `torch.linalg.eigh`, in float64.
 *
 * `matrix` is row-major n×n. Only its symmetric part is used: the function works on
 * (A + Aᵀ)/2, so a covariance matrix that is symmetric up to rounding is accepted as is.
 *
 * Eigenvalues come back sorted in DESCENDING order. `torch.linalg.eigh` returns them
 * ascending; we sort descending on purpose because PCA wants the largest first.
 * Eigenvectors are the columns of the row-major n×n `vectors`
 * (`vectors[i * n + j]` is component i of eigenvector j), each of unit norm and
 * oriented so that its largest-magnitude component is positive (on a tie within a
 * relative 1e-12, the first such component), so results are reproducible.
 *
 * Householder tridiagonalization followed by implicit QL with Wilkinson shifts: O(n³).
 * Backward stable: errors are a small multiple of ε·‖A‖ in absolute terms, so the zero
 * eigenvalues of a rank-deficient covariance come back as tiny values of either sign.
 * Throws if `matrix.length !== n * n`, if the matrix holds a NaN or an infinity, or (not
 * expected for finite input) if QL needs more than 30·n iterations for one eigenvalue.
 *
 * @example
 * const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);
 * // values = [3, 1]; vectors = [0.7071, 0.7071, 0.7071, -0.7071] (columns [1,1]/√2 and [1,-1]/√2)
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  if (!Number.isInteger(n) || n < 0) {
    throw new ValueError(`symmetricEigen: n must be a non-negative integer, got ${n}`);
  }
  if (matrix.length !== n * n) {
    throw new ValueError(
      `symmetricEigen: matrix has length ${matrix.length} but n = ${n} needs n * n = ${n * n} elements`,
    );
  }
  let largest = 0;
  for (let index = 0; index < matrix.length; index++) {
    largest = Math.max(largest, Math.abs(matrix[index]));
    if (!Number.isFinite(matrix[index])) {
      const row = Math.floor(index / n);
      throw new ValueError(
        `symmetricEigen: matrix holds ${matrix[index]} at [${row}, ${index - row * n}]; only finite values are supported`,
      );
    }
  }

  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };

  // Work on the matrix scaled by a power of two that brings its largest entry near 1: the
  // scaling is exact, and it keeps both stages far from overflow and from the subnormal
  // range, where a QL sweep's rotations would lose their precision. Two factors, because a
  // single 2^±exponent can itself overflow for subnormal or huge inputs.
  const exponent = largest === 0 ? 0 : Math.round(Math.log2(largest));
  const half = Math.trunc(exponent / 2);
  const down = 2 ** -half;
  const downRest = 2 ** (half - exponent);
  const work = new Float64Array(n * n); // (n, n), becomes the reflectors
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      work[i * n + j] = (0.5 * matrix[i * n + j] + 0.5 * matrix[j * n + i]) * down * downRest;
    }
  }

  const diagonal = new Float64Array(n); // T[i, i]
  const offDiagonal = new Float64Array(n); // T[i, i + 1]; the last slot is scratch for the QL sweep
  const basis = reduceToTridiagonal(work, n, diagonal, offDiagonal); // (n, n), Qᵀ: row j = column j of Q
  diagonalizeTridiagonal(diagonal, offDiagonal, basis, n); // now row j = eigenvector of diagonal[j]

  // Stable sort, so equal eigenvalues keep the order QL left them in.
  const order = Array.from({ length: n }, (_, index) => index).sort((a, b) => diagonal[b] - diagonal[a]);

  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n); // (n, n), column j = eigenvector j
  for (let j = 0; j < n; j++) {
    const source = order[j] * n;
    values[j] = diagonal[order[j]] * 2 ** half * 2 ** (exponent - half);

    let squaredNorm = 0;
    let largestComponent = 0;
    for (let i = 0; i < n; i++) {
      const component = basis[source + i];
      squaredNorm += component * component;
      largestComponent = Math.max(largestComponent, Math.abs(component));
    }
    let pivot = 0;
    while (Math.abs(basis[source + pivot]) < largestComponent * (1 - SIGN_TIE_TOLERANCE)) pivot++;
    // The rotations keep the rows orthonormal to rounding already; renormalizing
    // is O(n²) and makes "unit norm" hold to the last bit we can offer.
    const factor = (basis[source + pivot] < 0 ? -1 : 1) / Math.sqrt(squaredNorm);
    for (let i = 0; i < n; i++) vectors[i * n + j] = factor * basis[source + i];
  }
  return { values, vectors };
}

/**
 * Householder reduction of the symmetric `work` (overwritten) to tridiagonal form.
 * Fills `diagonal` and `offDiagonal` and returns Qᵀ (row-major), where A = Q T Qᵀ.
 * Reflector k is I - β[k]·v vᵀ with v stored in row k of `work`, columns k+1 and up.
 */
function reduceToTridiagonal(
  work: Float64Array,
  n: number,
  diagonal: Float64Array,
  offDiagonal: Float64Array,
): Float64Array {
  const betas = new Float64Array(n);
  let product = new Float64Array(n); // p = β·B·v over the active block, then w = p - (β/2)(pᵀv)·v
  let nextProduct = new Float64Array(n);

  if (n > 2) {
    betas[0] = prepareReflector(work, n, 0, offDiagonal);
    for (let i = 1; i < n; i++) product[i] = betas[0] * dot(work, i * n + 1, work, 1, n - 1);
  }
  for (let k = 0; k < n - 2; k++) {
    diagonal[k] = work[k * n + k];
    const row = k * n; // v = work[row + start ...]
    const start = k + 1;
    const beta = betas[k];

    // Two-sided update of the trailing block B = A[k+1:, k+1:] as a rank-2 change:
    // H B H = B - v wᵀ - w vᵀ with w = p - (β/2)(pᵀv) v and p = β B v.
    let projection = 0;
    for (let i = start; i < n; i++) projection += product[i] * work[row + i];
    const correction = 0.5 * beta * projection;
    for (let i = start; i < n; i++) product[i] -= correction * work[row + i];

    // Row k+1 is updated first because it is the source of the next reflector. The other
    // rows are updated from column k+2 on (column k+1 of them is never read again) and, in
    // the same pass while the row is in cache, dotted with the next reflector to build its p.
    const nextRow = start * n;
    const length = n - start;
    // (The dot product this call returns is not needed: row k+1 is not in the next block.)
    const vHead = work[row + start];
    const wHead = product[start];
    updateRowAndDot(work, nextRow + start, vHead, product, start, wHead, work, row + start, work, row + start, length);
    const hasNext = k + 1 < n - 2;
    const nextBeta = hasNext ? prepareReflector(work, n, start, offDiagonal) : 0;
    betas[start] = nextBeta;
    const from = start + 1;
    const next = nextRow + from;
    for (let i = from; i < n; i++) {
      const vI = work[row + i];
      const wI = product[i];
      const inner = updateRowAndDot(work, i * n + from, vI, product, from, wI, work, row + from, work, next, length - 1);
      nextProduct[i] = nextBeta * inner;
    }
    [product, nextProduct] = [nextProduct, product];
  }
  if (n >= 2) {
    diagonal[n - 2] = work[(n - 2) * n + n - 2];
    offDiagonal[n - 2] = work[(n - 2) * n + n - 1];
  }
  if (n >= 1) diagonal[n - 1] = work[n * n - 1];

  // Qᵀ = H[n-3] ··· H[1] H[0], accumulated right to left as P ← P·H[k] for k descending.
  // While adding H[k], P differs from the identity only in rows and columns k+1 and up, and
  // P[r, :] -= steps[r]·vᵀ with steps[r] = β (P[r, :]·v). As in the reduction, one pass per
  // reflector applies H[k] to a row and computes that row's step for H[k-1].
  const basis = new Float64Array(n * n);
  for (let i = 0; i < n; i++) basis[i * n + i] = 1;
  const steps = product;
  if (n > 2) {
    for (let r = n - 2; r < n; r++) steps[r] = betas[n - 3] * work[(n - 3) * n + r]; // P = I: P[r, :]·v = v[r]
  }
  for (let k = n - 3; k >= 0; k--) {
    const row = k * n;
    const start = k + 1;
    const hasNext = k > 0;
    const nextRow = hasNext ? row - n : row; // v of H[k-1] lives in row k-1, from column k
    const nextBeta = hasNext ? betas[k - 1] : 0;
    const v = row + start;
    for (let r = start; r < n; r++) {
      // Row r of P is zero in column k, so its dot with H[k-1]'s v may start at column k+1.
      const inner = updateRowAndDot(basis, r * n + start, steps[r], work, v, 0, work, v, work, nextRow + start, n - start);
      steps[r] = nextBeta * inner;
    }
    if (hasNext) steps[k] = nextBeta * work[nextRow + k]; // row k of P is still e_k
  }
  return basis;
}

/**
 * Turns row k of `work` (columns k+1 and up, the vector x to be reflected) into the
 * Householder vector v with (I - β v vᵀ) x = α e₁, records α as T[k, k+1] and returns β.
 * An all-zero x needs no reflection: v stays zero and β = 0, which makes every later
 * use of this reflector a no-op without special cases.
 */
function prepareReflector(work: Float64Array, n: number, k: number, offDiagonal: Float64Array): number {
  const row = k * n;
  const start = k + 1;
  // Scaling by the 1-norm keeps the sum of squares from overflowing or underflowing.
  let scale = 0;
  for (let j = start; j < n; j++) scale += Math.abs(work[row + j]);
  if (scale === 0) {
    offDiagonal[k] = 0;
    return 0;
  }
  let sumOfSquares = 0;
  for (let j = start; j < n; j++) {
    const x = work[row + j] / scale;
    work[row + j] = x;
    sumOfSquares += x * x;
  }
  const head = work[row + start];
  // Reflect x onto -sign(x₀)·‖x‖·e₁ so that v₀ = x₀ - α never suffers cancellation.
  const alpha = head >= 0 ? -Math.sqrt(sumOfSquares) : Math.sqrt(sumOfSquares);
  work[row + start] = head - alpha;
  offDiagonal[k] = alpha * scale;
  return 1 / (sumOfSquares - head * alpha); // 2 / vᵀv, since vᵀv = 2(‖x‖² - x₀α)
}

/**
 * Implicit QL with Wilkinson shifts on the tridiagonal (diagonal, offDiagonal).
 * On return `diagonal` holds the eigenvalues (unsorted) and row j of `basis` has been
 * rotated into the eigenvector for diagonal[j].
 */
function diagonalizeTridiagonal(diagonal: Float64Array, offDiagonal: Float64Array, basis: Float64Array, n: number): void {
  const maxIterations = 30 * n;
  offDiagonal[n - 1] = 0;
  // An off-diagonal element below EPSILON·‖T‖ is dropped. That perturbs T no more than the
  // Householder stage already has, and it keeps each unreduced block within ~16 decades: a
  // purely relative test lets strongly graded blocks (the all-ones matrix produces one) span
  // hundreds of decades, and a sweep's chain of rotations then underflows before reaching
  // the top, so the iteration stalls.
  let normOfT = 0;
  for (let i = 0; i < n; i++) normOfT = Math.max(normOfT, Math.abs(diagonal[i]) + Math.abs(offDiagonal[i]));
  const negligible = EPSILON * normOfT;
  const sines = new Float64Array(n); // the current sweep's rotation between rows i and i+1
  const cosines = new Float64Array(n);

  for (let low = 0; low < n; low++) {
    let iterations = 0;
    for (;;) {
      // The unreduced block starts at `low` and ends at the first negligible off-diagonal.
      let high = low;
      while (high < n - 1 && Math.abs(offDiagonal[high]) > negligible) high++;
      if (high === low) break; // diagonal[low] has converged

      if (iterations === maxIterations) {
        throw new ValueError(
          `symmetricEigen: no convergence for eigenvalue ${low} of ${n} after ${maxIterations} QL iterations`,
        );
      }
      iterations++;

      // Wilkinson shift: the eigenvalue of the leading 2×2 block closer to diagonal[low],
      // written in a form that avoids cancellation. `g` starts as d[high] - shift.
      let g = (diagonal[low + 1] - diagonal[low]) / (2 * offDiagonal[low]);
      let r = Math.hypot(g, 1);
      g = diagonal[high] - diagonal[low] + offDiagonal[low] / (g + (g >= 0 ? r : -r));

      // One QL sweep from the bottom of the block up: each Givens rotation (c, s) zeroes the
      // bulge left by the previous one, so the shifted QL step is done without forming T - σI.
      let sine = 1;
      let cosine = 1;
      let shiftCorrection = 0;
      let deflatedEarly = false;
      let lastRotation = high; // the sweep's rotations run from high - 1 down to lastRotation
      for (let i = high - 1; i >= low; i--) {
        const f = sine * offDiagonal[i];
        const b = cosine * offDiagonal[i];
        r = Math.hypot(f, g);
        offDiagonal[i + 1] = r;
        if (r === 0) {
          // The bulge vanished: the block splits here, so undo the pending shift and rescan.
          diagonal[i + 1] -= shiftCorrection;
          offDiagonal[high] = 0;
          deflatedEarly = true;
          break;
        }
        sine = f / r;
        cosine = g / r;
        g = diagonal[i + 1] - shiftCorrection;
        r = (diagonal[i] - g) * sine + 2 * cosine * b;
        shiftCorrection = sine * r;
        diagonal[i + 1] = g + shiftCorrection;
        g = cosine * r - b;
        sines[i] = sine;
        cosines[i] = cosine;
        lastRotation = i;
      }
      if (lastRotation < high) applySweep(basis, n, lastRotation, high - 1, cosines, sines);
      if (deflatedEarly) continue;
      diagonal[low] -= shiftCorrection;
      offDiagonal[low] = g;
      offDiagonal[high] = 0;
    }
  }
}

/**
 * Dot product of `length` elements starting at two offsets. Four running sums break the
 * chain of dependent additions, which is what limits a single-sum loop's speed in V8.
 */
function dot(left: Float64Array, leftStart: number, right: Float64Array, rightStart: number, length: number): number {
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  let index = 0;
  for (; index + 3 < length; index += 4) {
    sum0 += left[leftStart + index] * right[rightStart + index];
    sum1 += left[leftStart + index + 1] * right[rightStart + index + 1];
    sum2 += left[leftStart + index + 2] * right[rightStart + index + 2];
    sum3 += left[leftStart + index + 3] * right[rightStart + index + 3];
  }
  for (; index < length; index++) sum0 += left[leftStart + index] * right[rightStart + index];
  return sum0 + sum1 + (sum2 + sum3);
}

/**
 * y[yStart + t] -= a·x[xStart + t] + b·z[zStart + t] for t < length, then returns the dot
 * product of the updated y with u[uStart ...]. Fusing the two saves a pass over memory;
 * unrolled like `dot`.
 */
function updateRowAndDot(
  y: Float64Array,
  yStart: number,
  a: number,
  x: Float64Array,
  xStart: number,
  b: number,
  z: Float64Array,
  zStart: number,
  u: Float64Array,
  uStart: number,
  length: number,
): number {
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  let index = 0;
  for (; index + 3 < length; index += 4) {
    const yAt = yStart + index;
    const xAt = xStart + index;
    const zAt = zStart + index;
    const uAt = uStart + index;
    const y0 = y[yAt] - (a * x[xAt] + b * z[zAt]);
    const y1 = y[yAt + 1] - (a * x[xAt + 1] + b * z[zAt + 1]);
    const y2 = y[yAt + 2] - (a * x[xAt + 2] + b * z[zAt + 2]);
    const y3 = y[yAt + 3] - (a * x[xAt + 3] + b * z[zAt + 3]);
    y[yAt] = y0;
    y[yAt + 1] = y1;
    y[yAt + 2] = y2;
    y[yAt + 3] = y3;
    sum0 += y0 * u[uAt];
    sum1 += y1 * u[uAt + 1];
    sum2 += y2 * u[uAt + 2];
    sum3 += y3 * u[uAt + 3];
  }
  for (; index < length; index++) {
    const value = y[yStart + index] - (a * x[xStart + index] + b * z[zStart + index]);
    y[yStart + index] = value;
    sum0 += value * u[uStart + index];
  }
  return sum0 + sum1 + (sum2 + sum3);
}

/**
 * Applies one QL sweep's rotations to the rows of `rows` (n×n, row-major): for i from `last`
 * down to `first`, rows i and i+1 become (c·row_i - s·row_{i+1}, s·row_i + c·row_{i+1}).
 * Rotation i is the last to touch row i+1 and hands row i on to rotation i-1, so walking a
 * strip of columns down the whole chain reads and writes each element once, carrying the
 * moving row in registers; eight columns (one cache line) per strip.
 */
function applySweep(
  rows: Float64Array,
  n: number,
  first: number,
  last: number,
  cosines: Float64Array,
  sines: Float64Array,
): void {
  let column = 0;
  for (; column + 7 < n; column += 8) {
    const bottom = (last + 1) * n + column;
    let m0 = rows[bottom];
    let m1 = rows[bottom + 1];
    let m2 = rows[bottom + 2];
    let m3 = rows[bottom + 3];
    let m4 = rows[bottom + 4];
    let m5 = rows[bottom + 5];
    let m6 = rows[bottom + 6];
    let m7 = rows[bottom + 7];
    for (let i = last; i >= first; i--) {
      const c = cosines[i];
      const s = sines[i];
      const at = i * n + column;
      const below = at + n;
      const u0 = rows[at];
      const u1 = rows[at + 1];
      const u2 = rows[at + 2];
      const u3 = rows[at + 3];
      const u4 = rows[at + 4];
      const u5 = rows[at + 5];
      const u6 = rows[at + 6];
      const u7 = rows[at + 7];
      rows[below] = s * u0 + c * m0;
      rows[below + 1] = s * u1 + c * m1;
      rows[below + 2] = s * u2 + c * m2;
      rows[below + 3] = s * u3 + c * m3;
      rows[below + 4] = s * u4 + c * m4;
      rows[below + 5] = s * u5 + c * m5;
      rows[below + 6] = s * u6 + c * m6;
      rows[below + 7] = s * u7 + c * m7;
      m0 = c * u0 - s * m0;
      m1 = c * u1 - s * m1;
      m2 = c * u2 - s * m2;
      m3 = c * u3 - s * m3;
      m4 = c * u4 - s * m4;
      m5 = c * u5 - s * m5;
      m6 = c * u6 - s * m6;
      m7 = c * u7 - s * m7;
    }
    const top = first * n + column;
    rows[top] = m0;
    rows[top + 1] = m1;
    rows[top + 2] = m2;
    rows[top + 3] = m3;
    rows[top + 4] = m4;
    rows[top + 5] = m5;
    rows[top + 6] = m6;
    rows[top + 7] = m7;
  }
  for (; column < n; column++) {
    let moving = rows[(last + 1) * n + column];
    for (let i = last; i >= first; i--) {
      const upper = rows[i * n + column];
      rows[(i + 1) * n + column] = sines[i] * upper + cosines[i] * moving;
      moving = cosines[i] * upper - sines[i] * moving;
    }
    rows[first * n + column] = moving;
  }
}

