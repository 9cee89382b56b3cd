// 3×3 convolutions by Winograd's minimal filtering F(2×2, 3×3) (winograd.c).
#ifndef FATHOM_WINOGRAD_H
#define FATHOM_WINOGRAD_H

#include "fathom.h"

// A 3×3, stride-1, dilation-1 convolution of (batch, inChannels, inHeight,
// inWidth) into (batch, outChannels, outHeight, outWidth), where
// out = in + 2·pad − 2. `weight` is (O, C/groups, 3, 3) of the forward
// convolution; with `inputGrad` the call computes the gradient of that
// convolution with respect to its input instead: `x` is then its gradOut
// (inChannels = O here), `out` the input gradient (outChannels = C), `pad`
// 2 − the forward padding, and the weights are flipped and transposed.
typedef struct {
  int batch, inChannels, outChannels, groups;
  int inHeight, inWidth, outHeight, outWidth, padHeight, padWidth;
  int inputGrad;
} WinogradConv;

// Whether this path is the faster one for a convolution of that shape (the
// shape only, never the thread count, so results do not depend on threads).
int winograd_pays(const WinogradConv* c);

// Runs it (main thread; uses fathom_scratch and the thread pool).
void winograd_conv3x3(const WinogradConv* c, const float* x, const float* weight, float* out);

// The same for the gradient of the forward convolution `c` (inputGrad 0) with
// respect to its weight: dw (O, C/groups, 3, 3) from x and gradOut.
int winograd_weight_grad_pays(const WinogradConv* c);
void winograd_weight_grad3x3(const WinogradConv* c, const float* x, const float* gradOut, float* dw);

#endif
