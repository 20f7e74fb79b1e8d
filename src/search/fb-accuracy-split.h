/* fb-accuracy-split.h — the accuracy of many configs, split over the ranks.
 *
 * The searches' accuracy measurements (the results of a search, a sweep's
 * configs, eval --configs) are independent evaluations: under mpirun each rank
 * evaluates its block of them (fb_mpi_block) and the accuracies are
 * all-gathered in config order, so every rank ends with the array one process
 * computes, whatever the rank count.  One process: a plain loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-accuracy-oracle.h"
#include "fb-search.h"
#include "fb-search-constraints.h"

G_BEGIN_DECLS

/* Collective.  Fills @accuracy[i] with @oracle's accuracy of @configs[i]
 * (FbPrecisionConfig) on @limit images (0 = the whole test set).  Progress
 * per evaluation of this rank ("accuracy I/N"); honours @cancellable.  A rank
 * that fails returns FALSE before the gather: its caller must end the run
 * (the CLI does, fb_mpi_abort), or the other ranks wait for it. */
gboolean fb_accuracy_split_evaluate (FbAccuracyOracle     *oracle,
                                     GPtrArray            *configs,
                                     guint                 limit,
                                     FbSearchProgressFunc  progress_func,
                                     gpointer              user_data,
                                     GCancellable         *cancellable,
                                     double               *accuracy,
                                     GError              **error);

/* Collective.  fb_search_measure() over the ranks: the candidates of @in
 * measured with fb_accuracy_split_evaluate(), then on every rank *@out as
 * fb_search_measure() makes it (same order, provenance members "oracle" and
 * "accuracy_limit", those below @constraints' min_accuracy left out). */
gboolean fb_accuracy_split_measure  (GPtrArray                 *in,
                                     FbAccuracyOracle          *oracle,
                                     guint                      limit,
                                     const FbSearchConstraints *constraints,
                                     FbSearchProgressFunc       progress_func,
                                     gpointer                   user_data,
                                     GCancellable              *cancellable,
                                     GPtrArray                **out,
                                     GError                   **error);

G_END_DECLS
