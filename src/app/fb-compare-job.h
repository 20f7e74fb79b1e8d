/* fb-compare-job.h — fb_compare_run (BOPs vs latency) in a worker thread.
 *
 * An FbJob: the job references the network, the tables and the oracle and
 * runs src/search's fb_compare_run in a worker thread; progress, cancel and
 * "finished" are FbJob's. Then either the JSON result or the error
 * (cancelled: G_IO_ERROR_CANCELLED) is there. "partial" comes first, once
 * the configs are known and before their accuracy is measured.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fb-compare.h"
#include "fb-job.h"

G_BEGIN_DECLS

#define FB_TYPE_COMPARE_JOB (fb_compare_job_get_type ())
G_DECLARE_FINAL_TYPE (FbCompareJob, fb_compare_job, FB, COMPARE_JOB, FbJob)

/* @tables: FbLatencyTable * (referenced, at least one). @options: samples,
 * seed, max_front, limit are copied; its oracle is referenced (may be NULL);
 * its sensitivity must be NULL (the GUI has none). */
FbCompareJob     *fb_compare_job_new          (FbNetwork              *network,
                                               GPtrArray              *tables,
                                               const FbCompareOptions *options);
/* Starts the worker; @parent (may be NULL) cancels the job when cancelled
 * (the window's cancellable). Signals come on the caller's thread-default
 * main context. */
void              fb_compare_job_start        (FbCompareJob           *self,
                                               GCancellable           *parent);
void              fb_compare_job_cancel       (FbCompareJob           *self);

gboolean          fb_compare_job_is_running   (FbCompareJob           *self);
double            fb_compare_job_get_fraction (FbCompareJob           *self);
const char       *fb_compare_job_get_message  (FbCompareJob           *self);
/* Seconds since start (until "finished"). */
double            fb_compare_job_get_elapsed  (FbCompareJob           *self);
/* After "finished": the result (fb_compare_run's JSON) or NULL. */
JsonNode         *fb_compare_job_get_result   (FbCompareJob           *self);
const GError     *fb_compare_job_get_error    (FbCompareJob           *self);
/* After "partial": the pool before its accuracy (fb_compare_run's JSON with
 * "accuracy": "pending"), or NULL. */
JsonNode         *fb_compare_job_get_partial  (FbCompareJob           *self);
FbNetwork        *fb_compare_job_get_network  (FbCompareJob           *self);

G_END_DECLS
