/* fb-int-network.h — a trained network lowered to integers for one precision config.
 *
 * The FbPlan of (network, config) plus, for every step, the packed weights and
 * requantization parameters its kernel call takes, folded from float weights
 * (batch norm, per-channel weight scales, learned activation clipping values α)
 * by the rules of CONVENTIONS.md. The integer evaluator runs it with
 * src/kernels; the exporter writes exactly these arrays into weights.c. So the
 * accuracy freebits reports and the accuracy of the exported C are one
 * computation.
 *
 * Activation scales: a tensor at b bits has s = α_b / (2^b − 1), or
 * α_b / (2^(b−1) − 1) when it is signed (a layer without ReLU), α_b from the
 * weights tensor (producer layer, "act_alpha") = [α_8, α_4, α_2]; the network
 * input has the scale of its description (default 1/255); its zero point is
 * taken away in the bias of each layer reading it; a pool output has its
 * input's scale. Weights: per
 * output channel symmetric, s_w[c] = max|w_c| / (2^(b−1) − 1), unless the
 * weights carry a learned (layer, "w_step") = [3][Cout] step per bit-width
 * (order 8, 4, 2); q = clamp(floor(w / s_w + ½)) on the full signed grid
 * (half up, like the quantization-aware trainer). The classifier uses one
 * scale for the whole tensor (a w_step of [3], or [3][Cout] whose rows
 * repeat the one step).
 * Without "act_alpha" (float-only weights), fb_int_network_new() fails;
 * fb_int_network_calibrate() first adds α calibrated on training images
 * with the float model (post-training quantization, docs/training.md).
 *
 * Requantization shift d of a conv / depthwise / linear layer: the largest
 * d in [0, 62] for which every |kappa[c]| and |lambda[c]| (rounding term
 * 2^(d−1) included) fits in int32 (so d ≤ 31); of an add: the largest d
 * in [0, 31] keeping |m1| and |m2| in int32.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-dataset.h"
#include "fb-plan.h"
#include "fb-weights.h"

G_BEGIN_DECLS

typedef struct _FbIntNetwork FbIntNetwork;

typedef struct {
  const FbPlanStep *step;     /* owned by the plan */
  const guint8     *weights;  /* packed as the kernel reads them, step->weight_bytes; NULL for add/pool */
  const gint32     *kappa;    /* [cout]: conv, depthwise, quantized linear; else NULL */
  const gint32     *lambda;   /* [cout], rounding 2^(shift-1) included; else NULL */
  const gint32     *bias;     /* [cout]: int32-output linear (logits) only; else NULL */
  gint32            shift;    /* requantization shift d (conv, depthwise, linear, add) */
  gint32            m1, m2;   /* add: per-input multipliers */
  double            out_scale;/* real value of one output unit (logits: s_x · s_w) */
} FbIntStep;

/* Folds @weights (float, as the trainer writes them; @weights_origin names
 * the file in errors) for @config into integers for the kernels of @arch.
 * Missing or misshapen tensors are FB_ERROR_FIELD naming the tensor. */
FbIntNetwork    *fb_int_network_new            (FbPrecisionConfig *config,
                                                FbWeights         *weights,
                                                const char        *weights_origin,
                                                FbKernelArch       arch,
                                                GError           **error);
FbIntNetwork    *fb_int_network_ref            (FbIntNetwork      *self);
void             fb_int_network_unref          (FbIntNetwork      *self);

FbPlan          *fb_int_network_get_plan       (FbIntNetwork      *self);
guint            fb_int_network_get_n_steps    (FbIntNetwork      *self);
const FbIntStep *fb_int_network_get_step       (FbIntNetwork      *self,
                                                guint              index);
/* Classes = length of the logits vector. */
guint            fb_int_network_get_n_classes  (FbIntNetwork      *self);

/* The integer input of real values @x (the network's input shape, HWC):
 * x_int = round (x / scale) + zero_point clipped to u8 or i8 as the network's
 * input description says, one byte each (i8 in two's complement). */
void             fb_int_network_quantize_input (FbIntNetwork      *self,
                                                const float       *x,
                                                guint8            *dst);

/* Runs one integer input (the network's input shape, HWC, one byte per
 * element: u8 pixels, or the bytes fb_int_network_quantize_input() writes)
 * into int32 @logits (the last layer's output: logits or values).
 * @arena: fb_plan_get_arena_bytes(), @scratch: fb_plan_get_scratch_bytes()
 * bytes. Kernel failures are FB_ERROR_FIELD naming the step and status; a
 * network lowered for another architecture than fb_kernel_arch() (e.g. for
 * an RV32 export) cannot run here (FB_ERROR_BITS). Reentrant: threads may
 * run one network at once, each with its own arena and scratch. */
