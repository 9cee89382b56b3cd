// Direct stride-1 convolutions for layers with few channels, forward and
// input gradient.
//
// With few output channels (LeNet's 6 and 16) im2col + GEMM spends as long
// unfolding the input as multiplying: each unfolded value is used by only
// O_g multiply-adds. Here each image is copied once into a zero-padded buffer
// and a register tile of 4 output channels × 8 output columns accumulates
// over the taps straight from its rows, the same 8 accumulators the GEMM's
// micro-kernel keeps (gemm.c), with no column matrix at all.
//
// The input gradient of a stride-1 convolution padded by p is the stride-1
// convolution of gradOut padded by k − 1 − p with the flipped, transposed
// weights, so it runs through the same tile.
#include "conv_direct.h"

#define OB 4  // output channels per tile
#define VB 2  // float32x4 columns per tile

// Few enough channels for the direct path to beat im2col (measured in
// tools/bench on LeNet's and CIFAR-sized layers; see conv2d.c's header).
#ifndef DIRECT_MAX_OUT
#define DIRECT_MAX_OUT 16
#endif
#ifndef DIRECT_MAX_TAPS
#define DIRECT_MAX_TAPS 1024
#endif

typedef struct {
  int batch, groups, cin, cout;  // channels per group
  int inH, inW, outH, outW, kH, kW, padH, padW;
  int paddedH, paddedW, blocks, splits, taps;
  const i32* offsets;   // per tap (c, kh, kw): c·paddedH·paddedW + kh·paddedW + kw
  const float* x;
  const float* bias;    // forward: one per output channel, added as each output is stored; else null
  float* out;
  const float* packed;  // [group][block][tap][OB]: OB output channels' weights per tap
  float* pads;          // per thread: one padded image of a group (cin, paddedH, paddedW)
  u32 padFloats;
} Direct;

static int round_up4(int x) { return (x + 3) & ~3; }

static int applies(const ConvGeometry* g, int cout, int taps, int outW, int flippedPadH, int flippedPadW) {
  return g->strideHeight == 1 && g->strideWidth == 1 && g->dilationHeight == 1 && g->dilationWidth == 1 &&
         flippedPadH >= 0 && flippedPadW >= 0 && cout <= DIRECT_MAX_OUT && taps <= DIRECT_MAX_TAPS && outW >= 6;
}

int direct_conv_pays(const ConvGeometry* g, int kind) {
  int cin = g->inChannels / g->groups, cout = g->outChannels / g->groups;
  int flippedPadH = g->kernelHeight - 1 - g->padHeight, flippedPadW = g->kernelWidth - 1 - g->padWidth;
  // The input gradient runs over gradOut padded by k − 1 − p: where that
  // padding is wide (a 5×5 kernel unpadded), most of its products are of zeros.
  if (kind == DIRECT_INPUT_GRAD) {
    return 4 * g->inHeight * g->inWidth <= 5 * g->outHeight * g->outWidth &&
           applies(g, cin, cout * g->kernelHeight * g->kernelWidth, g->inWidth, flippedPadH, flippedPadW);
  }
  // The forward convolution and the weight gradient read the input padded by p.
  return applies(g, cout, cin * g->kernelHeight * g->kernelWidth, g->outWidth, g->padHeight, g->padWidth);
}

// Packs the weights of one block of output channels: tap t = (c, kh, kw)
// holds OB values, zero past the last channel. `flipped`: the input
// gradient's weights, w'[c][o][kh][kw] = w[o][c][kH−1−kh][kW−1−kw], from the
// forward weight (O, C/groups, kH, kW) of group `group`.
static void pack_block(const Direct* d, const float* weight, int group, int block, int flipped, float* to) {
  int taps = d->kH * d->kW;
  for (int c = 0; c < d->cin; c++) {
    for (int t = 0; t < taps; t++, to += OB) {
      for (int i = 0; i < OB; i++) {
        int o = block * OB + i;
        float value = 0;
        if (o < d->cout) {
          // Forward: (group·cout + o, c, t). Flipped: the forward weight (group·cin + c, o, taps−1−t),
          // where this conv's cin is the forward's output channels and its cout the forward's input channels.
          value = flipped ? weight[(((i64)group * d->cin + c) * d->cout + o) * taps + (taps - 1 - t)]
                          : weight[(((i64)group * d->cout + o) * d->cin + c) * taps + t];
        }
        to[i] = value;
      }
    }
  }
}

