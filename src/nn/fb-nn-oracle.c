/* fb-nn-oracle.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-error.h"
#include "fb-int-network.h"
#include "fb-nn-oracle.h"

/* Training images that calibrate float-only weights. */
#define CALIBRATION_IMAGES 2000
/* Training images that recalibrate batch norm of supernet weights per config. */
#define BN_IMAGES 2048
/* Images of the evaluation that seeds the cost hint. */
#define PROBE_IMAGES 64

struct _FbNnOracle {
  FbAccuracyOracle parent;
  FbWeights       *weights;
  char            *origin;
  FbDataset       *test;
  FbDataset       *train;          /* may be NULL */
  GMutex           lock;
  GHashTable      *cache;          /* CacheKey* → double* */
  guint            n_evaluations;
  double           fold_s;         /* measured, per evaluation */
  double           image_s;        /* measured, per image */
};

typedef struct {
  FbPrecisionConfig *config;   /* owned copy */
  guint              limit;    /* normalized: images actually evaluated */
} CacheKey;

static guint
key_hash (gconstpointer p)
{
  const CacheKey *k = p;
  return fb_precision_config_hash (k->config) * 31u + k->limit;
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  const CacheKey *x = a, *y = b;
  return x->limit == y->limit && fb_precision_config_equal (x->config, y->config);
}

static void
key_free (gpointer p)
{
  CacheKey *k = p;
  fb_precision_config_free (k->config);
  g_free (k);
}

static const FbAccuracyOracleClass nn_oracle_class;

gboolean
fb_nn_oracle_is (FbAccuracyOracle *oracle)
{
  return oracle != NULL && oracle->klass == &nn_oracle_class;
}

static guint
normalize_limit (FbNnOracle *self, guint limit)
{
  guint n = fb_dataset_get_n_images (self->test);
  return limit == 0 ? n : MIN (limit, n);
}

