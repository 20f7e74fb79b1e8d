/* fb-pareto.h — exact Pareto front of additive objectives by dynamic programming.
 *
 * Layers are visited in order; the DP state is the bits of every activation
 * tensor that is produced but still to be read (a residual branch stays open until
 * its add), so each layer's cost depends only on the state and its own choices.
 * Per state only non-dominated partial solutions are kept; since all objectives
 * are sums of per-layer terms and the rest of the network adds the same terms to
 * every partial solution of one state, this loses no point of the final front.
 * Partial solutions already over a latency/size budget are dropped (those terms
 * are nonnegative). Peak RAM is a max over layers of bytes alive, which the state
 * determines, so a RAM budget prunes transitions exactly.
 *
 * Two pruning dimensions (the default latency,size): each (source state, choice)
 * run of partial solutions is the source state's front shifted by one vector, so
 * it is already sorted and non-dominated; runs are merged pairwise with a sweep
 * that gallops (binary search) over dominated stretches and copies undominated
 * stretches in bulk, so the cost follows the fronts' interleaving rather than
 * their length. Three dims: sort, then a Fenwick tree of the least third value
 * per rank of the second answers "is it dominated?" in O(log n). Four: sort +
 * pairwise dominance (quadratic in the front), made affordable by ε.
 *
 * ε-dominance (only with three or more objectives, @epsilon > 0): a partial
 * solution is dropped when a kept one is within a factor (1 + ε) of it in every
 * objective. Pruning happens at every layer, so the result ε-covers the exact
 * front within (1 + ε)^L for L layers; @epsilon = 0 is exact.
 *
 * The accuracy objective is the additive proxy of FbSensitivity (Σ of per-entry
 * accuracy drops): each layer adds its weights' drop and its output tensor's drop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-search.h"
#include "fb-sensitivity.h"

G_BEGIN_DECLS

typedef enum {
  FB_PARETO_LATENCY  = 1 << 0,
  FB_PARETO_SIZE     = 1 << 1,
  FB_PARETO_BOPS     = 1 << 2,
  FB_PARETO_ACCURACY = 1 << 3,   /* the accuracy proxy (needs an FbSensitivity) */
} FbParetoObjectives;

/* Work counters of one run, for benchmarks and the growth test. */
typedef struct {
  guint   n_layers;
  guint   max_states;     /* largest number of DP states at one layer */
  guint64 partials;       /* partial solutions generated (before pruning), all layers */
  guint64 kept;           /* partial solutions kept after pruning, all layers */
  guint   max_kept;       /* largest number kept after one layer */
  guint   front_size;
  double  dp_seconds;     /* the DP alone */
  double  total_seconds;  /* DP + building and streaming the candidates */
} FbParetoStats;

/* "latency,size" style list → mask; the error names an unknown word. */
gboolean fb_pareto_objectives_parse     (const char         *text,
                                         FbParetoObjectives *out,
                                         GError            **error);
/* "latency,size,accuracy" (free with g_free). */
char    *fb_pareto_objectives_to_string (FbParetoObjectives  objectives);
guint    fb_pareto_objectives_count     (FbParetoObjectives  objectives);

/* One front search; the fields are those of fb_search_pareto() below (all
 * borrowed for the call). */
typedef struct {
  FbNetwork                 *network;
  FbLatencyTable            *table;
  FbSensitivity             *sensitivity;
  FbPrecisionConfig         *start;
  FbParetoObjectives         objectives;
  double                     epsilon;
  const FbSearchConstraints *constraints;
  const char                *method;
  FbSearchCandidateFunc      candidate_func;
  FbSearchProgressFunc       progress_func;
  gpointer                   user_data;
  GCancellable              *cancellable;
} FbParetoParams;

gboolean fb_search_pareto_run (const FbParetoParams *params,
                               FbParetoStats        *out_stats,
                               GError              **error);

/* Streams the front sorted by the first objective (latency, size, BOPs, accuracy
 * order). @table is needed for the latency objective or a latency budget;
 * @sensitivity for the accuracy objective (each candidate's provenance then
 * carries "accuracy_proxy", the estimated drop, and "sensitivity"). Entries
 * pinned in @start (may be NULL) keep @start's bits. @method names the
 * candidates (NULL: "pareto"). @out_stats may be NULL. */
gboolean fb_search_pareto (FbNetwork                 *network,
                           FbLatencyTable            *table,
                           FbSensitivity             *sensitivity,
                           FbPrecisionConfig         *start,
                           FbParetoObjectives         objectives,
                           double                     epsilon,
                           const FbSearchConstraints *constraints,
                           const char                *method,
                           FbSearchCandidateFunc      candidate_func,
                           FbSearchProgressFunc       progress_func,
                           gpointer                   user_data,
                           GCancellable              *cancellable,
                           FbParetoStats             *out_stats,
                           GError                   **error);

G_END_DECLS
