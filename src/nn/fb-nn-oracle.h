/* fb-nn-oracle.h — the accuracy oracle of the nn engine.
 *
 * An FbAccuracyOracle (src/core/fb-accuracy-oracle.h) that measures the
 * quality (top-1 accuracy, or explained variance for a network whose output
 * is values; see FbNnEvalResult) of a precision config by folding the trained weights into the
 * integer network (FbIntNetwork) and running it on the first images of a
 * test set, exactly as `freebits-cli eval` and the exported C do.
 *
 * Results are cached by (config, number of images) for the oracle's
 * lifetime, under a mutex, so a search that revisits a config pays once.
 * Float-only weights (no learned "act_alpha") are calibrated once, when the
 * oracle is created, on the training set (post-training quantization).
 * Supernet weights get their batch norm recalibrated for every config
 * evaluated (2048 training images, inside the measured cost) by one
 * FbNnRecal (fb-nn-recal.h) that shares the work of common prefixes between
 * configs and calls, bit-identical to fb_int_network_weights_for_config();
 * evaluate_many (fb_accuracy_oracle_evaluate_many) recalibrates all its
 * configs in one pass, then evaluates them side by side, one thread each.
 * FB_NN_ORACLE_RECAL=trainer: one trainer per config instead (reference).
 * The cost hint is measured: a short evaluation when the oracle is created,
 * refined by every evaluation it runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-accuracy-oracle.h"
#include "fb-dataset.h"
#include "fb-int-network.h"
#include "fb-weights.h"

G_BEGIN_DECLS

/* What an integer evaluation measured, by the kind of output: a classifier
 * (labels) gets top-1, top-5 (from 10 classes up) and per-class accuracy; a
 * network whose output is values (a dataset with targets: a y array or the
 * input itself) gets the mean squared error of its real outputs
 * (int32 × output scale) against the targets. */
typedef struct {
  guint    n_images;
  gboolean values;          /* output_kind "values": mse is the metric */
  guint    n_classes;       /* length of the output vector */
  guint    correct;         /* top-1 */
  guint    correct5;        /* top-5 (0 below 10 classes) */
  double   top1;            /* correct / n_images (NAN for values) */
  double   top5;            /* NAN below 10 classes and for values */
  guint   *class_total;     /* [n_classes]: test images per label (NULL for values) */
  guint   *class_correct;   /* [n_classes]: of those, top-1 right */
  double   mse;             /* values: mean over images and outputs; NAN for classes */
  double   target_variance; /* values: of the targets, over the same images */
  /* The FbAccuracyOracle fraction: top1, or for values the explained
   * variance max(0, 1 − mse / target_variance). */
  double   quality;
  guint32  logits_fnv1a;    /* CONVENTIONS.md "Logits checksum", as fb_int_network_evaluate() */
  double   seconds;
} FbNnEvalResult;

/* Runs the first @limit examples of @dataset (0: all) through @inet on
 * @n_threads threads (0: fb_nn_threads_init()). Ties rank by class index
 * (the first maximum is the top-1, as fb_int_network_evaluate()). */
gboolean          fb_nn_evaluate                  (FbIntNetwork   *inet,
                                                   FbDataset      *dataset,
                                                   guint           limit,
                                                   guint           n_threads,
                                                   GCancellable   *cancellable,
                                                   FbNnEvalResult *result,
                                                   GError        **error);
/* Frees the per-class arrays. */
void              fb_nn_eval_result_clear         (FbNnEvalResult *result);
/* Per-class accuracy of class @c (NAN without test images of it). */
double            fb_nn_eval_result_class_accuracy (const FbNnEvalResult *result,
                                                   guint           c);

typedef struct _FbNnOracle FbNnOracle;

/* @test: the images accuracy is measured on. @train: calibrates float-only
 * weights and recalibrates the batch norm of supernet weights (may be NULL
 * for other weights; an error otherwise). @weights_origin names the weights
 * file in errors. */
FbAccuracyOracle *fb_nn_oracle_new                (FbNetwork      *network,
                                                   FbWeights      *weights,
                                                   const char     *weights_origin,
                                                   FbDataset      *test,
                                                   FbDataset      *train,
                                                   GCancellable   *cancellable,
                                                   GError        **error);

/* Whether @oracle is an FbNnOracle. */
gboolean          fb_nn_oracle_is                 (FbAccuracyOracle *oracle);
/* Integer evaluations actually run (cache misses) since creation. */
guint             fb_nn_oracle_get_n_evaluations  (FbAccuracyOracle *oracle);
/* The weights evaluated (calibrated when the file had no "act_alpha"). */
FbWeights        *fb_nn_oracle_get_weights        (FbAccuracyOracle *oracle);

G_END_DECLS
