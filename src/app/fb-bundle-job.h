/* fb-bundle-job.h — "Export C Bundle…": FbExporter (src/export) in a worker thread.
 *
 * Everything slow happens in the thread: loading weights and data sets the
 * window does not already hold, calibrating float-only weights, folding the
 * integer network and writing the bundle (docs/export.md). With the window's
 * accuracy engine the job reuses its (calibrated) weights and data sets, so
 * the bundle runs exactly the integers whose accuracy the window shows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-dataset.h"
#include "fb-job.h"
#include "fb-latency-table.h"
#include "fb-weights.h"

G_BEGIN_DECLS

#define FB_TYPE_BUNDLE_JOB (fb_bundle_job_get_type ())
G_DECLARE_FINAL_TYPE (FbBundleJob, fb_bundle_job, FB, BUNDLE_JOB, FbJob)

/* Images calibrating float-only weights and recalibrating a supernet's batch
 * norm: the defaults of freebits-cli eval and export, so all fold the same. */
#define FB_BUNDLE_JOB_CALIBRATION_IMAGES 2000
#define FB_BUNDLE_JOB_BN_IMAGES          2048

/* @config is copied; @dir is the bundle directory to write. */
FbBundleJob *fb_bundle_job_new            (FbPrecisionConfig *config,
                                           const char        *dir);
/* g_object_unref(). */
void         fb_bundle_job_free           (FbBundleJob       *self);

/* How the config is named in the bundle ("w4a8", "mixed.json"). */
void         fb_bundle_job_set_label      (FbBundleJob       *self,
                                           const char        *label);
void         fb_bundle_job_set_latency_table (FbBundleJob    *self,
                                           FbLatencyTable    *table);
/* Test images in the bundle (default FB_EXPORTER_DEFAULT_IMAGES; 0: none). */
void         fb_bundle_job_set_images     (FbBundleJob       *self,
                                           guint              n_images);
/* Replace an existing bundle (never other files: FbExporter refuses). */
void         fb_bundle_job_set_force      (FbBundleJob       *self,
                                           gboolean           force);
/* The weights file (required) and, when already loaded, the weights to fold
 * (may be calibrated) and data sets; what is NULL is loaded in the thread. */
void         fb_bundle_job_set_weights    (FbBundleJob       *self,
                                           const char        *path,
                                           FbWeights         *weights);
void         fb_bundle_job_set_datasets   (FbBundleJob       *self,
                                           FbDataset         *test,
                                           FbDataset         *train);

/* Takes ownership of @self (fb_job_run() runs it synchronously). */
void         fb_bundle_job_run_async      (FbBundleJob       *self,
                                           GCancellable      *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer           user_data);
/* The bundle directory written; *@accuracy (may be NULL) gets the in-process
 * accuracy of the exported test images, NAN without them. */
char        *fb_bundle_job_run_finish     (GAsyncResult      *result,
                                           double            *accuracy,
                                           GError           **error);


G_END_DECLS
