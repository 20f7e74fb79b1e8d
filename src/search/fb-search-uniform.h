/* fb-search-uniform.h — the uniform baselines: every admissible wXaY.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-search.h"

G_BEGIN_DECLS

/* Streams wXaY for X, Y in {8, 4, 2} (w8a8 first) that the network's packing
 * admits and that fit @constraints. Entries pinned in @start (may be NULL) keep
 * @start's bits. @table may be NULL (latency unknown). */
gboolean fb_search_uniform (FbNetwork                 *network,
                            FbLatencyTable            *table,
                            FbPrecisionConfig         *start,
                            const FbSearchConstraints *constraints,
                            FbSearchCandidateFunc      candidate_func,
                            FbSearchProgressFunc       progress_func,
                            gpointer                   user_data,
                            GCancellable              *cancellable,
                            GError                   **error);

G_END_DECLS
