// Direct stride-1 convolutions for layers with few channels (conv_direct.c).
#ifndef FATHOM_CONV_DIRECT_H
#define FATHOM_CONV_DIRECT_H

#include "fathom.h"

enum { DIRECT_FORWARD, DIRECT_INPUT_GRAD, DIRECT_WEIGHT_GRAD };

// Whether the direct path runs this geometry's forward convolution, input
// gradient or weight gradient (`kind`). It depends on the shape only, never
// on the thread count, so results do not depend on threads.
int direct_conv_pays(const ConvGeometry* g, int kind);

// The forward convolution: out (N, O, OH, OW) from x (N, C, H, W) and
// weight (O, C/groups, kH, kW), plus bias (O) where not null. Main thread;
// uses fathom_scratch and the pool.
void direct_conv(const ConvGeometry* g, const float* x, const float* weight, const float* bias, float* out);

// Its input gradient: dx (N, C, H, W) from gradOut (N, O, OH, OW).
void direct_conv_input_grad(const ConvGeometry* g, const float* gradOut, const float* weight, float* dx);

// Its weight gradient: dw (O, C/groups, kH, kW) from x and gradOut
// (conv_direct_weight.c).
void direct_conv_weight_grad(const ConvGeometry* g, const float* x, const float* gradOut, float* dw);

#endif
