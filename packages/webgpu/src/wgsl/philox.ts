// Philox-4x32-10 in WGSL, following core's random/philox.ts step for step so
// every backend draws the same stream. WGSL has no 64-bit product, so the
// high word of a 32×32 product is assembled from 16-bit halves.

/** WGSL functions `mulhi(a, b)` and `philox(c0, c1, k0, k1) -> vec4<u32>`. */
export const PHILOX_WGSL = `fn mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}
fn philox(c0: u32, c1: u32, k0: u32, k1: u32) -> vec4<u32> {
  var x0 = c0;
  var x1 = c1;
  var x2 = 0u;
  var x3 = 0u;
  var key0 = k0;
  var key1 = k1;
  for (var round = 0; round < 10; round++) {
    let hi0 = mulhi(0xd2511f53u, x0);
    let lo0 = 0xd2511f53u * x0;
    let hi1 = mulhi(0xcd9e8d57u, x2);
    let lo1 = 0xcd9e8d57u * x2;
    x0 = hi1 ^ x1 ^ key0;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ key1;
    x3 = lo0;
    key0 = key0 + 0x9e3779b9u;
    key1 = key1 + 0xbb67ae85u;
  }
  return vec4<u32>(x0, x1, x2, x3);
}`;
