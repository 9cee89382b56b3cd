// The input gradient of stride-1 convolutions with few output channels,
// scattered straight into dx (conv_scatter.c).
#ifndef FATHOM_CONV_SCATTER_H
#define FATHOM_CONV_SCATTER_H

#include "fathom.h"

// Whether this geometry's input gradient scatters: stride and dilation 1,
// few output channels per group, output rows of at least a vector and a half,
// padding narrower than the kernel. It depends on the shape only, so the
// path (and the bits) never depend on the thread count.
int scatter_conv_pays(const ConvGeometry* g);

// dx (N, C, H, W) from gradOut (N, O, OH, OW) and weight (O, C/groups, kH, kW).
void scatter_conv_input_grad(const ConvGeometry* g, const float* gradOut, const float* weight, float* dx);

#endif
