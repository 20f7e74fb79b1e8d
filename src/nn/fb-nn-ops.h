/* fb-nn-ops.h — float forward/backward of every op freebits trains.
 *
 * Layout: batches are NHWC, row-major, so a conv is one GEMM over
 * N·Ho·Wo rows (a 1×1 conv needs no im2col at all) and every per-channel
 * loop runs over contiguous C, which vectorizes. Weights are [Cout][Ky][Kx][Cin]
 * (conv), [Ky][Kx][C] (depthwise) and [Cout][Cin] (linear), as in the files.
 *
 * Conventions shared by every function:
 * - backward functions ADD into parameter gradients and into input gradients
 *   (a tensor read by several layers gets the sum), except batch norm's dx,
 *   which is written (it is the layer's private pre-activation);
 * - an input gradient pointer may be NULL when it is not needed (the
 *   network input);
 * - ops are single-threaded: the trainer runs shards of a batch on
 *   separate threads, each calling serial OpenBLAS (fb_nn_threads_init), so
 *   threads meet once per step instead of at every op — on cores shared
 *   with other work, a barrier per op waits for the slowest core each time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Geometry of a conv2d or depthwise conv2d (cin == cout) on a batch. */
typedef struct {
  guint n;                  /* images */
  guint h, w, cin;          /* input */
  guint ho, wo, cout;       /* output */
  guint kh, kw, sh, sw;
  guint pad_top, pad_left;  /* bottom/right padding follows from ho, wo */
} FbNnConv;

#define FB_NN_BN_EPS 1e-5f

/* Makes OpenBLAS single-threaded (callers run their own threads) and
 * returns how many threads to use: $FB_NN_THREADS or the processors
 * available. Idempotent. */
guint  fb_nn_threads_init               (void);

/* Names what decides float rounding on this machine: OpenBLAS's GEMM kernel
 * (chosen per CPU at load time) and the clone of the elementwise loops (FMA
 * or not). Float training and the differentiable search are deterministic on
 * one machine, but another CPU may round differently and flip near ties, so
 * their provenance records this. E.g. "OpenBLAS Haswell, loops x86-64-v4". */
const char *fb_nn_float_backend         (void);

/* Runs @func over [0, @n) in chunks of @chunk on @n_threads threads (0:
 * fb_nn_threads_init()) and waits for every chunk: @func gets
 * GUINT_TO_POINTER (first index + 1) and @job. FALSE (@error set) if the
 * threads cannot start. */
gboolean fb_nn_run_chunks               (GFunc           func,
                                         gpointer        job,
                                         guint           n,
                                         guint           chunk,
                                         guint           n_threads,
                                         GError        **error);

void   fb_nn_conv_init                  (FbNnConv       *g,
                                         guint           n,
                                         guint           h,
                                         guint           w,
                                         guint           cin,
                                         guint           cout,
                                         guint           kh,
                                         guint           kw,
                                         guint           sh,
                                         guint           sw,
                                         guint           pad_top,
                                         guint           pad_bottom,
                                         guint           pad_left,
                                         guint           pad_right);
gboolean fb_nn_conv_is_pointwise        (const FbNnConv *g);

/* Floats of scratch conv2d needs (forward and backward). */
gsize  fb_nn_conv2d_scratch_size        (const FbNnConv *g);

void   fb_nn_conv2d_forward             (const FbNnConv *g,
                                         const float    *x,
                                         const float    *w,
                                         float          *y,
                                         float          *scratch);
void   fb_nn_conv2d_backward            (const FbNnConv *g,
                                         const float    *x,
                                         const float    *w,
                                         const float    *dy,
                                         float          *dw,
                                         float          *dx,
                                         float          *scratch);

void   fb_nn_depthwise_forward          (const FbNnConv *g,
                                         const float    *x,
                                         const float    *w,
                                         float          *y);
void   fb_nn_depthwise_backward         (const FbNnConv *g,
                                         const float    *x,
                                         const float    *w,
                                         const float    *dy,
                                         float          *dw,
                                         float          *dx);

/* Batch norm over @m rows of @c channels with batch statistics, optionally
 * followed by ReLU (fused: one pass less over the tensor). Writes the
 * batch @mean and biased @var (for the running averages and backward). */
void   fb_nn_batch_norm_train_forward   (guint           m,
                                         guint           c,
                                         const float    *x,
                                         const float    *gamma,
                                         const float    *beta,
                                         gboolean        relu,
                                         float          *y,
                                         float          *mean,
                                         float          *var);
