// 3×3, stride-1 convolutions by Winograd's minimal filtering F(2×2, 3×3)
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015).
//
// Each 2×2 block of outputs (a tile) of one plane is Aᵀ [U ⊙ V] A, summed
// over input channels, where U = G g Gᵀ is the 4×4 transform of a 3×3
// kernel and V = Bᵀ d B that of the 4×4 input patch under the tile. Summing
// over channels before the inverse transform turns the work into 16
// independent products, one per position ξ of the 4×4 transforms:
//   M_ξ (O, T) = U_ξ (O, C) · V_ξ (C, T),   T = tiles of a chunk of images,
// which the packed SGEMM runs at its full rate. That is 16 multiplies per
// tile and channel pair instead of 36: 2.25× fewer, paid for by the
// transforms (linear in C + O, not in C·O), so the path wins from moderate
// channel counts on. F(4×4, 3×3) saves 4× but its transforms have entries
// up to 8 and lose about one more decimal digit, too many for the float32
// tolerance the conformance kit holds convolutions to (tried: one element of
// a 24-channel kit case fell outside it; docs/BENCHMARKS.md).
//
// Three passes per chunk of images, each split over the threads: transform
// the inputs (one task per image and channel), the 16·groups products (per
// slice of tiles, a slice per thread), and the inverse transform (one task
// per image and output channel). Each output element is computed by the
// same operations whatever the thread count.
// Inputs are vectorised across four horizontally adjacent tiles: a patch
// row for four tiles is 10 consecutive floats, read from a zero-padded copy
// of the four input rows so the padding needs no tests in the inner loop.
#include "winograd.h"
#include "gemm.h"

// Per-group channels of both sides, and the output's height and width, from
// which this path is taken. Measured beside im2col on a 2-core AMD EPYC in
// Node (one process, medians): 16 channels at 8×8…32×32 1.3–1.8× faster on
// one thread and from 0.5× to 1.9× on two (tiny products, noisy machine);
// 2×2 outputs 0.5–0.8× (one tile per plane, the transforms cost more than
// they save), so those stay on im2col.
#ifndef WINOGRAD_MIN_CHANNELS
#define WINOGRAD_MIN_CHANNELS 16
#endif
#ifndef WINOGRAD_MIN_SIZE
#define WINOGRAD_MIN_SIZE 4
#endif
// The weight gradient's products are (O, C) whatever the image size, summed
// over all tiles of a chunk, so smaller outputs than the forward's still pay
// in multiplies; but each of dU's 16·O·C sums then has only as many terms as
// the chunk has tiles, one per image at 2×2 or 3×3 outputs, a quarter of
// im2col's terms per output for dW, and writing and re-reading dU costs more
// than the multiplies saved. Medians of 41 calls, 2 threads, three
// alternating processes: im2col 1.24–1.30× faster at 16×512×2×2 → 512 (5.9
// against 7.3–7.7 ms) and 1.1–1.4× at 64×128×2×2, 16×256×2×2 and
// 32×64×3×3; Winograd 1.3× faster at 16×256×4×4 (on one thread Winograd won
// at 2×2 too, but a choice may not depend on the thread count).
#ifndef WINOGRAD_GRAD_MIN_SIZE
#define WINOGRAD_GRAD_MIN_SIZE 4
#endif
// Transformed inputs and products of one chunk of images, in floats.
#ifndef WINOGRAD_CHUNK_FLOATS
#define WINOGRAD_CHUNK_FLOATS (2u << 20)
#endif
// Chunks hold whole images: past this many floats of V and M for one image
// (a 16·(C + O)·tiles block; 128 MB) the convolution stays on im2col.
#define WINOGRAD_MAX_IMAGE_FLOATS (32u << 20)
// Widest column slice of one product task.
#ifndef WINOGRAD_SLICE_COLUMNS
#define WINOGRAD_SLICE_COLUMNS 1024
#endif

