/* fb-app-session.c — the open network, weights, table and data set.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n-lib.h>

#include "fb-build-config.h"

#include "fb-app-session.h"
#include "fb-error.h"
#include "fb-nn-oracle.h"

struct _FbAppSession {
  FbNetwork      *network;
  char           *weights_path;   /* explicit; NULL: the network's */
  FbLatencyTable *table;
  char           *dataset_path;   /* NULL: Fashion-MNIST's default directory */
  FbDatasetLayout layout;
  double          val_split;
  FbWeights      *weights;        /* loaded on first use */
  FbDataset      *sets[2];        /* FB_DATASET_TRAIN, FB_DATASET_TEST; loaded on first use */
};

FbAppSession *
fb_app_session_new (FbNetwork *network)
{
  FbAppSession *self;

  g_return_val_if_fail (network != NULL, NULL);
  self = g_new0 (FbAppSession, 1);
  self->network = fb_network_ref (network);
  return self;
}

void
fb_app_session_free (FbAppSession *self)
{
  if (self == NULL)
    return;
  fb_network_unref (self->network);
  g_clear_pointer (&self->table, fb_latency_table_unref);
  g_clear_pointer (&self->weights, fb_weights_unref);
  for (guint i = 0; i < G_N_ELEMENTS (self->sets); i++)
    g_clear_pointer (&self->sets[i], fb_dataset_unref);
  g_free (self->weights_path);
  g_free (self->dataset_path);
  g_free (self);
}

FbNetwork *
fb_app_session_get_network (FbAppSession *self)
{
  return self->network;
}

void
fb_app_session_set_weights_path (FbAppSession *self, const char *path)
{
  g_free (self->weights_path);
  self->weights_path = g_strdup (path);
  g_clear_pointer (&self->weights, fb_weights_unref);
}

const char *
fb_app_session_get_weights_path (FbAppSession *self)
{
  return self->weights_path != NULL ? self->weights_path : fb_network_get_weights_path (self->network);
}

gboolean
fb_app_session_has_explicit_weights (FbAppSession *self)
{
  return self->weights_path != NULL;
}

void
fb_app_session_set_latency_table (FbAppSession *self, FbLatencyTable *table)
{
  if (table != NULL)
    fb_latency_table_ref (table);
  g_clear_pointer (&self->table, fb_latency_table_unref);
  self->table = table;
}

FbLatencyTable *
fb_app_session_get_latency_table (FbAppSession *self)
{
  return self->table;
}

void
fb_app_session_set_dataset_path (FbAppSession *self, const char *path)
{
  g_free (self->dataset_path);
  self->dataset_path = g_strdup (path);
  for (guint i = 0; i < G_N_ELEMENTS (self->sets); i++)
    g_clear_pointer (&self->sets[i], fb_dataset_unref);
}

const char *
fb_app_session_get_dataset_path (FbAppSession *self)
{
  return self->dataset_path;
}

void
fb_app_session_set_dataset_options (FbAppSession *self, FbDatasetLayout layout, double val_split)
{
  g_return_if_fail (val_split >= 0 && val_split < 1);
  self->layout = layout;
  self->val_split = val_split;
  for (guint i = 0; i < G_N_ELEMENTS (self->sets); i++)
    g_clear_pointer (&self->sets[i], fb_dataset_unref);
}

/* Both parts in one open: the file is read (or mapped) once, and a one-set
 * source is split once. Checked against the network, as eval checks it. */
static gboolean
open_parts (FbAppSession *self, GError **error)
{
  FbDatasetSpec spec;

  if (self->sets[0] != NULL && self->sets[1] != NULL)
    return TRUE;
  fb_dataset_spec_init_for_network (&spec, self->network);
  spec.layout = self->layout;
  spec.val_split = self->val_split;
  for (guint i = 0; i < G_N_ELEMENTS (self->sets); i++)
    g_clear_pointer (&self->sets[i], fb_dataset_unref);
  return fb_dataset_open (self->dataset_path, &spec, &self->sets[0], &self->sets[1], NULL, error);
}

gboolean
fb_app_session_open_dataset (FbAppSession *self, FbAppDatasetSummary *summary, GError **error)
{
  FbDataset *train, *test;

  if (!open_parts (self, error))
    return FALSE;
  if (summary == NULL)
    return TRUE;
  train = self->sets[0];
  test = self->sets[1];
  *summary = (FbAppDatasetSummary) {
    .path = fb_dataset_get_path (test),
    .n_train = fb_dataset_get_n_images (train),
    .n_test = fb_dataset_get_n_images (test),
    .height = fb_dataset_get_height (test),
    .width = fb_dataset_get_width (test),
    .channels = fb_dataset_get_channels (test),
    .input_signed = fb_dataset_get_input_signed (test),
    .source_dtype = fb_dataset_get_source_dtype (test),
    .values = fb_network_get_output_kind (self->network) == FB_OUTPUT_VALUES,
  };
  if (!summary->values)
    summary->n_classes = MAX (fb_dataset_get_n_classes (train), fb_dataset_get_n_classes (test));
  return TRUE;
}

char *
fb_app_dataset_summary_to_string (const FbAppDatasetSummary *summary)
{
  g_autofree char *what = summary->values ? g_strdup ("real-valued targets")
                                          : g_strdup_printf ("%u classes", summary->n_classes);

  return g_strdup_printf ("%s: %u training + %u test examples, %u×%u×%u %s, %s", summary->path, summary->n_train,
                          summary->n_test, summary->height, summary->width, summary->channels,
                          fb_dataset_dtype_to_string (summary->source_dtype), what);
}

FbWeights *
fb_app_session_load_weights (FbAppSession *self, GError **error)
{
  const char *path = fb_app_session_get_weights_path (self);

  if (self->weights != NULL)
    return self->weights;
  if (path == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s names no trained weights (use --weights)"),
                   fb_network_get_name (self->network));
      return NULL;
    }
  self->weights = fb_weights_load (path, self->network, error);
  return self->weights;
}

FbDataset *
fb_app_session_load_dataset (FbAppSession *self, FbDatasetSplit split, GError **error)
{
  if (!open_parts (self, error))
    return NULL;
  return self->sets[split == FB_DATASET_TRAIN ? 0 : 1];
}

FbAccuracyOracle *
fb_app_session_create_oracle (FbAppSession *self, gboolean *weights_failed, GError **error)
{
  FbWeights *weights;
  FbDataset *test, *train;

  if (weights_failed != NULL)
    *weights_failed = FALSE;
  /* No trained weights: this network has no accuracy engine. */
  if (fb_app_session_get_weights_path (self) == NULL)
    return NULL;
  weights = fb_app_session_load_weights (self, error);
  if (weights == NULL)
    {
      if (weights_failed != NULL)
        *weights_failed = TRUE;
      return NULL;
    }
  test = fb_app_session_load_dataset (self, FB_DATASET_TEST, error);
  if (test == NULL)
    return NULL;
  /* Training images calibrate float-only weights and recalibrate a supernet's
   * batch norm per config. */
  train = fb_app_session_load_dataset (self, FB_DATASET_TRAIN, error);
  if (train == NULL)
    return NULL;
  return fb_nn_oracle_new (self->network, weights, fb_app_session_get_weights_path (self), test, train, NULL,
                           error);
}
