/* fb-search-measure.h — real accuracy of search results through an oracle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-accuracy-oracle.h"
#include "fb-search.h"

G_BEGIN_DECLS

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
