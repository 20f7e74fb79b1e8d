/* fb-nn-oracle.h — the accuracy oracle of the nn engine.
 *
 * An FbAccuracyOracle (src/core/fb-accuracy-oracle.h) that measures the
 * accuracy of a precision config by folding the trained weights into the
 * integer network (FbIntNetwork) and running it on the first images of a
 * test set, exactly as `freebits-cli eval` and the exported C do.
 *
 * Results are cached by (config, number of images) for the oracle's
 * lifetime, under a mutex, so a search that revisits a config pays once.
 * Float-only weights (no learned "act_alpha") are calibrated once, when the
 * oracle is created, on the training set (post-training quantization).
 * Supernet weights get their batch norm recalibrated for every config
 * evaluated (fb_int_network_weights_for_config(), 2048 training images),
 * inside the measured cost.
 * The cost hint is measured: a short evaluation when the oracle is created,
 * refined by every evaluation it runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-accuracy-oracle.h"
#include "fb-dataset.h"
#include "fb-weights.h"

G_BEGIN_DECLS

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
