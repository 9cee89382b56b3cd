// Convolutions whose taps often read padding, one GEMM per tap (conv_taps.c).
#ifndef FATHOM_CONV_TAPS_H
#define FATHOM_CONV_TAPS_H

#include "fathom.h"

// Whether this geometry runs tap by tap: one group, and at most 3/4 of the
// kernel's products over the output plane read the input (3×3 kernels padded
// by 1 on planes of 4×4 and smaller). It depends on the shape only, so the
// path (and the bits) never depend on the thread count.
int taps_conv_pays(const ConvGeometry* g);

// out (N, O, OH, OW) from x (N, C, H, W) and weight (O, C, kH, kW).
void taps_conv(const ConvGeometry* g, const float* x, const float* weight, float* out);

// dx (N, C, H, W) from gradOut (N, O, OH, OW) and the weight.
void taps_conv_input_grad(const ConvGeometry* g, const float* gradOut, const float* weight, float* dx);

// dw (O, C, kH, kW) from x and gradOut.
void taps_conv_weight_grad(const ConvGeometry* g, const float* x, const float* gradOut, float* dw);

#endif
