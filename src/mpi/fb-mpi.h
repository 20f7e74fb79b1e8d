/* fb-mpi.h — the process group a run is spread over (MPI when built with it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A thin, GTK-free layer over MPI_COMM_WORLD for the few places that split work:
 * the latency measurement's QEMU jobs, compare's accuracy evaluations and the
 * trainer's batch shards.  Built without MPI (meson -Dmpi=disabled, or no MPI
 * found), every call is the one-process case: rank 0 of 1, gathers copy, barriers
 * return.  With MPI but started without mpirun, MPI runs as one process too.
 *
 * Work is split in contiguous blocks (fb_mpi_block): item i of n belongs to the
 * rank whose block holds it, and results are gathered in item order, so what the
 * group computes is what one process computes, byte for byte, whatever the rank
 * count.  A rank that fails calls fb_mpi_abort(): one line naming the rank on
 * stderr, then the whole run ends with that status (MPI_Abort), so no rank
 * waits forever in a collective and rank 0 writes no output file.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Collective.  Initializes MPI (threads may run, but only the calling thread
 * makes MPI calls); idempotent. */
void     fb_mpi_init              (int          *argc,
                                   char       ***argv);
/* Collective.  Ends MPI if fb_mpi_init started it. */
void     fb_mpi_finalize          (void);

/* TRUE when this build has MPI. */
gboolean fb_mpi_is_available      (void);
guint    fb_mpi_get_rank          (void);
guint    fb_mpi_get_size          (void);
/* Rank 0 writes the output files and prints the results. */
gboolean fb_mpi_is_root           (void);

/* Collective.  Also "no rank failed": a rank that fails calls fb_mpi_abort(),
 * so the others never leave the barrier; outputs are written after one. */
void     fb_mpi_barrier           (void);

/* Rank @rank's block of @n items: [*lo, *hi), contiguous, sizes differing by
 * at most one, in rank order. */
void     fb_mpi_block             (guint         n,
                                   guint         rank,
                                   guint        *lo,
                                   guint        *hi);
/* The rank whose block of @n items holds @item. */
guint    fb_mpi_block_owner       (guint         n,
                                   guint         item);

/* Collective.  @items holds @n items of @item_size bytes; each rank has filled
 * its own block (fb_mpi_block); on return every rank has every block. */
void     fb_mpi_allgather_blocks  (gpointer      items,
                                   guint         n,
                                   gsize         item_size);

/* Collective.  @items holds @n items of @item_size bytes; item i was computed
 * by rank @owner[i] (the same array on every rank); on return every rank has
 * every item, each from its owner. */
void     fb_mpi_allgather_owned   (gpointer      items,
                                   guint         n,
                                   gsize         item_size,
                                   const guint  *owner);

/* Collective.  Every rank's @mine (may be empty), on every rank: an array of
 * fb_mpi_get_size() GBytes in rank order (free with g_ptr_array_unref).  For
 * results of varying size, e.g. the configs of a block of λ values. */
GPtrArray *fb_mpi_allgather_bytes (GBytes       *mine);

/* FbTrainerShardSplit's two calls (src/nn/fb-trainer.h) over the ranks, for
 * any caller that splits a batch's shards: this rank owns its block of the
 * shards (fb_mpi_block); the records are all-gathered in shard order.
 * @user_data is unused. */
gboolean fb_mpi_owns_block        (guint         item,
                                   guint         n,
                                   gpointer      user_data);
void     fb_mpi_exchange_blocks   (gpointer      items,
                                   guint         n,
                                   gsize         item_size,
                                   gpointer      user_data);

/* Collective.  The sum over ranks of @value. */
guint64  fb_mpi_allreduce_sum     (guint64       value);

/* Ends the whole run: prints "freebits-cli: rank R: MESSAGE" (just "freebits-cli:
 * MESSAGE" with one process) and exits with @status on every rank.  With
 * several ranks, ranks other than 0 wait a moment before printing, so that an
 * error every rank shares (a bad input file) is printed once, by rank 0. */
G_NORETURN void fb_mpi_abort      (int           status,
                                   const char   *message);

/* "rank R: " with several ranks, else "" (for error lines). */
const char *fb_mpi_rank_prefix    (void);

G_END_DECLS
