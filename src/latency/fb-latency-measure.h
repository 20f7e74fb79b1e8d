/* fb-latency-measure.h — measured per-layer latency tables (rv32imc under QEMU, host).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For every layer of a network and every precision key the layer admits
 * (fb_latency_admissible_keys()), the layer is lowered with fb_plan_step_init() and exactly
 * that kernel call is run on seeded random data:
 *  - rv32imc: inside one harness ELF (fb-latency-harness-rv32.c, built once and cached, see
 *    fb-rv32.h) under qemu-system-riscv32 -icount shift=0, counting retired instructions
 *    (minstret) around the call; the jobs are split over several QEMU processes.  Layers with
 *    more output rows than max_rows are measured on a slice of slice_rows and 2 * slice_rows
 *    output rows from the top and extrapolated linearly to the full height (the per-call
 *    fixed part, e.g. the weight preparation, is what the difference removes); the table's
 *    provenance lists those layers under "scaled_rows".
 *  - host: in this process with the host build of the kernels: warm-up, then the median of
 *    `repeats` samples (each sample long enough for the clock), microseconds per call; the
 *    inter-quartile range goes to the table's "spread".
 * Both are deterministic in what they run; rv32imc counts are deterministic, so two runs
 * give identical files.
 */
#pragma once

#include <gio/gio.h>

#include "fb-latency-table.h"
#include "fb-network.h"
#include "fb-precision-config.h"

G_BEGIN_DECLS

typedef struct {
  const char *target;      /* "rv32imc" or "host" */
  guint       max_rows;    /* rv32imc: row-slice layers with more output rows (0: never) */
  guint       slice_rows;  /* rows of the first slice (the second has twice as many) */
  guint       workers;     /* rv32imc: QEMU processes */
  gint        shift;       /* requantization shift d of the random parameters */
  guint       repeats;     /* host: samples per call (median, IQR) */
  double      min_sample;  /* host: seconds per sample at least */
} FbLatencyMeasureOptions;

/* Defaults: max_rows 32, slice_rows 4, workers = number of processors (at least 2 when
 * there are 2), shift 16, repeats 11, min_sample 0.002. */
void            fb_latency_measure_options_init (FbLatencyMeasureOptions *opts,
                                                 const char              *target);

/* Called on the calling thread's main context after each table entry is complete. */
typedef void (*FbLatencyProgressFunc) (guint        done,
                                       guint        total,
                                       const char  *layer,
                                       const char  *key,
                                       gpointer     user_data);

/* Measures every (layer, admissible key) of @network.  Iterates the thread-default main
 * context while it runs (so signal sources attached there can cancel it).  Cancelling
 * @cancellable stops the QEMU processes or the timing loop promptly and returns
 * G_IO_ERROR_CANCELLED. */
FbLatencyTable *fb_latency_measure              (FbNetwork               *network,
                                                 const FbLatencyMeasureOptions *opts,
                                                 FbLatencyProgressFunc    progress,
                                                 gpointer                 user_data,
                                                 GCancellable            *cancellable,
                                                 GError                 **error);

/* Runs the whole plan of @config end to end (one ELF run for rv32imc: one instruction count
 * around the sequence of all calls, activations flowing from layer to layer; host: the
 * median time of the sequence).  *total receives the cost of the sequence and @per_step
 * (if not NULL, a GArray of double) the cost of each call as counted inside the sequence. */
gboolean        fb_latency_run_plan             (FbPrecisionConfig       *config,
                                                 const FbLatencyMeasureOptions *opts,
                                                 double                  *total,
                                                 GArray                  *per_step,
                                                 GCancellable            *cancellable,
                                                 GError                 **error);


G_END_DECLS
