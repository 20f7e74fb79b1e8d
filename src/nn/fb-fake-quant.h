/* fb-fake-quant.h — float simulation of freebits' integer quantization.
 *
 * The ops the quantization-aware trainer inserts so that a float forward
 * pass computes, up to float rounding, what the integer network computes
 * (CONVENTIONS.md, fb-int-network.h):
 * - activations: unsigned, zero point 0, s = α / (2^b − 1),
 *   q = clamp(floor(x/s + ½), 0, 2^b − 1) — round half up, like the
 *   requantization's `+ 2^(d−1) >> d`;
 * - weights: signed symmetric per channel, grid [−2^(b−1), 2^(b−1) − 1],
 *   one learned step s[c] per channel (LSQ, Esser et al. 2020);
 * - the average pool output: its input's step, rounded to nearest.
 *
 * Gradients are straight-through for the rounding: dx = dy inside the
 * clipping range, 0 outside. The step (or α) gradient is LSQ's:
 * d(s·q)/ds = q − x/s inside the range, the clipped level outside. The
 * functions return it unscaled; the trainer applies LSQ's gradient scale.
 *
 * Weight tensors are addressed as [outer][n_ch][inner]: element
 * (o·n_ch + c)·inner + i belongs to channel c. A conv's [Cout][Ky][Kx][Cin]
 * is (1, Cout, Ky·Kx·Cin), a depthwise [Ky][Kx][C] is (Ky·Kx, C, 1), the
 * classifier's single scale is (1, 1, all).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 8, 4, 2 → index 0, 1, 2 of the [3] per-bit-width parameters; -1 otherwise. */
int    fb_fake_quant_bits_index          (guint        bits);
guint  fb_fake_quant_index_bits          (guint        index);

/* y = s·clamp(floor(x/s + ½), 0, 2^bits − 1), s = alpha / (2^bits − 1).
 * @y may alias @x. */
void   fb_fake_quant_act_forward         (gsize        n,
                                          const float *x,
                                          float        alpha,
                                          guint        bits,
                                          float       *y);
/* @dx (written; may alias @dy) = dy where 0 ≤ x ≤ alpha, else 0 (x < 0
 * cannot occur after a ReLU, but is clipped all the same). Returns
 * dL/dα = Σ dy · d(y)/dα. */
double fb_fake_quant_act_backward        (gsize        n,
                                          const float *x,
                                          float        alpha,
                                          guint        bits,
                                          const float *dy,
                                          float       *dx);

/* Signed activations (a layer without ReLU; CONVENTIONS.md): symmetric,
 * zero point 0, s = alpha / (2^(bits−1) − 1),
 * y = s·clamp(floor(x/s + ½), −2^(bits−1), 2^(bits−1) − 1) — round half up
 * on both sides, like the requantization's arithmetic shift. @y may alias @x. */
void   fb_fake_quant_act_signed_forward  (gsize        n,
                                          const float *x,
                                          float        alpha,
                                          guint        bits,
                                          float       *y);
/* @dx (written; may alias @dy) = dy inside the grid's range, else 0;
 * returns dL/dα (LSQ: q − x/s inside, the clipped level outside, / qmax). */
double fb_fake_quant_act_signed_backward (gsize        n,
                                          const float *x,
                                          float        alpha,
                                          guint        bits,
                                          const float *dy,
                                          float       *dx);
/* The mixed activation of a signed tensor: y = Σ_b p[b]·Q_b(x). */
void   fb_fake_quant_act_signed_mix_forward  (gsize        n,
                                          const float *x,
                                          const float  alpha[3],
                                          const float  p[3],
                                          float       *y);
/* As fb_fake_quant_act_mix_backward, for a signed tensor. */
void   fb_fake_quant_act_signed_mix_backward (gsize        n,
                                          const float *x,
                                          const float  alpha[3],
                                          const float  p[3],
                                          const float *dy,
                                          float       *dx,
                                          double       gp[3]);
/* Positive levels of an activation grid: 2^bits − 1 unsigned, 2^(bits−1) − 1 signed. */
guint  fb_fake_quant_act_levels          (guint        bits,
                                          gboolean     is_signed);

/* The mixed activation of the differentiable search (EdMIPS):
 * y = Σ_b p[b]·Q_b(x) over the 8-, 4- and 2-bit branches (index 0, 1, 2),
 * each with its α. @y may alias @x. */
void   fb_fake_quant_act_mix_forward     (gsize        n,
                                          const float *x,
                                          const float  alpha[3],
                                          const float  p[3],
                                          float       *y);
/* @dx (written; may alias @dy) = Σ_b p[b]·[0 ≤ x ≤ α_b]·dy; ADDS
 * Σ dy·Q_b(x) = dL/dp[b] to @gp[b]. */
void   fb_fake_quant_act_mix_backward    (gsize        n,
                                          const float *x,
                                          const float  alpha[3],
                                          const float  p[3],
                                          const float *dy,
                                          float       *dx,
                                          double       gp[3]);

/* y = s·floor(x/s + ½) (no clipping: an average never exceeds its inputs).
 * @y may alias @x. */
void   fb_fake_quant_round_forward       (gsize        n,
                                          const float *x,
                                          float        step,
                                          float       *y);
/* dL/ds; the input gradient passes straight through (dx = dy). */
double fb_fake_quant_round_backward      (gsize        n,
                                          const float *x,
                                          float        step,
                                          const float *dy);

/* wq = s[c]·clamp(floor(w/s[c] + ½), −2^(bits−1), 2^(bits−1) − 1). */
void   fb_fake_quant_weights_forward     (guint        outer,
                                          guint        n_ch,
                                          guint        inner,
                                          const float *w,
                                          const float *step,
                                          guint        bits,
                                          float       *wq);
/* ADDS dwq · [inside] to @dw and Σ dwq · d(wq)/ds[c] to @dstep[c]. */
void   fb_fake_quant_weights_backward    (guint        outer,
                                          guint        n_ch,
                                          guint        inner,
                                          const float *w,
                                          const float *step,
                                          guint        bits,
                                          const float *dwq,
                                          float       *dw,
                                          float       *dstep);
/* The step per channel minimizing Σ (w − wq)², searched on a grid of
 * fractions of max|w_c| / (2^(bits−1) − 1): the start of LSQ's learning. */
void   fb_fake_quant_weights_init_step   (guint        outer,
                                          guint        n_ch,
                                          guint        inner,
                                          const float *w,
                                          guint        bits,
                                          float       *step);

/* A histogram of non-negative activations over [0, range], to choose the
 * clipping value α that minimizes the quantization error. */
#define FB_FAKE_QUANT_HIST_BINS 2048
typedef struct {
  double range;
  double count[FB_FAKE_QUANT_HIST_BINS];  /* values beyond range land in the last bin */
} FbFakeQuantHist;

void   fb_fake_quant_hist_add            (FbFakeQuantHist *hist,
                                          gsize            n,
                                          const float     *x);
/* |x| of signed activations, for fb_fake_quant_hist_best_alpha (bits − 1):
 * the symmetric grid's error (its extra negative level ignored). */
void   fb_fake_quant_hist_add_abs        (FbFakeQuantHist *hist,
                                          gsize            n,
                                          const float     *x);
/* α minimizing the expected squared error of fb_fake_quant_act_forward. */
float  fb_fake_quant_hist_best_alpha     (const FbFakeQuantHist *hist,
                                          guint            bits);

G_END_DECLS
