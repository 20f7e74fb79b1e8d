/* fb-sweep-export.h — a search exported as a folder to run on a cluster.
 *
 * The GUI stays a desktop program: "Export Sweep for Cluster…" writes a
 * folder with the inputs (network, weights, latency table, data set, start
 * config) and the freebits-cli commands that run the search there under MPI,
 * and "Open Cluster Results…" opens what those commands wrote once the folder
 * comes back.  The folder:
 *
 *   inputs/          network.json, weights.fbw, TARGET.json, start.json, data/…
 *   commands.txt     the freebits-cli lines, paths relative to the folder
 *   run.sh           the same lines, each started by $LAUNCH (default
 *                    "mpirun -n RANKS"); run from anywhere
 *   freebits.sbatch  Slurm: #SBATCH --ntasks=RANKS, runs run.sh with srun
 *   sweep.json       freebits-sweep/1: the commands and the result files
 *   results/         where the commands write (candidates files)
 *
 * The commands: the search itself (-o results/METHOD.json); after a
 * differentiable sweep with a latency table, Free Bits from its results
 * (results/free-bits.json); with weights, eval --configs of the last results
 * on the whole test set (results/…-full.json).  The folder is made under a
 * temporary name and renamed, so it is whole or absent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-latency-table.h"
#include "fb-search-method.h"

G_BEGIN_DECLS

typedef struct {
  FbNetwork            *network;       /* saved as inputs/network.json */
  FbLatencyTable       *table;         /* may be NULL; saved as inputs/TARGET.json */
  FbPrecisionConfig    *start;         /* may be NULL; saved as inputs/start.json (--config) */
  const char           *weights_path;  /* may be NULL (no accuracy); copied as inputs/weights.fbw */
  const char           *data_path;     /* may be NULL (Fashion-MNIST on the cluster); copied into inputs/data/ */
  const FbSearchParams *params;        /* the search */
  guint                 ranks;         /* mpirun -n, --ntasks (0: 4) */
} FbSweepExportOptions;

/* Writes the folder @dir (must not exist, or be empty). */
gboolean   fb_sweep_export_write        (const FbSweepExportOptions *options,
                                         const char                 *dir,
                                         GError                    **error);

/* The options of freebits-cli search that give @params (NULL-terminated,
 * g_strfreev), e.g. { "--method", "diff", "--lambdas", "0,0.1", … }: only
 * those the method takes, only values other than the defaults. */
char     **fb_sweep_export_search_args  (const FbSearchParams       *params);

/* The result files of the folder @dir that exist (absolute paths, the
 * commands' order; g_ptr_array_unref); an error when @dir holds no
 * readable sweep.json.  An empty array: nothing has come back yet. */
GPtrArray *fb_sweep_export_list_results (const char                 *dir,
                                         GError                    **error);

G_END_DECLS
