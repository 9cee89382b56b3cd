// Builders of small, hand-made files with known contents, shared by the tests.

/** An IDX file: 0, 0, type byte, dimension count, big-endian uint32 dimensions, then `body` as given. */
export function idxBytes(typeByte: number, shape: readonly number[], body: Uint8Array | readonly number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  header[2] = typeByte;
  header[3] = shape.length;
  const view = new DataView(header.buffer);
  shape.forEach((size, d) => view.setUint32(4 + 4 * d, size, false));
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/** Pixel (image i, row r, column c) of the test MNIST images: a value that names its place. */
export const mnistPixel = (i: number, r: number, c: number): number => (i * 31 + r * 7 + c * 3) % 256;

/** `count` 28×28 images with {@link mnistPixel} values and labels `(3·i + 1) mod 10`, as two IDX files. */
export function mnistFiles(count: number): { images: Uint8Array; labels: Uint8Array; labelValues: number[] } {
  const pixels: number[] = [];
  for (let i = 0; i < count; i++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) pixels.push(mnistPixel(i, r, c));
  const labelValues = Array.from({ length: count }, (_, i) => (3 * i + 1) % 10);
  return { images: idxBytes(0x08, [count, 28, 28], pixels), labels: idxBytes(0x08, [count], labelValues), labelValues };
}

/** Byte of channel `ch` at (row r, column c) in CIFAR record `i`. */
export const cifarPixel = (i: number, ch: number, r: number, c: number): number => (i * 13 + ch * 101 + r * 5 + c) % 256;

/** `labels.length` CIFAR-10 records: a label byte, then red, green and blue planes of {@link cifarPixel}. */
export function cifarBytes(labels: readonly number[], first = 0): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((label, k) => {
    const i = first + k;
    const at = k * 3073;
    out[at] = label;
    for (let ch = 0; ch < 3; ch++) for (let r = 0; r < 32; r++) for (let c = 0; c < 32; c++) out[at + 1 + ch * 1024 + r * 32 + c] = cifarPixel(i, ch, r, c);
  });
  return out;
}

/** A small seeded generator of integers for fuzzing (xorshift32), independent of the code under test. */
export function fuzzRandom(seed: number): (limit: number) => number {
  let state = seed >>> 0 || 1;
  return (limit: number): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % limit;
  };
}

/** A damaged copy of `bytes`: truncated, extended or with bits flipped. */
export function damage(bytes: Uint8Array, random: (limit: number) => number): { bytes: Uint8Array; how: string } {
  const kind = random(3);
  if (kind === 0) {
    const length = random(bytes.length);
    return { bytes: bytes.slice(0, length), how: `truncated to ${length}` };
  }
  if (kind === 1) {
    const extra = 1 + random(64);
    const out = new Uint8Array(bytes.length + extra);
    out.set(bytes);
    for (let i = bytes.length; i < out.length; i++) out[i] = random(256);
    return { bytes: out, how: `extended by ${extra}` };
  }
  const out = bytes.slice();
  const flips = 1 + random(4);
  // Mostly near the start, where the headers are.
  for (let f = 0; f < flips; f++) {
    const at = random(2) === 0 ? random(Math.min(out.length, 24)) : random(out.length);
    out[at] ^= 1 << random(8);
  }
  return { bytes: out, how: `${flips} bits flipped` };
}
