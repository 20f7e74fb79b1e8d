/* fb-supernet.h — the precision configs a supernet trains, and one config
 * specialized out of it.
 *
 * A supernet step trains several configs on the same batch (OFA/BigNAS
 * "sandwich rule"): the largest (every layer and tensor 8 bit), the
 * smallest (every entry at the lowest bit-width its channel count admits,
 * normally 2) and @n_random configs drawn uniformly per weighted layer and
 * per activation tensor among the admitted bit-widths (FbPrecisionConfig's
 * packing rules). The draw is a pure function of (seed, epoch, step), so a
 * resumed run trains the same configs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-dataset.h"
#include "fb-precision-config.h"
#include "fb-weights.h"

G_BEGIN_DECLS

FbPrecisionConfig *fb_supernet_config_max     (FbNetwork   *network);
FbPrecisionConfig *fb_supernet_config_min     (FbNetwork   *network);
/* Every weighted layer and activation tensor uniformly among its admitted
 * bit-widths. */
FbPrecisionConfig *fb_supernet_config_random  (FbNetwork   *network,
                                               GRand       *rand);
/* [max, min, random × n_random] of one training step (element-free:
 * g_ptr_array_unref frees the configs). */
GPtrArray         *fb_supernet_step_configs   (FbNetwork   *network,
                                               guint32      seed,
                                               guint        epoch,
                                               guint        step,
                                               guint        n_random);

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
