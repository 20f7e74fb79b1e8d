/* fb-supernet.h — one config specialized out of a supernet, and (from
 * fb-supernet-config.h) the precision configs a supernet trains.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-dataset.h"
#include "fb-supernet-config.h"
#include "fb-precision-config.h"
#include "fb-weights.h"

G_BEGIN_DECLS

/* Batch-norm recalibration for one config: the supernet's running
 * statistics mix every config it trained, so the statistics of @config are
 * re-estimated on @n_images training images (fake-quantized forward in
 * training mode, cumulative average over batches). Returns plain weights
 * with the same param names (and the supernet's w_step / act_alpha), for
 * the integer evaluator or the exporter. */
FbWeights         *fb_supernet_specialize     (FbWeights          *supernet,
                                               const char         *origin,
                                               FbPrecisionConfig  *config,
                                               FbDataset          *train,
                                               guint               n_images,
                                               GCancellable       *cancellable,
                                               GError            **error);

G_END_DECLS
