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

G_END_DECLS
