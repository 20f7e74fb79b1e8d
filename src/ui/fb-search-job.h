/* fb-search-job.h — one search (uniform, Free Bits, Pareto front) in a worker thread.
 *
 * The job copies what it needs (network and table are referenced, the start
 * config copied), runs the src/search function with g_task_run_in_thread and
 * hands its results to the main loop in batches: the worker appends each
 * candidate to a locked array and a short timeout on the caller's main context
 * drains it, so a search finding 100 000 configs costs the main loop a few
 * dozen "candidates" emissions, not 100 000 idles. Candidates are immutable
 * and reference counted (FbCandidate), so nothing is copied twice.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-accuracy-oracle.h"
#include "fb-free-bits.h"
#include "fb-pareto.h"
#include "fb-search-uniform.h"

G_BEGIN_DECLS

typedef enum {
  FB_SEARCH_METHOD_UNIFORM,
  FB_SEARCH_METHOD_FREE_BITS,
  FB_SEARCH_METHOD_PARETO,
  FB_SEARCH_N_METHODS
} FbSearchMethod;

typedef struct {
  FbSearchMethod       method;
  FbSearchConstraints  constraints;
  double               tolerance;   /* Free Bits: accepted latency cost of a raise (fraction) */
  FbParetoObjectives   objectives;  /* Pareto front */
  double               epsilon;     /* Pareto front with three objectives */
} FbSearchParams;

/* Stable identifiers ("uniform", "free-bits", "pareto"), as in the CLI and in
 * candidates' "method". */
const char *fb_search_method_to_nick   (FbSearchMethod  method);
gboolean    fb_search_method_from_nick (const char     *nick,
                                        FbSearchMethod *method);
/* Translated name for the plot legend and status ("Free Bits", "Pareto DP"). */
const char *fb_search_method_get_name  (FbSearchMethod  method);

#define FB_TYPE_SEARCH_JOB (fb_search_job_get_type ())
G_DECLARE_FINAL_TYPE (FbSearchJob, fb_search_job, FB, SEARCH_JOB, GObject)

/* @table may be NULL (then only BOPs/size objectives make sense); @start may
 * be NULL for uniform and Pareto (no pins) and is copied. */
FbSearchJob    *fb_search_job_new            (FbNetwork            *network,
                                              FbLatencyTable       *table,
                                              FbPrecisionConfig    *start,
                                              const FbSearchParams *params);

/* Optional, before starting: an accuracy oracle (referenced). Free Bits
 * uses it in its lowering step (its result carries the oracle's accuracy);
 * the results of the other methods are measured after the search on the
 * oracle's default number of images, and emitted again with their accuracy
 * ("measured", before "finished"; those below the minimum accuracy are left
 * out). */
void            fb_search_job_set_oracle     (FbSearchJob          *self,
                                              FbAccuracyOracle     *oracle);

/* Starts the worker. @parent (may be NULL) cancels the job when cancelled,
 * e.g. the window's cancellable. Signals are emitted on the thread-default
 * main context of the caller. */
void            fb_search_job_start          (FbSearchJob          *self,
                                              GCancellable         *parent);
/* Asks the worker to stop; "finished" follows with a cancelled error. */
void            fb_search_job_cancel         (FbSearchJob          *self);

gboolean        fb_search_job_is_running     (FbSearchJob          *self);
FbSearchMethod  fb_search_job_get_method     (FbSearchJob          *self);
FbLatencyTable *fb_search_job_get_table      (FbSearchJob          *self);
const FbSearchParams *fb_search_job_get_params (FbSearchJob        *self);
/* Progress as last reported by the worker (already drained). */
double          fb_search_job_get_fraction   (FbSearchJob          *self);
const char     *fb_search_job_get_message    (FbSearchJob          *self);
/* Seconds since start (until "finished"). */
double          fb_search_job_get_elapsed    (FbSearchJob          *self);
/* Estimated seconds left from the progress so far; NAN while too early to tell. */
double          fb_search_job_get_eta        (FbSearchJob          *self);
guint           fb_search_job_get_n_results  (FbSearchJob          *self);
/* After "finished": NULL on success, else the error (cancelled: G_IO_ERROR_CANCELLED). */
const GError   *fb_search_job_get_error      (FbSearchJob          *self);
/* Free Bits: the changes applied (FbFreeBitsChange), after "finished"; may be NULL. */
GPtrArray      *fb_search_job_get_changes    (FbSearchJob          *self);

G_END_DECLS
