/* fb-free-bits.h — the Free Bits heuristic.
 *
 * From a start config, raise the bits of weights and activation tensors wherever
 * the latency table says it costs no more latency (or at most @tolerance × the
 * current latency of the layers the entry affects). An activation tensor's bits
 * are shared by its producer (output key), every consumer (input key) and, through
 * a pool, the pool's consumers: the change is summed over all of them. Pinned
 * entries never change; budgets (size, RAM, latency) are never broken by a raise.
 * Passes repeat until nothing changes (bits only go up, so this terminates).
 *
 * Second, optional step (with an accuracy oracle): lower precision where the
 * latency gain is real (more than @min_gain × the affected layers' latency),
 * largest gain first, each move accepted only if the oracle's accuracy of the
 * lowered config stays ≥ reference − @max_accuracy_drop, where the reference is
 * the accuracy after the raise step (so drops accumulate against one budget), and
 * ≥ the minimum accuracy constraint. A vetoed move is logged (applied = FALSE) and
 * not retried; accepted moves restart the ranking, since gains change. Bits only
 * go down in this step, so it terminates after at most 2 moves per entry. Coupling
 * and pins as in the raise step.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-accuracy-oracle.h"
#include "fb-free-bits-change.h"
#include "fb-search.h"

G_BEGIN_DECLS

typedef struct {
  double            tolerance;          /* raise: accepted latency increase, fraction (default 0) */
  FbAccuracyOracle *oracle;             /* NULL: no lowering step (borrowed) */
  double            max_accuracy_drop;  /* lowering: fraction (default 0.005 = 0.5 pt) */
  double            min_gain;           /* lowering: fraction of the affected latency (default 0.01) */
  guint             limit;              /* images per oracle call; 0 = full test set */
} FbFreeBitsOptions;

/* Defaults above; limit 1000. */
void     fb_free_bits_options_init (FbFreeBitsOptions *self);

/* On success *@out_changes (may be NULL) receives the FbFreeBitsChange records in
 * the order applied, and @candidate_func gets the final config ("free-bits")
 * if it fits @constraints; with an oracle its accuracy is the oracle's (@limit
 * images). @options may be NULL (defaults). @start is not modified. */
gboolean fb_search_free_bits (FbPrecisionConfig         *start,
                              FbLatencyTable            *table,
                              const FbFreeBitsOptions   *options,
                              const FbSearchConstraints *constraints,
                              FbSearchCandidateFunc      candidate_func,
                              FbSearchProgressFunc       progress_func,
                              gpointer                   user_data,
                              GCancellable              *cancellable,
                              GPtrArray                **out_changes,
                              FbCandidate              **out_result,
                              GError                   **error);

G_END_DECLS
