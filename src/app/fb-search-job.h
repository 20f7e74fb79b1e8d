/* fb-search-job.h — one search (any row of the method table,
 * fb-search-method.h) as an FbJob: in a worker thread for the GUI, on the
 * caller's thread for the CLI.
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

#include "fb-job.h"
#include "fb-search-method.h"

G_BEGIN_DECLS

#define FB_TYPE_SEARCH_JOB (fb_search_job_get_type ())
G_DECLARE_FINAL_TYPE (FbSearchJob, fb_search_job, FB, SEARCH_JOB, FbJob)

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

/* Optional: the accuracy proxy for the accuracy objective (referenced).
 * Without it the job measures the sensitivities with its oracle when the
 * front needs them, as freebits-cli search does. */
void            fb_search_job_set_sensitivity (FbSearchJob         *self,
                                              FbSensitivity        *sensitivity);
/* Free Bits: start configs (FbPrecisionConfig, copied), instead of the one
 * start config; @start_name names the one start config in the runs. */
void            fb_search_job_set_starts     (FbSearchJob          *self,
                                              GPtrArray            *starts,
                                              const char           *start_name);
/* Whether the job measures the results with its oracle: each λ's result of
 * the differentiable search as it arrives, the other methods' results (not
 * Free Bits', whose lowering step measures) afterwards ("measured"). Default
 * TRUE; the CLI measures afterwards itself. The oracle still serves Free
 * Bits' lowering (params.lower) and the sensitivities of the accuracy objective. */
void            fb_search_job_set_measure    (FbSearchJob          *self,
                                              gboolean              measure);

/* The differentiable search: called for each λ's result (in the worker). */
void            fb_search_job_set_diff_func  (FbSearchJob          *self,
                                              FbSearchDiffFunc      func,
                                              gpointer              user_data);

/* The FbJob life cycle under the search's names. Starts the worker. @parent (may be NULL) cancels the job when cancelled,
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
/* Free Bits: the changes applied (FbFreeBitsChange) from the first start,
 * after "finished"; may be NULL. */
GPtrArray      *fb_search_job_get_changes    (FbSearchJob          *self);
/* After "finished": the run's outputs (free-bits runs, objectives used, DP
 * statistics, the sensitivity measured). */
const FbSearchRun *fb_search_job_get_run     (FbSearchJob          *self);
/* Every candidate streamed, in order (after "finished"). */
GPtrArray      *fb_search_job_get_found      (FbSearchJob          *self);

G_END_DECLS
