// Direct stride-1 convolutions for layers with few channels (conv_direct.c).
#ifndef FATHOM_CONV_DIRECT_H
#define FATHOM_CONV_DIRECT_H

#include "fathom.h"

// Whether the direct path runs the forward convolution of this geometry
// (`inputGrad` 0) or its input gradient (1). It depends on the shape only,
// never on the thread count, so results do not depend on threads.
int direct_conv_pays(const ConvGeometry* g, int inputGrad);

// The forward convolution: out (N, O, OH, OW) from x (N, C, H, W) and
// weight (O, C/groups, kH, kW). Main thread; uses fathom_scratch and the pool.
void direct_conv(const ConvGeometry* g, const float* x, const float* weight, float* out);

// Its input gradient: dx (N, C, H, W) from gradOut (N, O, OH, OW).
void direct_conv_input_grad(const ConvGeometry* g, const float* gradOut, const float* weight, float* dx);

#endif