// Whether the path can run this convolution at all, with enough channels a group.
static int winograd_fits(const WinogradConv* c) {
  if (c->groups < 1 || c->inChannels % c->groups != 0 || c->outChannels % c->groups != 0) return 0;
  if (c->padHeight < 0 || c->padHeight > 2 || c->padWidth < 0 || c->padWidth > 2) return 0;
  if (c->outHeight != c->inHeight + 2 * c->padHeight - 2 || c->outWidth != c->inWidth + 2 * c->padWidth - 2) return 0;
  u64 tiles = (u64)((c->outHeight + 1) / 2) * (u64)((c->outWidth + 1) / 2);
  if (16u * (u64)(c->inChannels + c->outChannels) * tiles > WINOGRAD_MAX_IMAGE_FLOATS) return 0;
  return c->inChannels / c->groups >= WINOGRAD_MIN_CHANNELS && c->outChannels / c->groups >= WINOGRAD_MIN_CHANNELS;
}

int winograd_pays(const WinogradConv* c) {
  return winograd_fits(c) && c->outHeight >= WINOGRAD_MIN_SIZE && c->outWidth >= WINOGRAD_MIN_SIZE;
}

int winograd_weight_grad_pays(const WinogradConv* c) {
  return winograd_fits(c) && c->outHeight >= WINOGRAD_GRAD_MIN_SIZE && c->outWidth >= WINOGRAD_GRAD_MIN_SIZE;
}

typedef struct {
  const WinogradConv* c;
  const float* x;
  const float* weight;
  float* out;
  int inGroup, outGroup, tilesHigh, tilesWide, tilesPerImage, stripWidth;
  int slices, sliceColumns;
  int blockRows, rowBlocks;  // weight gradient: output channels per product task
  float* u;       // (16, O, C/groups)
  float* v;       // (16, C, ld)
  float* m;       // (16, O, ld)
  float* pack;    // packFloats per thread
  float* strips;  // 4 rows of stripWidth per thread
  u32 packFloats;
  int first, tiles, ld;  // the chunk: images first…, its tiles, and the row stride of v and m
  i64 uStride, vStride, mStride;  // floats from one position ξ of u, v, m to the next
} Winograd;

// The first n lanes of v to p.
INLINE void store_lanes(float* p, v128_t v, int n) {
  if (n >= 4) {
    wasm_v128_store(p, v);
    return;
  }
  p[0] = wasm_f32x4_extract_lane(v, 0);
  if (n > 1) p[1] = wasm_f32x4_extract_lane(v, 1);
  if (n > 2) p[2] = wasm_f32x4_extract_lane(v, 2);
}

// ---------------------------------------------------------------------------
// U = G g Gᵀ, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], for every kernel of output
// channel `task`; the gradient flips each kernel and swaps its channels.

static void weight_task(void* args, int o, int thread) {
  const Winograd* w = (const Winograd*)args;
  const WinogradConv* c = w->c;
  int group = o / w->outGroup, local = o % w->outGroup;
  for (int i = 0; i < w->inGroup; i++) {
    float k[9];
    if (!c->inputGrad) {
      const float* src = w->weight + ((i64)o * w->inGroup + i) * 9;
      for (int t = 0; t < 9; t++) k[t] = src[t];
    } else {
      // Forward weight (O, C/groups, 3, 3): here the input channels are its outputs.
      const float* src = w->weight + ((i64)(group * w->inGroup + i) * w->outGroup + local) * 9;
      for (int t = 0; t < 9; t++) k[t] = src[8 - t];
    }
    float rows[4][3];  // G g
    for (int j = 0; j < 3; j++) {
      float g0 = k[j], g1 = k[3 + j], g2 = k[6 + j];
      rows[0][j] = g0;
      rows[1][j] = 0.5f * (g0 + g1 + g2);
      rows[2][j] = 0.5f * (g0 - g1 + g2);
      rows[3][j] = g2;
    }
    for (int r = 0; r < 4; r++) {
      float g0 = rows[r][0], g1 = rows[r][1], g2 = rows[r][2];
      float u[4] = {g0, 0.5f * (g0 + g1 + g2), 0.5f * (g0 - g1 + g2), g2};
      for (int j = 0; j < 4; j++) w->u[(r * 4 + j) * w->uStride + (i64)o * w->inGroup + i] = u[j];
    }
  }
}

// ---------------------------------------------------------------------------
// V = Bᵀ d B, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], for every tile of
// one channel of one image: element (ξ, channel, tile) of v.

