/* fb-sensitivity.h — per-entry accuracy sensitivities: the additive accuracy proxy.
 *
 * HAWQ style: from the all-8-bit config, lower one entry (a layer's weights or an
 * activation tensor) to 4 or 2 bits, everything else at 8, and measure the
 * accuracy drop through the oracle on @limit images. The proxy of a config is the
 * sum of its entries' drops: additive, so the exact Pareto DP can use it as an
 * objective. Drops are clamped at 0 (a measured gain is noise at small @limit).
 * It ignores interactions between entries; real accuracy of the chosen points is
 * measured afterwards.
 *
 * Stored in candidates' provenance as "sensitivity" (see to_json), so a later run
 * can reuse it instead of re-measuring.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-accuracy-oracle.h"
#include "fb-search.h"

G_BEGIN_DECLS

typedef struct _FbSensitivity FbSensitivity;

/* 1 + 2 × (weighted layers + activation tensors) oracle calls. */
FbSensitivity *fb_sensitivity_measure         (FbAccuracyOracle     *oracle,
                                               guint                 limit,
                                               FbSearchProgressFunc  progress_func,
                                               gpointer              user_data,
                                               GCancellable         *cancellable,
                                               GError              **error);
/* { "oracle": NAME, "limit": N, "baseline": A, "weights": {layer: {"4": d, "2": d}},
 *   "activations": {tensor: {"4": d, "2": d}} } */
JsonObject    *fb_sensitivity_to_json         (FbSensitivity        *self);
FbSensitivity *fb_sensitivity_new_from_json   (FbNetwork            *network,
                                               JsonObject           *obj,
                                               const char           *where,
                                               GError              **error);
/* The first candidate whose provenance holds "sensitivity"; NULL + error if none. */
FbSensitivity *fb_sensitivity_new_from_candidates (FbCandidateList  *list,
                                                   const char       *origin,
                                                   GError          **error);
/* For tests and imported tables: all drops 0, then set them. */
FbSensitivity *fb_sensitivity_new             (FbNetwork            *network,
                                               double                baseline,
                                               guint                 limit,
                                               const char           *oracle_name);
void           fb_sensitivity_set_weight_drop (FbSensitivity        *self,
                                               guint                 layer,
                                               guint                 bits,
                                               double                drop);
void           fb_sensitivity_set_tensor_drop (FbSensitivity        *self,
                                               guint                 tensor,
                                               guint                 bits,
                                               double                drop);

FbSensitivity *fb_sensitivity_ref             (FbSensitivity        *self);
void           fb_sensitivity_unref           (FbSensitivity        *self);

FbNetwork     *fb_sensitivity_get_network     (FbSensitivity        *self);
/* Accuracy of the all-8-bit config (fraction). */
double         fb_sensitivity_get_baseline    (FbSensitivity        *self);
guint          fb_sensitivity_get_limit       (FbSensitivity        *self);
/* 0 at 8 bits (and for layers without weights). */
double         fb_sensitivity_get_weight_drop (FbSensitivity        *self,
                                               guint                 layer,
                                               guint                 bits);
double         fb_sensitivity_get_tensor_drop (FbSensitivity        *self,
                                               guint                 tensor,
                                               guint                 bits);
/* Σ of the config's drops (the accuracy proxy, a fraction ≥ 0). */
double         fb_sensitivity_estimate_drop   (FbSensitivity        *self,
                                               FbPrecisionConfig    *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbSensitivity, fb_sensitivity_unref)

G_END_DECLS
