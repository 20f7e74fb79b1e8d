/* fb-supernet-config.h — the precision configs a supernet trains.
 *
 * A supernet step trains several configs on the same batch (OFA/BigNAS
 * "sandwich rule"): the largest (every layer and tensor 8 bit), the
 * smallest (every entry at the lowest bit-width its channel count admits,
 * normally 2) and @n_random configs drawn uniformly per weighted layer and
 * per activation tensor among the admitted bit-widths (FbPrecisionConfig's
 * packing rules). The draw is a pure function of (seed, epoch, step), so a
 * resumed run trains the same configs.
 *
 * The trainer draws its configs here; fb-supernet.h (which runs the
 * trainer) builds on it, so the two do not call each other.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "fb-precision-config.h"

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

/* The same with no bit-width below @min_bits (2, 4 or 8; 8 bit always
 * packs, so every entry keeps a choice): a supernet trained for 8 and 4 bits
 * only (FbTrainOptions.min_bits). */
FbPrecisionConfig *fb_supernet_config_min_bits    (FbNetwork   *network,
                                                   guint        min_bits);
FbPrecisionConfig *fb_supernet_config_random_bits (FbNetwork   *network,
                                                   GRand       *rand,
                                                   guint        min_bits);
GPtrArray         *fb_supernet_step_configs_bits  (FbNetwork   *network,
                                                   guint32      seed,
                                                   guint        epoch,
                                                   guint        step,
                                                   guint        n_random,
                                                   guint        min_bits);

G_END_DECLS
