/* fb-search-job.h — one search (uniform, Free Bits, Pareto front, the
 * differentiable λ sweep) in a worker thread.
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
#include "fb-dataset.h"
#include "fb-diff-search.h"
#include "fb-free-bits.h"
#include "fb-pareto.h"
#include "fb-search-uniform.h"

G_BEGIN_DECLS

typedef enum {
  FB_SEARCH_METHOD_UNIFORM,
  FB_SEARCH_METHOD_FREE_BITS,
  FB_SEARCH_METHOD_PARETO,
  FB_SEARCH_METHOD_DIFF,
  FB_SEARCH_N_METHODS
} FbSearchMethod;

/* Most λ values one differentiable sweep takes (each is a search of its own,
 * about a minute). */
#define FB_SEARCH_MAX_LAMBDAS 32

typedef struct {
  FbSearchMethod       method;
  FbSearchConstraints  constraints;
  double               tolerance;   /* Free Bits: accepted latency cost of a raise (fraction) */
  FbParetoObjectives   objectives;  /* Pareto front */
  double               epsilon;     /* Pareto front with three objectives */
  FbDiffCost           diff_cost;   /* differentiable: the regularized cost */
  guint                diff_steps;  /* differentiable: θ updates per λ */
  guint                n_lambdas;   /* differentiable: the sweep, in order */
  double               lambdas[FB_SEARCH_MAX_LAMBDAS];
} FbSearchParams;

/* Stable identifiers ("uniform", "free-bits", "pareto", "diff"), as in the
 * CLI and in candidates' "method". */
const char *fb_search_method_to_nick   (FbSearchMethod  method);
gboolean    fb_search_method_from_nick (const char     *nick,
                                        FbSearchMethod *method);
/* Translated name for the plot legend and status ("Free Bits", "Pareto DP"). */
const char *fb_search_method_get_name  (FbSearchMethod  method);
/* The plot series (and the candidates' "method") of a search with @params:
 * the method's name, except "diff" / "diff-bops" for the differentiable
 * search, as the CLI names its results. */
const char *fb_search_params_get_series_name (const FbSearchParams *params);

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
 * the differentiable search measures each λ's result before streaming it
 * (those below the minimum accuracy are left out); the results of the other
 * methods are measured after the search, and emitted again with their
 * accuracy ("measured", before "finished"; those below the minimum accuracy
 * are left out). Always on the oracle's default number of images. */
void            fb_search_job_set_oracle     (FbSearchJob          *self,
                                              FbAccuracyOracle     *oracle);

/* The differentiable search: the trained weights it starts from (a supernet
 * or calibrated float weights, e.g. the accuracy engine's), their origin (a
 * path, for messages) and the training images (all referenced). Without
 * them the differentiable search fails with an FB_ERROR. */
void            fb_search_job_set_supernet   (FbSearchJob          *self,
                                              FbWeights            *weights,
                                              const char           *origin,
                                              FbDataset            *train);

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