/* Folds and evaluates; updates the measured costs. */
static gboolean
run_eval (FbNnOracle *self, FbPrecisionConfig *config, guint limit, GCancellable *cancellable,
          double *accuracy, GError **error)
{
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autoptr(FbWeights) w = NULL;
  FbIntEvalResult r;
  gint64 t0 = g_get_monotonic_time ();
  double fold_s;

  /* Batch-norm recalibration of supernet weights counts as folding cost. */
  w = fb_int_network_weights_for_config (self->weights, self->origin, config, self->train, BN_IMAGES,
                                         cancellable, error);
  if (w == NULL)
    return FALSE;
  inet = fb_int_network_new (config, w, self->origin, fb_kernel_arch (), error);
  if (inet == NULL)
    return FALSE;
  fold_s = (g_get_monotonic_time () - t0) / 1e6;
  if (!fb_int_network_evaluate (inet, self->test, limit, 0, cancellable, &r, error))
    return FALSE;
  *accuracy = r.accuracy;

  g_mutex_lock (&self->lock);
  self->n_evaluations++;
  /* A running average weighs recent runs (the machine's load changes). */
  self->fold_s = self->fold_s > 0 ? 0.7 * self->fold_s + 0.3 * fold_s : fold_s;
  if (r.n_images > 0)
    {
      double per = r.seconds / r.n_images;
      self->image_s = self->image_s > 0 ? 0.7 * self->image_s + 0.3 * per : per;
    }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
nn_oracle_evaluate (FbAccuracyOracle  *oracle,
                    FbPrecisionConfig *config,
                    guint              limit,
                    GCancellable      *cancellable,
                    double            *accuracy,
                    GError           **error)
{
  FbNnOracle *self = (FbNnOracle *) oracle;
  CacheKey probe = { config, normalize_limit (self, limit) };
  const double *hit;
  CacheKey *key;

  g_mutex_lock (&self->lock);
  hit = g_hash_table_lookup (self->cache, &probe);
  if (hit != NULL)
    *accuracy = *hit;
  g_mutex_unlock (&self->lock);
  if (hit != NULL)
    return TRUE;

  /* Unlocked: two threads asking for the same new config both compute it
   * (same result); the lock never waits for an evaluation. */
  if (!run_eval (self, config, probe.limit, cancellable, accuracy, error))
    return FALSE;

  key = g_new (CacheKey, 1);
  key->config = fb_precision_config_copy (config);
  key->limit = probe.limit;
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->cache, key, g_memdup2 (accuracy, sizeof *accuracy));
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static double
nn_oracle_cost_hint (FbAccuracyOracle *oracle, guint limit)
{
  FbNnOracle *self = (FbNnOracle *) oracle;
  double s;

  g_mutex_lock (&self->lock);
  s = self->fold_s + self->image_s * normalize_limit (self, limit);
  g_mutex_unlock (&self->lock);
  return s;
}

static void
nn_oracle_finalize (FbAccuracyOracle *oracle)
{
  FbNnOracle *self = (FbNnOracle *) oracle;

  g_hash_table_unref (self->cache);
  g_mutex_clear (&self->lock);
  fb_weights_unref (self->weights);
  fb_dataset_unref (self->test);
  g_clear_pointer (&self->train, fb_dataset_unref);
  g_free (self->origin);
  g_free (self);
}

static const FbAccuracyOracleClass nn_oracle_class = {
  .name = "nn",
  .evaluate = nn_oracle_evaluate,
  .cost_hint = nn_oracle_cost_hint,
  .finalize = nn_oracle_finalize,
};

FbAccuracyOracle *
fb_nn_oracle_new (FbNetwork    *network,
                  FbWeights    *weights,
                  const char   *weights_origin,
                  FbDataset    *test,
                  FbDataset    *train,
                  GCancellable *cancellable,
                  GError      **error)
{
  g_autoptr(FbWeights) w = NULL;
  g_autoptr(FbPrecisionConfig) probe_cfg = NULL;
  const char *origin = weights_origin != NULL ? weights_origin : "weights";
  FbNnOracle *self;
  double acc;

  if (fb_int_network_is_supernet (weights) && train == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   "%s: supernet weights need training images to recalibrate batch norm per config",
                   origin);
      return NULL;
    }
  if (fb_int_network_needs_calibration (network, weights))
    {
      if (train == NULL)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       "%s: float-only weights (no \"act_alpha\") need training images to calibrate",
                       origin);
          return NULL;
        }
      w = fb_int_network_calibrate (network, weights, origin, train, CALIBRATION_IMAGES,
                                    cancellable, error);
      if (w == NULL)
        return NULL;
    }
  else
    w = fb_weights_ref (weights);

  self = g_new0 (FbNnOracle, 1);
  fb_accuracy_oracle_init (&self->parent, &nn_oracle_class, network);
  self->weights = g_steal_pointer (&w);
  self->origin = g_strdup (origin);
  self->test = fb_dataset_ref (test);
  self->train = train != NULL ? fb_dataset_ref (train) : NULL;
  g_mutex_init (&self->lock);
  self->cache = g_hash_table_new_full (key_hash, key_equal, key_free, g_free);

  /* Measures the cost hint and checks weights and data set up front, so a
   * search learns of a bad file now, not at its first config. */
  probe_cfg = fb_precision_config_new (network);
  if (!run_eval (self, probe_cfg, PROBE_IMAGES, cancellable, &acc, error))
    {
      fb_accuracy_oracle_unref (&self->parent);
      return NULL;
    }
  self->n_evaluations = 0;
  return &self->parent;
}

guint
fb_nn_oracle_get_n_evaluations (FbAccuracyOracle *oracle)
{
  FbNnOracle *self = (FbNnOracle *) oracle;
  guint n;

  g_return_val_if_fail (fb_nn_oracle_is (oracle), 0);
  g_mutex_lock (&self->lock);
  n = self->n_evaluations;
  g_mutex_unlock (&self->lock);
  return n;
}

FbWeights *
fb_nn_oracle_get_weights (FbAccuracyOracle *oracle)
{
  g_return_val_if_fail (fb_nn_oracle_is (oracle), NULL);
  return ((FbNnOracle *) oracle)->weights;
}
