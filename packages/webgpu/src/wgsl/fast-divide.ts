/**
 * Dividends below this may take the f32 path of `quot` / `rem`: the
 * quotient is then under 2^21, where a product with a reciprocal that WGSL
 * lets a device round within 2.5 ULP still lands within 1 of the true
 * quotient, and one integer step corrects it.
 */
export const FAST_DIVIDE_LIMIT = 1 << 21;

/**
 * WGSL `quot(n, d)` and `rem(n, d)` for u32 with d > 0. Integer division by
 * a value known only at run time is a long instruction sequence on a GPU
 * and a scalar loop over the lanes on lavapipe; `fast` (every dividend
 * below {@link FAST_DIVIDE_LIMIT}) multiplies by the f32 reciprocal instead,
 * exact after the correction (which even an IEEE-exact division would need
 * here: `n · (1/d)` is often just below a whole quotient).
 */
export function divisionFunctions(fast: boolean): string {
  const quotient = fast
    ? `let q = u32(f32(n) * (1.0 / f32(d)));
  let r = i32(n) - i32(q * d);
  return q + select(0u, 1u, r >= i32(d)) - select(0u, 1u, r < 0);`
    : 'return n / d;';
  return `fn quot(n: u32, d: u32) -> u32 {
  ${quotient}
}
fn rem(n: u32, d: u32) -> u32 {
  return n - quot(n, d) * d;
}`;
}
