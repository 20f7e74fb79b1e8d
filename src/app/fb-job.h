/* fb-job.h — one shape for every long-running thing a user starts: a search,
 * a BOPs-vs-latency comparison, a C bundle export.
 *
 * As sysprof's SysprofAid gives its instruments one shape, FbJob gives the
 * jobs one life cycle: the subclass's run() does the work (in a GTask worker
 * thread, or on the caller's thread for the CLI), reporting progress (a
 * fraction and a stage label) with fb_job_report_progress(); the job batches
 * those reports onto the caller's main context (a short timeout drains them,
 * not one idle per report), estimates the time left, cancels through its own
 * GCancellable (linked to a parent one, e.g. the window's), and finishes once
 * with a result or a GError.
 *
 * Two ways to run:
 * - fb_job_run_async() / fb_job_run_finish() (or fb_job_start() and the
 *   "finished" signal): the GUI; signals come on the thread-default main
 *   context of the caller.
 * - fb_job_run(): synchronous, for the CLI; "progress" (and the subclass's
 *   own signals) are emitted on the calling thread as the work reports.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FB_TYPE_JOB (fb_job_get_type ())
G_DECLARE_DERIVABLE_TYPE (FbJob, fb_job, FB, JOB, GObject)

struct _FbJobClass {
  GObjectClass parent_class;

  /* The work: worker thread (fb_job_run: the caller's thread). Reports with
   * fb_job_report_progress(), hands results over with fb_job_set_result()
   * or its own locked queue plus fb_job_queue_drain(). Required. */
  gboolean (*run)    (FbJob        *self,
                      GCancellable *cancellable,
                      GError      **error);
  /* Main context: emit what the worker queued since the last drain; returns
   * whether anything was emitted (then "progress" follows). Optional. */
  gboolean (*drain)  (FbJob        *self);
  /* Main context, after run() returned and the last drain, before
   * "finished". Optional. */
  void     (*finish) (FbJob        *self);

  gpointer padding[8];
};

/* Starts the worker; @parent (may be NULL) cancels the job when cancelled.
 * "finished" follows (then fb_job_get_error() says how it went). */
void          fb_job_start            (FbJob               *self,
                                       GCancellable        *parent);
/* As fb_job_start(), and @callback after "finished". */
void          fb_job_run_async        (FbJob               *self,
                                       GCancellable        *parent,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gboolean      fb_job_run_finish       (FbJob               *self,
                                       GAsyncResult        *result,
                                       GError             **error);
/* Runs on the calling thread; @cancellable (may be NULL) as @parent above. */
gboolean      fb_job_run              (FbJob               *self,
                                       GCancellable        *cancellable,
                                       GError             **error);
/* Asks the work to stop; it finishes with G_IO_ERROR_CANCELLED. */
void          fb_job_cancel           (FbJob               *self);

gboolean      fb_job_is_running       (FbJob               *self);
/* Progress as last drained: fraction in [0, 1] (of the stage begun last,
 * if any) and the label of the last report. */
double        fb_job_get_fraction     (FbJob               *self);
const char   *fb_job_get_stage        (FbJob               *self);
/* Seconds since start (until finished). */
double        fb_job_get_elapsed      (FbJob               *self);
/* Seconds left from the progress so far; NAN while too early to tell, 0
 * when not running. */
double        fb_job_get_eta          (FbJob               *self);
/* After finishing: NULL on success, else the error. */
const GError *fb_job_get_error        (FbJob               *self);
/* After finishing: what run() set with fb_job_set_result() (owned by the job). */
gpointer      fb_job_get_result       (FbJob               *self);

/* ---- for subclasses' run() (any thread) ---- */

/* Whether run() runs on the caller's thread (fb_job_run()) rather than in a
 * worker: work that iterates a main context uses the caller's there, its own
 * in a worker. */
gboolean      fb_job_is_synchronous   (FbJob               *self);

/* Thread-safe; @stage may be NULL (keeps no label). Same signature as
 * FbSearchProgressFunc with the job as user data. */
void          fb_job_report_progress  (double               fraction,
                                       const char          *stage,
                                       gpointer             job);
/* Thread-safe: a new stage of the work begins ("searching", "measuring
 * accuracy"): the fraction starts again at 0 and the time left is
 * extrapolated from the stage's own start. @name is not translated. */
void          fb_job_begin_stage      (FbJob               *self,
                                       const char          *name);
/* Main context: the stage begun last, or NULL. */
const char   *fb_job_get_stage_name   (FbJob               *self);

/* Thread-safe: the subclass queued something for its drain(). */
void          fb_job_queue_drain      (FbJob               *self);
/* The result, freed with @destroy with the job (replaces an earlier one). */
void          fb_job_set_result       (FbJob               *self,
                                       gpointer             result,
                                       GDestroyNotify       destroy);

G_END_DECLS
