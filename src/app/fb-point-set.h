/* fb-point-set.h — an immutable, reference-counted batch of plotted configs.
 *
 * A worker thread builds a set (fb_point_set_new, _add_series, _append),
 * seals it and hands it to the main loop; from then on nobody changes it, so
 * the plot can draw one set while the worker fills the next (like sysprof's
 * point caches). Sealed sets may be read from any thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "fb-candidate.h"
#include "fb-latency-table.h"
#include "fb-ui-types.h"

G_BEGIN_DECLS

#define FB_TYPE_POINT_SET (fb_point_set_get_type ())

typedef enum {
  /* A uniform baseline (w8a8, w4a8, ...): marked and labelled in the plot. */
  FB_PLOT_POINT_BASELINE = 1 << 0,
  /* Computed for another latency target than the set's: greyed until recomputed. */
  FB_PLOT_POINT_STALE    = 1 << 1,
} FbPlotPointFlags;

struct _FbPlotPoint {
  double             values[FB_PLOT_N_METRICS]; /* NAN = unknown (no table, not measured) */
  guint              series;                    /* index of the method */
  guint              flags;                     /* FbPlotPointFlags */
  const char        *label;                     /* "w4a8" or NULL; owned by the set */
  FbPrecisionConfig *config;                    /* owned by the set; may be NULL */
  FbCandidate       *candidate;                 /* a search result's (referenced by the set), else NULL */
};

GType              fb_point_set_get_type          (void) G_GNUC_CONST;

FbPointSet        *fb_point_set_new               (void);
FbPointSet        *fb_point_set_ref               (FbPointSet        *self);
void               fb_point_set_unref             (FbPointSet        *self);

/* Building (before fb_point_set_seal). Returns the series index. */
guint              fb_point_set_add_series        (FbPointSet        *self,
                                                   const char        *name);
/* Takes ownership of @config (may be NULL); copies @label. */
void               fb_point_set_append            (FbPointSet        *self,
                                                   const double       values[FB_PLOT_N_METRICS],
                                                   guint              series,
                                                   guint              flags,
                                                   const char        *label,
                                                   FbPrecisionConfig *config);
/* A search result: the point's config is @candidate's (referenced, not
 * copied, since candidates are immutable). */
void               fb_point_set_append_candidate  (FbPointSet        *self,
                                                   const double       values[FB_PLOT_N_METRICS],
                                                   guint              series,
                                                   const char        *label,
                                                   FbCandidate       *candidate);
/* ORs @flags into every point of @series appended so far. */
void               fb_point_set_set_series_flags  (FbPointSet        *self,
                                                   guint              series,
                                                   guint              flags);
/* The unit and target of the latency values. */
void               fb_point_set_set_latency_unit  (FbPointSet        *self,
                                                   FbLatencyUnit      unit,
                                                   const char        *target);
void               fb_point_set_seal              (FbPointSet        *self);
gboolean           fb_point_set_is_sealed         (FbPointSet        *self);

guint              fb_point_set_get_n_points      (FbPointSet        *self);
const FbPlotPoint *fb_point_set_get_point         (FbPointSet        *self,
                                                   guint              index);
guint              fb_point_set_get_n_series      (FbPointSet        *self);
const char        *fb_point_set_get_series_name   (FbPointSet        *self,
                                                   guint              series);
/* Points per series (for the legend). */
guint              fb_point_set_get_series_size   (FbPointSet        *self,
                                                   guint              series);
FbLatencyUnit      fb_point_set_get_latency_unit  (FbPointSet        *self);
const char        *fb_point_set_get_target        (FbPointSet        *self);
/* Whether any point has a known value of @metric. */
gboolean           fb_point_set_has_metric        (FbPointSet        *self,
                                                   FbPlotMetric       metric);
/* Index of the first point whose config has the same bits, or -1. */
int                fb_point_set_find_config       (FbPointSet        *self,
                                                   FbPrecisionConfig *config);

/* The non-dominated points of @n pairs (x[i], y[i]), each axis minimized
 * unless @max_x / @max_y. Points with a NAN coordinate take no part. A point
 * is dominated when another is at least as good on both axes and better on
 * one, so exact duplicates of a front point are on the front too. Writes the
 * indices to @out (room for @n) in the order of the front's step line:
 * from best x to worst x. Returns how many. */
guint              fb_pareto_front                (const double      *x,
                                                   const double      *y,
                                                   guint              n,
                                                   gboolean           max_x,
                                                   gboolean           max_y,
                                                   guint             *out);
/* The front of a sealed set for two metrics; free with g_free. */
guint             *fb_point_set_compute_front     (FbPointSet        *self,
                                                   FbPlotMetric       x,
                                                   FbPlotMetric       y,
                                                   guint             *n_front);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbPointSet, fb_point_set_unref)

G_END_DECLS
