/* fb-accuracy-oracle.c — the shared part of every accuracy oracle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n-lib.h>

#include "fb-accuracy-oracle.h"

#include "fb-error.h"

#define FB_ACCURACY_ORACLE_DEFAULT_LIMIT 1000

void
fb_accuracy_oracle_init (FbAccuracyOracle            *self,
                         const FbAccuracyOracleClass *klass,
                         FbNetwork                   *network)
{
  g_return_if_fail (self != NULL && klass != NULL && klass->evaluate != NULL);
  g_return_if_fail (network != NULL);

  self->klass = klass;
  self->ref_count = 1;
  self->network = fb_network_ref (network);
  self->default_limit = FB_ACCURACY_ORACLE_DEFAULT_LIMIT;
}

FbAccuracyOracle *
fb_accuracy_oracle_ref (FbAccuracyOracle *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
fb_accuracy_oracle_unref (FbAccuracyOracle *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref_count))
    return;

  FbNetwork *network = self->network;
  if (self->klass->finalize != NULL)
    self->klass->finalize (self);   /* frees self */
  else
    g_free (self);
  fb_network_unref (network);
}

static gboolean
check_network (FbAccuracyOracle *self, FbPrecisionConfig *config, GError **error)
{
  FbNetwork *network = fb_precision_config_get_network (config);

  /* Same topology is enough: the GUI and the CLI may load a network twice. */
  if (network != self->network &&
      g_strcmp0 (fb_network_get_sha256 (network), fb_network_get_sha256 (self->network)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH,
                   _("the config is for network “%s”, the accuracy oracle for “%s”"),
                   fb_network_get_name (network),
                   fb_network_get_name (self->network));
      return FALSE;
    }
  return TRUE;
}

gboolean
fb_accuracy_oracle_evaluate_many (FbAccuracyOracle   *self,
                                  FbPrecisionConfig **configs,
                                  guint               n,
                                  guint               limit,
                                  void              (*progress) (guint done, guint n, gpointer data),
                                  gpointer            progress_data,
                                  GCancellable       *cancellable,
                                  double             *accuracy,
                                  GError            **error)
{
  g_return_val_if_fail (self != NULL && (n == 0 || (configs != NULL && accuracy != NULL)), FALSE);

  for (guint i = 0; i < n; i++)
    if (!check_network (self, configs[i], error))
      return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (self->klass->evaluate_many != NULL)
    return self->klass->evaluate_many (self, configs, n, limit, progress, progress_data, cancellable, accuracy,
                                       error);
  for (guint i = 0; i < n; i++)
    {
      if (progress != NULL)
        progress (i, n, progress_data);
      if (!fb_accuracy_oracle_evaluate (self, configs[i], limit, cancellable, &accuracy[i], error))
        return FALSE;
    }
  if (progress != NULL)
    progress (n, n, progress_data);
  return TRUE;
}

gboolean
fb_accuracy_oracle_evaluate (FbAccuracyOracle   *self,
                             FbPrecisionConfig  *config,
                             guint               limit,
                             GCancellable       *cancellable,
                             double             *accuracy,
                             GError            **error)
{
  g_return_val_if_fail (self != NULL && config != NULL && accuracy != NULL, FALSE);

  if (!check_network (self, config, error) || g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  return self->klass->evaluate (self, config, limit, cancellable, accuracy, error);
}

double
fb_accuracy_oracle_cost_hint (FbAccuracyOracle *self,
                              guint             limit)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->klass->cost_hint != NULL ? self->klass->cost_hint (self, limit) : 0.0;
}

const char *
fb_accuracy_oracle_get_name (FbAccuracyOracle *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->klass->name;
}

FbNetwork *
fb_accuracy_oracle_get_network (FbAccuracyOracle *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->network;
}

guint
fb_accuracy_oracle_get_default_limit (FbAccuracyOracle *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->default_limit;
}

void
fb_accuracy_oracle_set_default_limit (FbAccuracyOracle *self,
                                      guint             limit)
{
  g_return_if_fail (self != NULL);
  self->default_limit = limit;
}
