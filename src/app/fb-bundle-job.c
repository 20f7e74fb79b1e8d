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
  FbJob              parent_instance;

  /* Read-only once running (the worker reads them; it may load what is NULL). */
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

G_DEFINE_FINAL_TYPE (FbBundleJob, fb_bundle_job, FB_TYPE_JOB)

FbBundleJob *
fb_bundle_job_new (FbPrecisionConfig *config, const char *dir)
{
  FbBundleJob *self;

  g_return_val_if_fail (config != NULL && dir != NULL, NULL);
  self = g_object_new (FB_TYPE_BUNDLE_JOB, NULL);
  self->config = fb_precision_config_copy (config);
  self->dir = g_strdup (dir);
  self->n_images = FB_EXPORTER_DEFAULT_IMAGES;
  return self;
}

void
fb_bundle_job_free (FbBundleJob *self)
{
  if (self != NULL)
    g_object_unref (self);
}

static void
fb_bundle_job_finalize (GObject *object)
{
  FbBundleJob *self = FB_BUNDLE_JOB (object);

  fb_precision_config_free (self->config);
  g_clear_pointer (&self->table, fb_latency_table_unref);
  g_clear_pointer (&self->weights, fb_weights_unref);
  g_clear_pointer (&self->test, fb_dataset_unref);
  g_clear_pointer (&self->train, fb_dataset_unref);
  g_free (self->weights_path);
  g_free (self->label);
  g_free (self->dir);
  G_OBJECT_CLASS (fb_bundle_job_parent_class)->finalize (object);
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

static gboolean
fb_bundle_job_run (FbJob *job, GCancellable *cancellable, GError **out_error)
{
  FbBundleJob *self = FB_BUNDLE_JOB (job);
  FbNetwork *network = fb_precision_config_get_network (self->config);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbWeights) folded = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autoptr(FbExporter) exporter = NULL;
  const FbIntEvalResult *eval;
  BundleResult *result;

  if (self->weights_path == NULL)
    {
      g_set_error (out_error, FB_ERROR, FB_ERROR_FIELD,
                               _("%s: no trained weights to export (the network names none and "
                                 "neither %s.fbw nor %s-float.fbw lies next to it)"),
                   fb_network_get_name (network), fb_network_get_name (network),
                   fb_network_get_name (network));
      return FALSE;
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
  fb_job_set_result (job, result, (GDestroyNotify) bundle_result_free);
  return TRUE;

fail:
  g_propagate_error (out_error, g_steal_pointer (&error));
  return FALSE;
}

void
fb_bundle_job_run_async (FbBundleJob *self, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (FB_IS_BUNDLE_JOB (self));
  fb_job_run_async (FB_JOB (self), cancellable, callback, user_data);
  /* The running task holds the job. */
  g_object_unref (self);
}

char *
fb_bundle_job_run_finish (GAsyncResult *result, double *accuracy, GError **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);
  BundleResult *r;

  g_return_val_if_fail (FB_IS_BUNDLE_JOB (source), NULL);
  if (!fb_job_run_finish (FB_JOB (source), result, error))
    return NULL;
  r = fb_job_get_result (FB_JOB (source));
  if (accuracy != NULL)
    *accuracy = r->accuracy;
  return g_strdup (r->dir);
}

static void
fb_bundle_job_class_init (FbBundleJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fb_bundle_job_finalize;
  FB_JOB_CLASS (klass)->run = fb_bundle_job_run;
}

static void
fb_bundle_job_init (FbBundleJob *self)
{
}
