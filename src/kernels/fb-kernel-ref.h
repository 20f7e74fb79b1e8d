/* fb-kernel-ref.h — the plain reference implementation of every kernel family.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Unpacked int32/int64 arithmetic, one obvious loop nest per family, no optimization at all.
 * Used by the tests (bit-exactness of every variant) and by the benchmark (speed ratio).  Not
 * part of what the exporter ships.  Tensors are unpacked, one int32 per element, in the
 * kernels' logical layouts:
 *   activations [H][W][C];  conv weights [Cout][Ky][Kx][Cin];  depthwise weights [C][Ky][Kx];
 *   linear weights [Cout][dim_vec].
 * Values are not range-checked: the caller passes values representable at the stated bits.
 */
#ifndef FB_KERNEL_REF_H
#define FB_KERNEL_REF_H

#include <stdint.h>

#include "fb-kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* floor (v / 2^shift) for shift in [0, 63], by division (independent of `>>` on negatives). */
int64_t fb_ref_floor_shift (int64_t v, int32_t shift);
/* clip (floor ((kappa * acc + lambda) / 2^shift), 0, 2^out_bits - 1) */
int32_t fb_ref_requant (int32_t acc, int32_t kappa, int32_t lambda, int32_t shift, int out_bits);
/* The same clipped to [-2^(out_bits-1), 2^(out_bits-1) - 1] when out_signed. */
int32_t fb_ref_requant_any (int32_t acc, int32_t kappa, int32_t lambda, int32_t shift,
                            int out_bits, int out_signed);

/* The x values may be signed (a signed input is just values below 0 here); out_signed
 * selects the signed output grid. */
void fb_ref_conv (const int32_t *x, const int32_t *w, const int32_t *kappa,
                  const int32_t *lambda, int32_t *y, const FbConvParams *p, int out_bits,
                  int out_signed);
void fb_ref_depthwise (const int32_t *x, const int32_t *w, const int32_t *kappa,
                       const int32_t *lambda, int32_t *y, const FbConvParams *p, int out_bits,
                       int out_signed);
void fb_ref_linear (const int32_t *x, const int32_t *w, const int32_t *kappa,
                    const int32_t *lambda, int32_t *y, int32_t dim_vec, int32_t num_o,
                    int32_t out_shift, int out_bits, int out_signed);
void fb_ref_linear_i32 (const int32_t *x, const int32_t *w, const int32_t *bias, int32_t *y,
                        int32_t dim_vec, int32_t num_o, int32_t flag_relu);
void fb_ref_add (const int32_t *x1, const int32_t *x2, int32_t *y, int64_t n, int32_t m1,
                 int32_t m2, int32_t out_shift, int out_bits, int out_signed);
/* floor ((2 S + N) / (2 N)) per channel, any sign. */
void fb_ref_avgpool (const int32_t *x, int32_t *y, int32_t dim_x, int32_t dim_y, int32_t ch);
/* Windowed pools: geometry in p (ch_in channels), count_include_pad as in the kernels. */
void fb_ref_avgpool2d (const int32_t *x, int32_t *y, const FbConvParams *p,
                       int count_include_pad);
void fb_ref_maxpool2d (const int32_t *x, int32_t *y, const FbConvParams *p);

#ifdef __cplusplus
}
#endif

#endif /* FB_KERNEL_REF_H */
