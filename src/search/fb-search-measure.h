/* fb-search-measure.h — real accuracy of search results through an oracle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-accuracy-oracle.h"
#include "fb-search.h"

G_BEGIN_DECLS

/* Progress of fb_accuracy_oracle_evaluate_many() as search progress: while
 * the i-th config of a call is measured, "@label i/n@suffix" at the fraction
 * of those done, scaled to [@start, @start + @span].  A call that measures
 * part of a larger set (one MPI rank's block) gives the set's size in @total
 * and the block's first index in @offset (@total 0: the call's n); the
 * fraction is then of the set, or with @of_call of the call's own configs. */
typedef struct {
  FbSearchProgressFunc func;
  gpointer             data;
  const char          *label;    /* borrowed */
  const char          *suffix;   /* borrowed; may be "" */
  guint                offset, total;
  double               start, span;
  gboolean             of_call;
} FbSearchMeasureProgress;

/* For fb_accuracy_oracle_evaluate_many()'s @progress; @data is an
 * FbSearchMeasureProgress. */
void fb_search_measure_progress (guint    done,
                                 guint    n,
                                 gpointer data);

/* Measures every candidate of @in on @limit images (0 = the full test set) and
 * returns in *@out new candidates (same order) with that accuracy and provenance
 * members "oracle" and "accuracy_limit"; candidates below @constraints'
 * min_accuracy are left out. Progress per evaluation; honours @cancellable. */
gboolean fb_search_measure (GPtrArray                 *in,
                            FbAccuracyOracle          *oracle,
                            guint                      limit,
                            const FbSearchConstraints *constraints,
                            FbSearchProgressFunc       progress_func,
                            gpointer                   user_data,
                            GCancellable              *cancellable,
                            GPtrArray                **out,
                            GError                   **error);

/* The candidates of @in with @accuracy[i] (measured by @oracle on @limit
 * images) that meet @constraints, with fb_search_measure()'s provenance. */
GPtrArray *fb_search_measure_collect (GPtrArray                 *in,
                                      const double              *accuracy,
                                      FbAccuracyOracle          *oracle,
                                      guint                      limit,
                                      const FbSearchConstraints *constraints);

G_END_DECLS