gboolean         fb_int_network_run            (FbIntNetwork      *self,
                                                const guint8      *image,
                                                gint32            *logits,
                                                guint8            *arena,
                                                guint8            *scratch,
                                                GError           **error);

/* With the environment variable FB_EVAL_STEP_TIMES set when the network is made,
 * fb_int_network_run() times each step (CLOCK_MONOTONIC, per image; for finding where an
 * evaluation's time goes against the kernels timed alone, tools/bench-host.sh); this prints,
 * as one JSON line per step on stderr, the median, 10th percentile and mean µs per image of
 * each step and of the whole run since the last report, and clears them.  Does nothing
 * without the variable. */
void             fb_int_network_report_step_times (FbIntNetwork *self);

/* Runs step @index alone on @arena (its inputs already in place): for tests
 * that compare every layer with a reference, and for debugging an export. */
gboolean         fb_int_network_run_step       (FbIntNetwork      *self,
                                                guint              index,
                                                guint8            *arena,
                                                guint8            *scratch,
                                                GError           **error);

FbNetwork       *fb_int_network_get_network    (FbIntNetwork      *self);
FbKernelArch     fb_int_network_get_arch       (FbIntNetwork      *self);
/* Real value of one unit of tensor @tensor (input 1/255, logits s_x · s_w). */
double           fb_int_network_get_tensor_scale (FbIntNetwork    *self,
                                                guint              tensor);

/* Whether @weights lack the "act_alpha" tensors fb_int_network_new() needs. */
gboolean         fb_int_network_needs_calibration (FbNetwork      *network,
                                                FbWeights         *weights);
/* Post-training calibration: a copy of @weights with (layer, "act_alpha") =
 * [α8, α4, α2] for every layer writing a searchable activation, each the
 * MSE-optimal clipping value at that bit-width over a histogram of the
 * float model's activations on the first @n_images of @train; and
 * (layer, "w_step") = [3][Cout] for every weighted layer: max|w_c| / 127 at
 * 8 bits, the per-channel MSE-optimal step at 4 and 2 bits (the
 * classifier's one step repeated over its rows). */
FbWeights       *fb_int_network_calibrate      (FbNetwork         *network,
                                                FbWeights         *weights,
                                                const char        *weights_origin,
                                                FbDataset         *train,
                                                guint              n_images,
                                                GCancellable      *cancellable,
                                                GError           **error);
/* Writes the real-valued network input number @index (H·W·C floats, HWC). */
typedef void (*FbIntInputFunc) (gpointer user_data, guint index, float *dst);
/* The same calibration on any real-valued inputs (imported models, vectors,
 * several channels): @n_images inputs from @input_func. Signed tensors get
 * the α of the symmetric grid, MSE-optimal over a histogram of |x|. */
FbWeights       *fb_int_network_calibrate_with (FbNetwork         *network,
                                                FbWeights         *weights,
                                                const char        *weights_origin,
                                                FbIntInputFunc     input_func,
                                                gpointer           user_data,
                                                guint              n_images,
                                                GCancellable      *cancellable,
                                                GError           **error);

/* Supernet weights (training "method": "supernet", not yet specialized)
 * carry the batch-norm statistics of the all-8 config only. */
gboolean         fb_int_network_is_supernet    (FbWeights         *weights);
/* The weights to fold for @config: for supernet weights and any config but
 * all-8, a copy with batch norm recalibrated for @config on @bn_images
 * training images (fb_supernet_specialize()); otherwise @weights itself
 * (a new reference). @train may be NULL when no recalibration is needed. */
FbWeights       *fb_int_network_weights_for_config (FbWeights     *weights,
                                                const char        *weights_origin,
                                                FbPrecisionConfig *config,
                                                FbDataset         *train,
                                                guint              bn_images,
                                                GCancellable      *cancellable,
                                                GError           **error);

typedef struct {
  guint    n_images;
  guint    correct;
  double   accuracy;      /* correct / n_images */
  guint32  logits_fnv1a;  /* CONVENTIONS.md "Logits checksum" */
  double   seconds;       /* wall time of the evaluation */
} FbIntEvalResult;

/* Runs the first @limit images of @dataset (0: all) on @n_threads threads
 * (0: fb_nn_threads_init()); the argmax of the logits (first maximum on
 * ties) against the label. Needs the host architecture. */
gboolean         fb_int_network_evaluate       (FbIntNetwork      *self,
                                                FbDataset         *dataset,
                                                guint              limit,
                                                guint              n_threads,
                                                GCancellable      *cancellable,
                                                FbIntEvalResult   *result,
                                                GError           **error);

#define FB_FNV1A32_INIT 0x811c9dc5u
/* FNV-1a 32-bit: continues @hash over @n bytes. */
guint32          fb_fnv1a32                    (guint32            hash,
                                                const void        *data,
                                                gsize              n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbIntNetwork, fb_int_network_unref)

G_END_DECLS