// out[i][v] (output channel i of the tile, columns 4v…4v+3) over every tap,
// from `in`: the padded image at the tile's first row and column. One flat
// loop over the taps, their offsets in the padded image precomputed, so a
// 5×5 kernel is not five loops of five steps. With `bias` (the tile's first
// channel's), bias[i] is added to the sum as it is stored: the rounding of a
// separate add after the convolution, without its pass over the output.
INLINE void tile(const Direct* d, const float* in, const float* w, const float* bias, int ob, int vb, float* out, int columns) {
  v128_t acc[OB][VB];
  for (int i = 0; i < OB; i++) {
    for (int v = 0; v < VB; v++) acc[i][v] = wasm_f32x4_splat(0);
  }
  const i32* offset = d->offsets;
  for (int t = 0; t < d->taps; t++, w += OB) {
    const float* at = in + offset[t];
    v128_t x[VB];
    for (int v = 0; v < vb; v++) x[v] = wasm_v128_load(at + 4 * v);
    for (int i = 0; i < ob; i++) {
      v128_t weight = wasm_v128_load32_splat(w + i);
      for (int v = 0; v < vb; v++) acc[i][v] = wasm_f32x4_add(acc[i][v], wasm_f32x4_mul(weight, x[v]));
    }
  }
  int outPlane = d->outH * d->outW;
  for (int i = 0; i < ob; i++) {
    float* o = out + (i64)i * outPlane;
    if (bias) {
      v128_t b = wasm_v128_load32_splat(bias + i);
      for (int v = 0; v < vb; v++) acc[i][v] = wasm_f32x4_add(acc[i][v], b);
    }
    for (int v = 0; v < vb; v++) {
      if (4 * v + 4 <= columns) {
        wasm_v128_store(o + 4 * v, acc[i][v]);
      } else {
        // The row's last columns: a full store would run into the next row.
        float lanes[4];
        wasm_v128_store(lanes, acc[i][v]);
        for (int l = 0; 4 * v + l < columns; l++) o[4 * v + l] = lanes[l];
      }
    }
  }
}

// The tile for every count of channels and columns, each with constant trip
// counts so the accumulators stay in registers.
static void run_tile(const Direct* d, const float* in, const float* w, const float* bias, int ob, int vb, float* out, int columns) {
#define CASE(o, v) \
  case (o) * 4 + (v): tile(d, in, w, bias, o, v, out, columns); break;
  switch (ob * 4 + vb) {
    CASE(4, 2) CASE(4, 1) CASE(3, 2) CASE(3, 1) CASE(2, 2) CASE(2, 1) CASE(1, 2) CASE(1, 1)
  }
#undef CASE
}

