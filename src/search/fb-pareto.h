/* fb-pareto.h — exact Pareto front of additive objectives by dynamic programming.
 *
 * Layers are visited in order; the DP state is the bits of every activation
 * tensor that is produced but still to be read (a residual branch stays open until
 * its add), so each layer's cost depends only on the state and its own choices.
 * Per state only non-dominated partial solutions are kept; since all objectives
 * are sums of nonnegative per-layer terms, this loses no point of the final front,
 * and partial solutions already over a latency/size budget are dropped. Peak RAM
 * is a max over layers of bytes alive, which the state determines, so a RAM
 * budget prunes transitions exactly.
 *
 * ε-dominance (only with three objectives, @epsilon > 0): a partial solution is
 * dropped when a kept one is within a factor (1 + ε) of it in every objective.
 * Pruning happens at every layer, so the result ε-covers the exact front within
 * (1 + ε)^L for L layers; @epsilon = 0 is exact.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-search.h"

G_BEGIN_DECLS

typedef enum {
  FB_PARETO_LATENCY = 1 << 0,
  FB_PARETO_SIZE    = 1 << 1,
  FB_PARETO_BOPS    = 1 << 2,
} FbParetoObjectives;

/* "latency,size" style list → mask; the error names an unknown word. */
gboolean fb_pareto_objectives_parse (const char         *text,
                                     FbParetoObjectives *out,
                                     GError            **error);

/* Streams the front sorted by the first objective (latency, size, BOPs order).
 * @table is needed for the latency objective or a latency budget. Entries pinned
 * in @start (may be NULL) keep @start's bits. @out_n_states, if not NULL, gets the
 * largest number of DP states seen at one layer (for reports). */
gboolean fb_search_pareto (FbNetwork                 *network,
                           FbLatencyTable            *table,
                           FbPrecisionConfig         *start,
                           FbParetoObjectives         objectives,
                           double                     epsilon,
                           const FbSearchConstraints *constraints,
                           FbSearchCandidateFunc      candidate_func,
                           FbSearchProgressFunc       progress_func,
                           gpointer                   user_data,
                           GCancellable              *cancellable,
                           guint                     *out_n_states,
                           GError                   **error);

G_END_DECLS
