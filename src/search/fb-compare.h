/* fb-compare.h — BOPs vs latency: does the hardware-agnostic proxy rank configs
 * the way a target's latency table does?
 *
 * A pool of configs — seeded random ones, the uniform baselines, the BOPs-targeted
 * front (exact: BOPs vs the accuracy proxy with @sensitivity, else vs size), and per target the Free Bits result from every
 * uniform start and the exact (latency, size) front — is evaluated for size, BOPs
 * and each table's latency (fronts are thinned to @max_front evenly spaced points,
 * endpoints kept, so they do not swamp the sample). Per target: Spearman rank
 * correlation (ties get averaged ranks) of BOPs↔latency and size↔latency, over the
 * pool and over the random configs alone, and the key table: at matched accuracy,
 * the config with the fewest BOPs versus the one with the lowest latency, and how
 * much slower the former is. Accuracy comes from the oracle (measured, @limit
 * images) if there is one, else from the sensitivity proxy if given, else the
 * table is matched on weight size instead ("size >= S": more weight bits stand in
 * for more accuracy; blind to activation bits; said so in the output).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-accuracy-oracle.h"
#include "fb-search.h"
#include "fb-sensitivity.h"

G_BEGIN_DECLS

typedef struct {
  guint             samples;      /* random configs (default 200) */
  guint32           seed;         /* default 1 */
  guint             max_front;    /* points kept per front (default 64) */
  FbAccuracyOracle *oracle;       /* may be NULL (borrowed) */
  guint             limit;        /* images per oracle call (default 1000; 0 = all) */
  FbSensitivity    *sensitivity;  /* may be NULL (borrowed) */
  /* Optional: called once on the running thread with the pool before its
   * accuracy is measured (fb_compare_run's JSON, "accuracy": "pending",
   * every accuracy null; transferred), so a caller can show the configs
   * during the long accuracy stage. */
  void            (*pool_func) (JsonNode *partial, gpointer user_data);
  gpointer          pool_data;
} FbCompareOptions;

void      fb_compare_options_init (FbCompareOptions *self);

/* Spearman's ρ of @x and @y (@n values each), ties averaged; NAN when n < 2 or
 * either side is constant. */
double    fb_spearman             (const double     *x,
                                   const double     *y,
                                   guint             n);

/* @tables: FbLatencyTable * (at least one). Returns the comparison as JSON:
 *   { "network", "seed", "samples", "n_configs", "accuracy": "measured"|"proxy"|"none",
 *     "spearman_bops_latency": ρ of the first table,
 *     "targets": [ { "target", "unit", "spearman_bops_latency", "spearman_size_latency",
 *                    "random_only": { "spearman_bops_latency", "spearman_size_latency", "n" },
 *                    "matched_by": "accuracy"|"accuracy_proxy"|"size",
 *                    "rows": [ { "level", "threshold", "n_eligible", "bops_optimal": {...},
 *                                "latency_optimal": {...}, "latency_ratio" } ] } ],
 *     "configs": [ { "label", "source", "config" (freebits-config/1), "size_bytes", "bops", "latency": {target: x},
 *                    "accuracy": a|null } ] } */
JsonNode *fb_compare_run          (FbNetwork              *network,
                                   GPtrArray              *tables,
                                   const FbCompareOptions *options,
                                   FbSearchProgressFunc    progress_func,
                                   gpointer                user_data,
                                   GCancellable           *cancellable,
                                   GError                **error);

G_END_DECLS