static void input_task(void* args, int task, int thread) {
  // Copies (see TaskFn), as the other transforms take: ResNet-18's 128-channel 8×8
  // layer on 2 threads 3.83–3.87 → 3.71–3.73 ms forward, 4.04–4.13 → 3.86–3.94 weight gradient.
  const Winograd local = *(const Winograd*)args;
  const Winograd* w = &local;
  const WinogradConv conv = *w->c;
  const WinogradConv* c = &conv;
  int image = task / c->inChannels, channel = task % c->inChannels;
  int height = c->inHeight, width = c->inWidth, padW = c->padWidth;
  const float* plane = w->x + ((i64)(w->first + image) * c->inChannels + channel) * height * width;
  float* strip = w->strips + (u32)thread * 4u * (u32)w->stripWidth;
  i64 positionStride = w->vStride;
  float* v = w->v + (i64)channel * w->ld + (i64)image * w->tilesPerImage;
  for (int th = 0; th < w->tilesHigh; th++) {
    // Column j of the strip holds input column j − padW, zero outside.
    for (int r = 0; r < 4; r++) {
      float* row = strip + r * w->stripWidth;
      int ih = 2 * th - c->padHeight + r;
      if (ih < 0 || ih >= height) {
        zero_floats(row, w->stripWidth);
        continue;
      }
      for (int j = 0; j < padW; j++) row[j] = 0;
      copy_floats(row + padW, plane + (i64)ih * width, width);
      zero_floats(row + padW + width, w->stripWidth - padW - width);
    }
    float* tiles = v + (i64)th * w->tilesWide;
    for (int tw = 0; tw < w->tilesWide; tw += 4) {
      int count = min_int(4, w->tilesWide - tw);
      v128_t e[4][4];  // d B, across 4 tiles
      for (int r = 0; r < 4; r++) {
        // Tile tw + l reads columns 2(tw + l) … 2(tw + l) + 3 of the strip.
        const float* s = strip + r * w->stripWidth + 2 * tw;
        v128_t l0 = wasm_v128_load(s), l1 = wasm_v128_load(s + 4), l2 = wasm_v128_load(s + 8);
        v128_t d0 = wasm_i32x4_shuffle(l0, l1, 0, 2, 4, 6), d1 = wasm_i32x4_shuffle(l0, l1, 1, 3, 5, 7);
        v128_t d2 = wasm_i32x4_shuffle(d0, l2, 1, 2, 3, 4), d3 = wasm_i32x4_shuffle(d1, l2, 1, 2, 3, 5);
        e[r][0] = wasm_f32x4_sub(d0, d2);
        e[r][1] = wasm_f32x4_add(d1, d2);
        e[r][2] = wasm_f32x4_sub(d2, d1);
        e[r][3] = wasm_f32x4_sub(d1, d3);
      }
      for (int j = 0; j < 4; j++) {
        float* to = tiles + tw + (i64)j * positionStride;
        store_lanes(to, wasm_f32x4_sub(e[0][j], e[2][j]), count);
        store_lanes(to + 4 * positionStride, wasm_f32x4_add(e[1][j], e[2][j]), count);
        store_lanes(to + 8 * positionStride, wasm_f32x4_sub(e[2][j], e[1][j]), count);
        store_lanes(to + 12 * positionStride, wasm_f32x4_sub(e[1][j], e[3][j]), count);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// The 16·groups products M_ξ,g = U_ξ,g · V_ξ,g, a slice of columns each,
// slice by slice: with a slice per thread, each thread multiplies the tiles
// of the images it transformed (the pool hands out contiguous shares first)
// and the output transform of those images finds their products in its cache.

static void product_task(void* args, int task, int thread) {
  const Winograd* w = (const Winograd*)args;
  const WinogradConv* c = w->c;
  int perSlice = 16 * c->groups;
  int slice = task / perSlice, position = task % perSlice / c->groups, group = task % c->groups;
  int start = slice * w->sliceColumns;
  int columns = min_int(w->sliceColumns, w->tiles - start);
  if (columns <= 0) return;
  const float* a = w->u + position * w->uStride + (i64)group * w->outGroup * w->inGroup;
  const float* b = w->v + position * w->vStride + (i64)group * w->inGroup * w->ld + start;
  float* product = w->m + position * w->mStride + (i64)group * w->outGroup * w->ld + start;
  sgemm(w->outGroup, columns, w->inGroup, a, w->inGroup, 1, b, w->ld, 1, product, w->ld, 0,
        w->pack + (u32)thread * w->packFloats);
}

// ---------------------------------------------------------------------------
// Y = Aᵀ M A, Aᵀ = [1 1 1 0; 0 1 −1 −1], for every tile of one output plane.

static void output_task(void* args, int task, int thread) {
  const Winograd local = *(const Winograd*)args;
  const Winograd* w = &local;
  const WinogradConv conv = *w->c;
  const WinogradConv* c = &conv;
  int image = task / c->outChannels, channel = task % c->outChannels;
  int outHeight = c->outHeight, outWidth = c->outWidth;
  float* plane = w->out + ((i64)(w->first + image) * c->outChannels + channel) * outHeight * outWidth;
  i64 positionStride = w->mStride;
  const float* m = w->m + (i64)channel * w->ld + (i64)image * w->tilesPerImage;
  for (int th = 0; th < w->tilesHigh; th++) {
    const float* tiles = m + (i64)th * w->tilesWide;
    for (int tw = 0; tw < w->tilesWide; tw += 4) {
      // Loads may run past this row's tiles (m has 4 floats of slack); those lanes are not stored.
      v128_t s[2][4];  // Aᵀ M, across 4 tiles
      for (int j = 0; j < 4; j++) {
        const float* from = tiles + tw + (i64)j * positionStride;
        v128_t m0 = wasm_v128_load(from), m1 = wasm_v128_load(from + 4 * positionStride);
        v128_t m2 = wasm_v128_load(from + 8 * positionStride), m3 = wasm_v128_load(from + 12 * positionStride);
        s[0][j] = wasm_f32x4_add(wasm_f32x4_add(m0, m1), m2);
        s[1][j] = wasm_f32x4_sub(wasm_f32x4_sub(m1, m2), m3);
      }
      int columns = min_int(8, outWidth - 2 * tw);
      for (int i = 0; i < 2; i++) {
        int oh = 2 * th + i;
        if (oh >= outHeight) break;
        v128_t y0 = wasm_f32x4_add(wasm_f32x4_add(s[i][0], s[i][1]), s[i][2]);
        v128_t y1 = wasm_f32x4_sub(wasm_f32x4_sub(s[i][1], s[i][2]), s[i][3]);
        v128_t low = wasm_i32x4_shuffle(y0, y1, 0, 4, 1, 5), high = wasm_i32x4_shuffle(y0, y1, 2, 6, 3, 7);
        float* row = plane + (i64)oh * outWidth + 2 * tw;
        if (columns == 8) {
          wasm_v128_store(row, low);
          wasm_v128_store(row + 4, high);
        } else {
          float both[8];
          wasm_v128_store(both, low);
          wasm_v128_store(both + 4, high);
          for (int k = 0; k < columns; k++) row[k] = both[k];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------

// Rows of v and m, and the 16 positions ξ of u, v and m, lie a cache line
// further apart than their data needs. At ResNet-18's sizes both strides were multiples of
// 4 KB (1024 or 256 tiles a chunk), so a tile group's 16 stores (and the
// output transform's 16 loads) fell in one L1 set, as did the rows the SGEMM
// packs down a column.
#define LINE_FLOATS 16

// Points w at the chunk of `images` images from `first` on.
static void set_chunk(Winograd* w, int first, int images) {
  w->first = first;
  w->tiles = images * w->tilesPerImage;
  w->ld = w->tiles + LINE_FLOATS;
  w->vStride = (i64)w->c->inChannels * w->ld + LINE_FLOATS;
  w->mStride = (i64)w->c->outChannels * w->ld + LINE_FLOATS;
}

// The geometry both directions share; returns how many images a chunk holds.
static int winograd_setup(Winograd* w, const WinogradConv* c, const float* x, const float* weight, float* out) {
  w->c = c;
  w->x = x;
  w->weight = weight;
  w->out = out;
  w->inGroup = c->inChannels / c->groups;
  w->outGroup = c->outChannels / c->groups;
  w->uStride = (i64)c->outChannels * w->inGroup + LINE_FLOATS;
  w->tilesHigh = (c->outHeight + 1) / 2;
  w->tilesWide = (c->outWidth + 1) / 2;
  w->tilesPerImage = w->tilesHigh * w->tilesWide;
  // Room for the padded row and the last 4-tile group's 12-float reads; a
  // multiple of 4, so a thread's 4 rows are whole cache lines (fathom.h).
  w->stripWidth = round_up(2 * w->tilesWide + 12, 4);
  u32 perImage = 16u * (u32)(c->inChannels + c->outChannels) * (u32)w->tilesPerImage;
  int count = (int)(WINOGRAD_CHUNK_FLOATS / perImage);
  if (count < 1) count = 1;
  return count > c->batch ? c->batch : count;
}

void winograd_conv3x3(const WinogradConv* c, const float* x, const float* weight, float* out) {
  Winograd w;
  int count = winograd_setup(&w, c, x, weight, out);
  int maxTiles = count * w.tilesPerImage;
  int threads = thread_count();
  // Column slices never change a product's bits, so their width may follow the thread count.
  w.sliceColumns = min_int(round_up((maxTiles + threads - 1) / threads, NR), WINOGRAD_SLICE_COLUMNS);
  w.packFloats = gemm_pack_floats(w.outGroup, w.sliceColumns, w.inGroup);
  set_chunk(&w, 0, count);
  u32 uFloats = 16u * (u32)w.uStride;
  u32 vFloats = 16u * (u32)w.vStride;
  u32 mFloats = whole_lines(16u * (u32)w.mStride + 4u);  // 4 floats of slack
  u32 stripFloats = 4u * (u32)w.stripWidth;
  float* scratch = (float*)fathom_scratch((uFloats + vFloats + mFloats + (w.packFloats + stripFloats) * (u32)threads) * 4u);
  w.u = scratch;
  w.v = w.u + uFloats;
  w.m = w.v + vFloats;
  w.pack = w.m + mFloats;
  w.strips = w.pack + w.packFloats * (u32)threads;
  parallel_for(weight_task, &w, c->outChannels);
  for (int first = 0; first < c->batch; first += count) {
    int images = min_int(count, c->batch - first);
    set_chunk(&w, first, images);
    w.slices = (w.tiles + w.sliceColumns - 1) / w.sliceColumns;
    parallel_for(input_task, &w, images * c->inChannels);
    parallel_for(product_task, &w, 16 * c->groups * w.slices);
    parallel_for(output_task, &w, images * c->outChannels);
  }
}

// ---------------------------------------------------------------------------
// Weight gradient. The forward pass is y = Aᵀ [Σ_c U_oc ⊙ V_c] A per tile, so
//   dU_oc = Σ_tiles (A dY Aᵀ) ⊙ V_c,   dg_oc = Gᵀ dU_oc G,
// and the sum over tiles is again 16 products, one per position ξ:
//   dU_ξ (O, C) = M̂_ξ (O, T) · V_ξ (C, T)ᵀ,   M̂ = A dY Aᵀ of each 2×2 gradOut block,
// 16 multiplies per tile and channel pair instead of im2col's 36, with the
// long sum over all images' tiles inside the SGEMM (none of dW is re-read per
// image or per column block). Chunks of images add into dU in order, and each
// product task owns a block of dU's rows, so the bits never depend on the
// number of threads.

// Output channels of one product task: a multiple of the micro-kernel's rows,
// fixed by the shape alone.
#ifndef WINOGRAD_GRAD_BLOCK_ROWS
#define WINOGRAD_GRAD_BLOCK_ROWS 64
#endif

// M̂ = A y Aᵀ, A = [1 0; 1 1; 1 −1; 0 −1], for every 2×2 block y of one gradOut
// plane (zero past its edges): element (ξ, channel, tile) of m.
static void grad_out_task(void* args, int task, int thread) {
  const Winograd local = *(const Winograd*)args;
  const Winograd* w = &local;
  const WinogradConv conv = *w->c;
  const WinogradConv* c = &conv;
  int image = task / c->outChannels, channel = task % c->outChannels;
  int height = c->outHeight, width = c->outWidth;
  const float* plane = w->weight + ((i64)(w->first + image) * c->outChannels + channel) * height * width;
  float* strip = w->strips + (u32)thread * 4u * (u32)w->stripWidth;
  i64 positionStride = w->mStride;
  float* m = w->m + (i64)channel * w->ld + (i64)image * w->tilesPerImage;
  for (int th = 0; th < w->tilesHigh; th++) {
    for (int r = 0; r < 2; r++) {
      float* row = strip + r * w->stripWidth;
      int oh = 2 * th + r;
      if (oh >= height) {
        zero_floats(row, w->stripWidth);
        continue;
      }
      copy_floats(row, plane + (i64)oh * width, width);
      zero_floats(row + width, w->stripWidth - width);
    }
    float* tiles = m + (i64)th * w->tilesWide;
    for (int tw = 0; tw < w->tilesWide; tw += 4) {
      int count = min_int(4, w->tilesWide - tw);
      v128_t y[2][2];  // y[row][column] across 4 tiles
      for (int r = 0; r < 2; r++) {
        const float* s = strip + r * w->stripWidth + 2 * tw;
        v128_t l0 = wasm_v128_load(s), l1 = wasm_v128_load(s + 4);
        y[r][0] = wasm_i32x4_shuffle(l0, l1, 0, 2, 4, 6);
        y[r][1] = wasm_i32x4_shuffle(l0, l1, 1, 3, 5, 7);
      }
      // A y, column by column; then each of its rows (a, b) times Aᵀ: (a, a + b, a − b, −b).
      v128_t left[4] = {y[0][0], wasm_f32x4_add(y[0][0], y[1][0]), wasm_f32x4_sub(y[0][0], y[1][0]), wasm_f32x4_neg(y[1][0])};
      v128_t right[4] = {y[0][1], wasm_f32x4_add(y[0][1], y[1][1]), wasm_f32x4_sub(y[0][1], y[1][1]), wasm_f32x4_neg(y[1][1])};
      for (int i = 0; i < 4; i++) {
        float* to = tiles + tw + (i64)(4 * i) * positionStride;
        store_lanes(to, left[i], count);
        store_lanes(to + positionStride, wasm_f32x4_add(left[i], right[i]), count);
        store_lanes(to + 2 * positionStride, wasm_f32x4_sub(left[i], right[i]), count);
        store_lanes(to + 3 * positionStride, wasm_f32x4_neg(right[i]), count);
      }
    }
  }
}

// Both transforms of a chunk in one pass: the inputs' tasks, then gradOut's.
static void transform_task(void* args, int task, int thread) {
  const Winograd* w = (const Winograd*)args;
  int inputs = (w->tiles / w->tilesPerImage) * w->c->inChannels;
  if (task < inputs) input_task(args, task, thread);
  else grad_out_task(args, task - inputs, thread);
}

// dU_ξ,g += M̂_ξ,g · V_ξ,gᵀ for one block of output channels.
static void grad_product_task(void* args, int task, int thread) {
  const Winograd* w = (const Winograd*)args;
  const WinogradConv* c = w->c;
  int perPosition = c->groups * w->rowBlocks;
  int position = task / perPosition, group = task % perPosition / w->rowBlocks, block = task % w->rowBlocks;
  int start = block * w->blockRows;
  int rows = min_int(w->blockRows, w->outGroup - start);
  i64 row = (i64)group * w->outGroup + start;  // within position ξ
  const float* a = w->m + position * w->mStride + row * w->ld;
  // V_ξ,gᵀ (T, C/groups): element (t, i) of V_ξ,g (C/groups, T) is at i·ld + t.
  const float* b = w->v + position * w->vStride + (i64)group * w->inGroup * w->ld;
  sgemm(rows, w->inGroup, w->tiles, a, w->ld, 1, b, 1, w->ld, w->u + position * w->uStride + row * w->inGroup, w->inGroup, w->first > 0,
        w->pack + (u32)thread * w->packFloats);
}

// dg = Gᵀ dU G, Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1], for every kernel of output
// channel `o`, four input channels at a time.
INLINE void grad_kernel_rows(v128_t u0, v128_t u1, v128_t u2, v128_t u3, v128_t* t) {
  v128_t half = wasm_f32x4_splat(0.5f);
  v128_t sum = wasm_f32x4_mul(half, wasm_f32x4_add(u1, u2));
  t[0] = wasm_f32x4_add(u0, sum);
  t[1] = wasm_f32x4_mul(half, wasm_f32x4_sub(u1, u2));
  t[2] = wasm_f32x4_add(sum, u3);
}

static void grad_weight_task(void* args, int o, int thread) {
  const Winograd* w = (const Winograd*)args;
  i64 positionStride = w->uStride;
  for (int i = 0; i < w->inGroup; i += 4) {
    int count = min_int(4, w->inGroup - i);
    const float* from = w->u + (i64)o * w->inGroup + i;
    v128_t u[16];
    for (int xi = 0; xi < 16; xi++) {
      const float* p = from + xi * positionStride;
      u[xi] = count == 4 ? wasm_v128_load(p) : wasm_f32x4_make(p[0], count > 1 ? p[1] : 0, count > 2 ? p[2] : 0, 0);
    }
    v128_t rows[3][4];  // Gᵀ dU
    for (int j = 0; j < 4; j++) {
      v128_t t[3];
      grad_kernel_rows(u[j], u[4 + j], u[8 + j], u[12 + j], t);
      for (int r = 0; r < 3; r++) rows[r][j] = t[r];
    }
    // Lane l of k[3r + s] is tap (r, s) of channel i + l; channel by channel they are 9 floats apart.
    v128_t k[9];
    for (int r = 0; r < 3; r++) grad_kernel_rows(rows[r][0], rows[r][1], rows[r][2], rows[r][3], k + 3 * r);
    float* to = w->out + ((i64)o * w->inGroup + i) * 9;
    if (count == 4) {
      for (int t = 0; t < 9; t++) {
        to[t] = wasm_f32x4_extract_lane(k[t], 0);
        to[9 + t] = wasm_f32x4_extract_lane(k[t], 1);
        to[18 + t] = wasm_f32x4_extract_lane(k[t], 2);
        to[27 + t] = wasm_f32x4_extract_lane(k[t], 3);
      }
    } else {
      float lanes[9][4];
      for (int t = 0; t < 9; t++) wasm_v128_store(lanes[t], k[t]);
      for (int l = 0; l < count; l++) for (int t = 0; t < 9; t++) to[9 * l + t] = lanes[t][l];
    }
  }
}

void winograd_weight_grad3x3(const WinogradConv* c, const float* x, const float* gradOut, float* dw) {
  Winograd w;
  int count = winograd_setup(&w, c, x, gradOut, dw);
  w.blockRows = min_int(w.outGroup, WINOGRAD_GRAD_BLOCK_ROWS);
  w.rowBlocks = (w.outGroup + w.blockRows - 1) / w.blockRows;
  int maxTiles = count * w.tilesPerImage;
  int threads = thread_count();
  w.packFloats = gemm_pack_floats(w.blockRows, w.inGroup, maxTiles);
  set_chunk(&w, 0, count);
  u32 uFloats = 16u * (u32)w.uStride;
  u32 vFloats = 16u * (u32)w.vStride;
  u32 mFloats = 16u * (u32)w.mStride;
  u32 stripFloats = 4u * (u32)w.stripWidth;
  float* scratch = (float*)fathom_scratch((uFloats + vFloats + mFloats + (w.packFloats + stripFloats) * (u32)threads) * 4u);
  w.u = scratch;
  w.v = w.u + uFloats;
  w.m = w.v + vFloats;
  w.pack = w.m + mFloats;
  w.strips = w.pack + w.packFloats * (u32)threads;
  for (int first = 0; first < c->batch; first += count) {
    int images = min_int(count, c->batch - first);
    set_chunk(&w, first, images);
    parallel_for(transform_task, &w, images * (c->inChannels + c->outChannels));
    parallel_for(grad_product_task, &w, 16 * c->groups * w.rowBlocks);
  }
  parallel_for(grad_weight_task, &w, c->outChannels);
}
