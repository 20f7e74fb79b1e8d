/* fb-bundle-job.c — "Export C Bundle…": FbExporter (src/export) in a worker thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "fb-bundle-job.h"
#include "fb-error.h"
#include "fb-exporter.h"
#include "fb-int-network.h"

struct _FbBundleJob {
  FbPrecisionConfig *config;
  char              *dir;
  char              *label;
  FbLatencyTable    *table;
  guint              n_images;
  gboolean           force;
  char              *weights_path;
  FbWeights         *weights;
  FbDataset         *test;
  FbDataset         *train;
};

typedef struct {
  char   *dir;
  double  accuracy;
} BundleResult;

static void
bundle_result_free (BundleResult *r)
{
  g_free (r->dir);
  g_free (r);
}

FbBundleJob *
fb_bundle_job_new (FbPrecisionConfig *config, const char *dir)
{
  FbBundleJob *self;

  g_return_val_if_fail (config != NULL && dir != NULL, NULL);
  self = g_new0 (FbBundleJob, 1);
  self->config = fb_precision_config_copy (config);
  self->dir = g_strdup (dir);
  self->n_images = FB_EXPORTER_DEFAULT_IMAGES;
  return self;
}

void
fb_bundle_job_free (FbBundleJob *self)
{
  if (self == NULL)
    return;
  fb_precision_config_free (self->config);
  g_clear_pointer (&self->table, fb_latency_table_unref);
  g_clear_pointer (&self->weights, fb_weights_unref);
  g_clear_pointer (&self->test, fb_dataset_unref);
  g_clear_pointer (&self->train, fb_dataset_unref);
  g_free (self->weights_path);
  g_free (self->label);
  g_free (self->dir);
  g_free (self);
}

void
fb_bundle_job_set_label (FbBundleJob *self, const char *label)
{
  g_free (self->label);
  self->label = g_strdup (label);
}

void
fb_bundle_job_set_latency_table (FbBundleJob *self, FbLatencyTable *table)
{
  if (table != NULL)
    fb_latency_table_ref (table);
  g_clear_pointer (&self->table, fb_latency_table_unref);
  self->table = table;
}

void
fb_bundle_job_set_images (FbBundleJob *self, guint n_images)
{
  self->n_images = n_images;
}

void
fb_bundle_job_set_force (FbBundleJob *self, gboolean force)
{
  self->force = force;
}

void
fb_bundle_job_set_weights (FbBundleJob *self, const char *path, FbWeights *weights)
{
  g_free (self->weights_path);
  self->weights_path = g_strdup (path);
  if (weights != NULL)
    fb_weights_ref (weights);
  g_clear_pointer (&self->weights, fb_weights_unref);
  self->weights = weights;
}

void
fb_bundle_job_set_datasets (FbBundleJob *self, FbDataset *test, FbDataset *train)
{
  if (test != NULL)
    fb_dataset_ref (test);
  if (train != NULL)
    fb_dataset_ref (train);
  g_clear_pointer (&self->test, fb_dataset_unref);
  g_clear_pointer (&self->train, fb_dataset_unref);
  self->test = test;
  self->train = train;
}

/* The training set, loaded on first use. */
static FbDataset *
need_train (FbBundleJob *self, GCancellable *cancellable, GError **error)
{
  if (self->train == NULL)
    self->train = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TRAIN, cancellable, error);
  return self->train;
}

static void
run_in_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  FbBundleJob *self = task_data;
  FbNetwork *network = fb_precision_config_get_network (self->config);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbWeights) folded = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autoptr(FbExporter) exporter = NULL;
  const FbIntEvalResult *eval;
  BundleResult *result;

  if (self->weights_path == NULL)
    {
      g_task_return_new_error (task, FB_ERROR, FB_ERROR_FIELD,
                               _("%s: no trained weights to export (the network names none and "
                                 "neither %s.fbw nor %s-float.fbw lies next to it)"),
                               fb_network_get_name (network), fb_network_get_name (network),
                               fb_network_get_name (network));
      return;
    }
  if (self->weights == NULL)
    {
      self->weights = fb_weights_load (self->weights_path, network, &error);
      if (self->weights == NULL)
        goto fail;
    }
  if (fb_int_network_needs_calibration (network, self->weights))
    {
      FbWeights *cal;

      if (need_train (self, cancellable, &error) == NULL)
        goto fail;
      cal = fb_int_network_calibrate (network, self->weights, self->weights_path, self->train,
                                      FB_BUNDLE_JOB_CALIBRATION_IMAGES, cancellable, &error);
      if (cal == NULL)
        goto fail;
      fb_weights_unref (self->weights);
      self->weights = cal;
    }
  /* A supernet's batch norm is recalibrated for the config, as the
   * accuracy engine measured it. */
  if (fb_int_network_is_supernet (self->weights) && need_train (self, cancellable, &error) == NULL)
    goto fail;
  folded = fb_int_network_weights_for_config (self->weights, self->weights_path, self->config, self->train,
                                              FB_BUNDLE_JOB_BN_IMAGES, cancellable, &error);
  if (folded == NULL)
    goto fail;
  inet = fb_int_network_new (self->config, folded, self->weights_path, FB_KERNEL_ARCH_HOST, &error);
  if (inet == NULL)
    goto fail;
  if (self->n_images > 0 && self->test == NULL)
    {
      self->test = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TEST, cancellable, &error);
      if (self->test == NULL)
        goto fail;
    }

  exporter = fb_exporter_new (inet);
  fb_exporter_set_config_label (exporter, self->label);
  fb_exporter_set_latency_table (exporter, self->table);
  fb_exporter_set_weights_origin (exporter, self->weights_path);
  if (self->n_images > 0)
    fb_exporter_set_test_images (exporter, self->test, self->n_images);
  if (!fb_exporter_write (exporter, self->dir, self->force, cancellable, &error))
    goto fail;

  eval = fb_exporter_get_evaluation (exporter);
  result = g_new0 (BundleResult, 1);
  result->dir = g_strdup (self->dir);
  result->accuracy = eval != NULL ? eval->accuracy : NAN;
  g_task_return_pointer (task, result, (GDestroyNotify) bundle_result_free);
  return;

fail:
  g_task_return_error (task, g_steal_pointer (&error));
}

void
fb_bundle_job_run_async (FbBundleJob *self, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, fb_bundle_job_run_async);
  g_task_set_name (task, "[freebits] export bundle");
  g_task_set_task_data (task, self, (GDestroyNotify) fb_bundle_job_free);
  g_task_run_in_thread (task, run_in_thread);
}

char *
fb_bundle_job_run_finish (GAsyncResult *result, double *accuracy, GError **error)
{
  BundleResult *r;
  char *dir;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  r = g_task_propagate_pointer (G_TASK (result), error);
  if (r == NULL)
    return NULL;
  if (accuracy != NULL)
    *accuracy = r->accuracy;
  dir = g_steal_pointer (&r->dir);
  bundle_result_free (r);
  return dir;
}
