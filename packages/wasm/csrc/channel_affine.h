// out = a·alpha[c] + b·beta[c] + gamma[c] over (outer, channels, inner) (channel_affine.c).
#ifndef FATHOM_CHANNEL_AFFINE_H
#define FATHOM_CHANNEL_AFFINE_H

#include "fathom.h"

// alpha null: a unscaled; b null: no second term (beta unread); gamma null:
// no shift. out may be a (each element is read before it is written). Main
// thread; splits the rows over the pool.
void channel_affine(const float* a, const float* alpha, const float* b, const float* beta, const float* gamma, float* out,
                    int outer, int channels, int inner);

#endif