// Task (image, group, split): a split's share of the blocks of output channels.
static void direct_task(void* args, int task, int thread) {
  // A copy (see TaskFn): LeNet-5's second layer on 2 threads 0.72–0.74 → 0.52–0.53 ms.
  const Direct local = *(const Direct*)args;
  const Direct* d = &local;
  int split = task % d->splits, unit = task / d->splits;
  int n = unit / d->groups, group = unit % d->groups;
  float* pad = d->pads + (u32)thread * d->padFloats;
  memset(pad, 0, (size_t)d->padFloats * 4);
  const float* x = d->x + ((i64)n * d->groups + group) * d->cin * d->inH * d->inW;
  for (int c = 0; c < d->cin; c++) {
    for (int h = 0; h < d->inH; h++) {
      copy_floats(pad + ((i64)c * d->paddedH + h + d->padH) * d->paddedW + d->padW, x + ((i64)c * d->inH + h) * d->inW, d->inW);
    }
  }
  int perSplit = (d->blocks + d->splits - 1) / d->splits;
  int first = split * perSplit, last = first + perSplit < d->blocks ? first + perSplit : d->blocks;
  int taps = d->cin * d->kH * d->kW, outPlane = d->outH * d->outW;
  float* out = d->out + ((i64)n * d->groups + group) * d->cout * outPlane;
  for (int block = first; block < last; block++) {
    const float* w = d->packed + ((i64)group * d->blocks + block) * taps * OB;
    int ob = d->cout - block * OB < OB ? d->cout - block * OB : OB;
    float* outBlock = out + (i64)block * OB * outPlane;
    const float* bias = d->bias ? d->bias + (i64)group * d->cout + block * OB : 0;
    for (int oh = 0; oh < d->outH; oh++) {
      for (int ow = 0; ow < d->outW; ow += 4 * VB) {
        int columns = d->outW - ow < 4 * VB ? d->outW - ow : 4 * VB;
        run_tile(d, pad + (i64)oh * d->paddedW + ow, w, bias, ob, (columns + 3) / 4, outBlock + (i64)oh * d->outW + ow, columns);
      }
    }
  }
}

static void run(Direct* d, const float* weight, int flipped) {
  d->paddedH = d->inH + 2 * d->padH;
  d->paddedW = round_up4(d->outW) + d->kW - 1 + 4;  // whole vectors past the last column stay inside
  d->blocks = (d->cout + OB - 1) / OB;
  int threads = thread_count(), units = d->batch * d->groups;
  d->splits = units >= 2 * threads ? 1 : d->blocks;
  d->padFloats = whole_lines((u32)d->cin * (u32)d->paddedH * (u32)d->paddedW);
  d->taps = d->cin * d->kH * d->kW;
  u32 packedFloats = whole_lines((u32)d->groups * (u32)d->blocks * (u32)d->taps * OB);
  float* scratch = (float*)fathom_scratch((packedFloats + d->padFloats * (u32)threads + (u32)d->taps) * 4u);
  i32* offsets = (i32*)(scratch + packedFloats + d->padFloats * (u32)threads);
  for (int t = 0; t < d->taps; t++) {
    int c = t / (d->kH * d->kW), kh = t / d->kW % d->kH, kw = t % d->kW;
    offsets[t] = (c * d->paddedH + kh) * d->paddedW + kw;
  }
  d->offsets = offsets;
  for (int group = 0; group < d->groups; group++) {
    for (int block = 0; block < d->blocks; block++) {
      pack_block(d, weight, group, block, flipped, scratch + ((i64)group * d->blocks + block) * d->cin * d->kH * d->kW * OB);
    }
  }
  d->packed = scratch;
  d->pads = scratch + packedFloats;
  parallel_for(direct_task, d, units * d->splits);
}

void direct_conv(const ConvGeometry* g, const float* x, const float* weight, const float* bias, float* out) {
  Direct d = {g->batch, g->groups, g->inChannels / g->groups, g->outChannels / g->groups,
              g->inHeight, g->inWidth, g->outHeight, g->outWidth, g->kernelHeight, g->kernelWidth, g->padHeight, g->padWidth,
              0, 0, 0, 0, 0, 0, x, bias, out, 0, 0, 0};
  run(&d, weight, 0);
}

void direct_conv_input_grad(const ConvGeometry* g, const float* gradOut, const float* weight, float* dx) {
  Direct d = {g->batch, g->groups, g->outChannels / g->groups, g->inChannels / g->groups,
              g->outHeight, g->outWidth, g->inHeight, g->inWidth, g->kernelHeight, g->kernelWidth,
              g->kernelHeight - 1 - g->padHeight, g->kernelWidth - 1 - g->padWidth,
              0, 0, 0, 0, 0, 0, gradOut, 0, dx, 0, 0, 0};
  run(&d, weight, 1);
}
