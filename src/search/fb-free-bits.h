/* fb-free-bits.h — the Free Bits heuristic, latency stage.
 *
 * From a start config, raise the bits of weights and activation tensors wherever
 * the latency table says it costs no more latency (or at most @tolerance × the
 * current latency of the layers the entry affects). An activation tensor's bits
 * are shared by its producer (output key), every consumer (input key) and, through
 * a pool, the pool's consumers: the change is summed over all of them. Pinned
 * entries never change; budgets (size, RAM, latency) are never broken by a raise.
 * Passes repeat until nothing changes (bits only go up, so this terminates).
 *
 * The accuracy-checked lowering step of the paper needs an accuracy oracle and is
 * not here yet.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-free-bits-change.h"
#include "fb-search.h"

G_BEGIN_DECLS

/* On success *@out_changes (may be NULL) receives the FbFreeBitsChange records in
 * the order applied, and @candidate_func gets the final config ("free-bits")
 * if it fits @constraints. @start is not modified. */
gboolean fb_search_free_bits (FbPrecisionConfig         *start,
                              FbLatencyTable            *table,
                              double                     tolerance,
                              const FbSearchConstraints *constraints,
                              FbSearchCandidateFunc      candidate_func,
                              FbSearchProgressFunc       progress_func,
                              gpointer                   user_data,
                              GCancellable              *cancellable,
                              GPtrArray                **out_changes,
                              FbCandidate              **out_result,
                              GError                   **error);

G_END_DECLS
