/* fb-diff-split.h — the differentiable λ sweep over the ranks of an MPI run.
 *
 * Each λ of the sweep starts from θ = 0 on the same batches (fb-diff-search.h),
 * so the λ values are independent searches.  With at least as many λ values
 * as ranks, each rank runs its block of them (fb_mpi_block) and the results
 * (config and numbers) are all-gathered in λ order; with fewer, every rank
 * runs every λ and the training steps' shards are split over the ranks
 * (fb_trainer_set_shard_split), byte-identical to one process with the same
 * shard count.  Either way the result_func is called on every rank for every λ,
 * in λ order, with what one process computes (but for the wall-clock
 * "seconds"), so a front end does not know how many processes run.  One
 * process: fb_diff_search_sweep().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-diff-search.h"

G_BEGIN_DECLS

/* Collective: as fb_diff_search_sweep().  A rank that fails returns FALSE
 * before the gather; its caller must end the run (the CLI does). */
gboolean fb_diff_split_sweep (const FbDiffSweep *sweep,
                              GError           **error);

G_END_DECLS
