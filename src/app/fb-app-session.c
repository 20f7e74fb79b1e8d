/* fb-app-session.c — the open network, weights, table and data set.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include "fb-app-session.h"
#include "fb-error.h"
#include "fb-nn-oracle.h"

struct _FbAppSession {
  FbNetwork      *network;
  char           *weights_path;   /* explicit; NULL: the network's */
  FbLatencyTable *table;
  char           *dataset_path;   /* NULL: Fashion-MNIST's default directory */
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

FbWeights *
fb_app_session_load_weights (FbAppSession *self, GError **error)
{
  const char *path = fb_app_session_get_weights_path (self);

  if (self->weights != NULL)
    return self->weights;
  if (path == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, "%s names no trained weights (use --weights)",
                   fb_network_get_name (self->network));
      return NULL;
    }
  self->weights = fb_weights_load (path, self->network, error);
  return self->weights;
}

FbDataset *
fb_app_session_load_dataset (FbAppSession *self, FbDatasetSplit split, GError **error)
{
  guint i = split == FB_DATASET_TRAIN ? 0 : 1;

  if (self->sets[i] == NULL)
    self->sets[i] = fb_dataset_load_fashion_mnist (self->dataset_path, split, NULL, error);
  return self->sets[i];
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