/* @dx may alias @dy. */
void   fb_nn_batch_norm_backward        (guint           m,
                                         guint           c,
                                         const float    *x,
                                         const float    *y,
                                         const float    *gamma,
                                         const float    *mean,
                                         const float    *var,
                                         gboolean        relu,
                                         const float    *dy,
                                         float          *dx,
                                         float          *dgamma,
                                         float          *dbeta);
/* Inference: running statistics, the affine map deployment folds. */
void   fb_nn_batch_norm_eval_forward    (guint           m,
                                         guint           c,
                                         const float    *x,
                                         const float    *gamma,
                                         const float    *beta,
                                         const float    *running_mean,
                                         const float    *running_var,
                                         gboolean        relu,
                                         float          *y);

/* @y may alias @x. */
void   fb_nn_relu_forward               (gsize           n,
                                         const float    *x,
                                         float          *y);
void   fb_nn_relu_backward              (gsize           n,
                                         const float    *y,
                                         const float    *dy,
                                         float          *dx);

void   fb_nn_add_forward                (gsize           n,
                                         const float    *a,
                                         const float    *b,
                                         gboolean        relu,
                                         float          *y);
void   fb_nn_add_backward               (gsize           n,
                                         const float    *y,
                                         gboolean        relu,
                                         const float    *dy,
                                         float          *da,
                                         float          *db);

/* [n][hw][c] → [n][c]. */
void   fb_nn_global_avg_pool_forward    (guint           n,
                                         guint           hw,
                                         guint           c,
                                         const float    *x,
                                         float          *y);
void   fb_nn_global_avg_pool_backward   (guint           n,
                                         guint           hw,
                                         guint           c,
                                         const float    *dy,
                                         float          *dx);

/* Windowed pools on NHWC maps, geometry as for a depthwise conv (cin ==
 * cout). Average: the divisor is the window's pixels inside the input, or
 * (@count_include_pad) inside the padded input, as PyTorch and ONNX
 * AveragePool. Max: padding never wins (−∞); backward sends each output's
 * gradient to the first maximum of its window. */
void   fb_nn_avg_pool2d_forward         (const FbNnConv *g,
                                         gboolean        count_include_pad,
                                         const float    *x,
                                         float          *y);
void   fb_nn_avg_pool2d_backward        (const FbNnConv *g,
                                         gboolean        count_include_pad,
                                         const float    *dy,
                                         float          *dx);
void   fb_nn_max_pool2d_forward         (const FbNnConv *g,
                                         const float    *x,
                                         float          *y);
void   fb_nn_max_pool2d_backward        (const FbNnConv *g,
                                         const float    *x,
                                         const float    *y,
                                         const float    *dy,
                                         float          *dx);

/* y[n][cout] = x[n][cin] · wᵀ + b; @b may be NULL (no bias). */
void   fb_nn_linear_forward             (guint           n,
                                         guint           cin,
                                         guint           cout,
                                         const float    *x,
                                         const float    *w,
                                         const float    *b,
                                         float          *y);
void   fb_nn_linear_backward            (guint           n,
                                         guint           cin,
                                         guint           cout,
                                         const float    *x,
                                         const float    *w,
                                         const float    *dy,
                                         float          *dw,
                                         float          *db,
                                         float          *dx);

/* Mean squared error over @n rows of @k values against @targets (a
 * reconstruction or regression, output_kind "values"): Σ (y − t)² / (n·k);
 * writes its gradient 2 (y − t) / (n·k) to @dy (may be NULL). */
double fb_nn_mse                        (guint           n,
                                         guint           k,
                                         const float    *y,
                                         const float    *targets,
                                         float          *dy);

/* Mean softmax cross-entropy over @n rows of @k logits; writes its gradient
 * to @dlogits (may be NULL) and the number of rows whose argmax is the
 * label to @correct (may be NULL). */
double fb_nn_softmax_cross_entropy      (guint           n,
                                         guint           k,
                                         const float    *logits,
                                         const guint8   *labels,
                                         float          *dlogits,
                                         guint          *correct);

/* Mean cross-entropy against soft targets (rows of probabilities), for
 * in-place distillation; gradient to @dlogits (may be NULL). */
double fb_nn_soft_cross_entropy         (guint           n,
                                         guint           k,
                                         const float    *logits,
                                         const float    *targets,
                                         float          *dlogits);
void   fb_nn_softmax                    (guint           n,
                                         guint           k,
                                         const float    *logits,
                                         float          *p);

G_END_DECLS
