/* fb-nn-oracle.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-int-network.h"
#include "fb-nn-oracle.h"
#include "fb-nn-ops.h"
#include "fb-nn-recal.h"

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
  /* Supernet weights: the recalibration shared between configs (NULL:
   * fb_int_network_weights_for_config() per config, as before; also with
   * FB_NN_ORACLE_RECAL=trainer, for the benchmark's reference). */
  FbNnRecal       *recal;
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

/* ---- evaluation ---------------------------------------------------------- */

#define EVAL_CHUNK 128

typedef struct {
  FbIntNetwork   *net;
  FbDataset      *dataset;
  guint           n, k;
  double          out_scale;
  gint32         *logits;      /* [n][k] */
  GCancellable   *cancellable;
  GMutex          lock;
  GError         *error;       /* first failure */
  FbNnEvalResult *r;           /* sums, under the lock */
  double          sse;
} EvalJob;

/* Position of @label when the outputs are sorted, ties by index. */
static guint
rank_of (const gint32 *lg, guint k, guint label)
{
  guint rank = 0;
  for (guint c = 0; c < k; c++)
    rank += lg[c] > lg[label] || (lg[c] == lg[label] && c < label);
  return rank;
}

static void
eval_chunk (gpointer data, gpointer user_data)
{
  EvalJob *job = user_data;
  guint first = GPOINTER_TO_UINT (data) - 1, last = MIN (first + EVAL_CHUNK, job->n);
  gsize ex = fb_dataset_get_example_size (job->dataset);
  g_autofree guint8 *arena = g_malloc0 (fb_plan_get_arena_bytes (fb_int_network_get_plan (job->net)) + 4);
  g_autofree guint8 *scratch = g_malloc0 (fb_plan_get_scratch_bytes (fb_int_network_get_plan (job->net)) + 1);
  g_autofree guint *total = g_new0 (guint, job->k), *right = g_new0 (guint, job->k);
  g_autofree float *target = job->r->values ? g_new (float, ex) : NULL;
  guint correct = 0, correct5 = 0;
  double sse = 0.0;

  for (guint i = first; i < last; i++)
    {
      g_autoptr(GError) error = NULL;
      gint32 *lg = job->logits + (gsize) i * job->k;

      if (g_cancellable_is_cancelled (job->cancellable) || g_atomic_pointer_get (&job->error) != NULL)
        break;
      if (!fb_int_network_run (job->net, fb_dataset_get_image (job->dataset, i), lg, arena, scratch, &error))
        {
          g_mutex_lock (&job->lock);
          if (job->error == NULL)
            g_atomic_pointer_set (&job->error, g_steal_pointer (&error));
          g_mutex_unlock (&job->lock);
          break;
        }
      if (job->r->values)
        {
          const float *t = fb_dataset_get_targets (job->dataset, i);
          if (t == NULL)
            {
              fb_dataset_get_float (job->dataset, i, target);
              t = target;
            }
          for (guint c = 0; c < job->k; c++)
            {
              double d = lg[c] * job->out_scale - t[c];
              sse += d * d;
            }
          continue;
        }
      {
        guint label = fb_dataset_get_label (job->dataset, i), rank = rank_of (lg, job->k, label);
        total[label]++;
        right[label] += rank == 0;
        correct += rank == 0;
        correct5 += rank < 5;
      }
    }
  g_mutex_lock (&job->lock);
  job->r->correct += correct;
  job->r->correct5 += correct5;
  job->sse += sse;
  for (guint c = 0; c < job->k && !job->r->values; c++)
    {
      job->r->class_total[c] += total[c];
      job->r->class_correct[c] += right[c];
    }
  g_mutex_unlock (&job->lock);
}

static gboolean
check_fit (FbIntNetwork *inet, FbDataset *dataset, GError **error)
{
  FbNetwork *net = fb_int_network_get_network (inet);
  const FbTensor *in = fb_network_get_input (net);
  guint k = fb_int_network_get_n_classes (inet);

  if (fb_dataset_get_height (dataset) != in->shape.h || fb_dataset_get_width (dataset) != in->shape.w ||
      fb_dataset_get_channels (dataset) != in->shape.c)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: wrong shape: examples are %u×%u×%u, network \"%s\" takes %u×%u×%u"),
                   fb_dataset_get_path (dataset), fb_dataset_get_height (dataset),
                   fb_dataset_get_width (dataset), fb_dataset_get_channels (dataset),
                   fb_network_get_name (net), in->shape.h, in->shape.w, in->shape.c);
      return FALSE;
    }
  if (fb_dataset_get_n_targets (dataset) > 0 ? fb_dataset_get_n_targets (dataset) != k
                                             : fb_dataset_get_n_classes (dataset) > k)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: %u %s, network \"%s\" has %u outputs"), fb_dataset_get_path (dataset),
                   fb_dataset_get_n_targets (dataset) > 0 ? fb_dataset_get_n_targets (dataset)
                                                          : fb_dataset_get_n_classes (dataset),
                   fb_dataset_get_n_targets (dataset) > 0 ? "target values" : "classes",
                   fb_network_get_name (net), k);
      return FALSE;
    }
  return TRUE;
}

/* Variance of the targets of the first @n examples (values only). */
static double
target_variance (FbDataset *dataset, guint n, guint k)
{
  g_autofree float *buf = g_new (float, MAX (fb_dataset_get_example_size (dataset), k));
  double sum = 0.0, sum2 = 0.0;

  for (guint i = 0; i < n; i++)
    {
      const float *t = fb_dataset_get_targets (dataset, i);
      if (t == NULL)
        {
          fb_dataset_get_float (dataset, i, buf);
          t = buf;
        }
      for (guint c = 0; c < k; c++)
        {
          sum += t[c];
          sum2 += (double) t[c] * t[c];
        }
    }
  if (n == 0)
    return 0.0;
  sum /= (double) n * k;
  return MAX (sum2 / ((double) n * k) - sum * sum, 0.0);
}

static void
finish_result (EvalJob *job, FbNnEvalResult *r)
{
  guint32 hash = FB_FNV1A32_INIT;

  for (gsize i = 0; i < (gsize) job->n * job->k; i++)
    {
      guint32 le = GUINT32_TO_LE ((guint32) job->logits[i]);
      hash = fb_fnv1a32 (hash, &le, 4);
    }
  r->n_images = job->n;
  r->logits_fnv1a = hash;
  if (r->values)
    {
      r->mse = job->n ? job->sse / ((double) job->n * job->k) : NAN;
      r->target_variance = target_variance (job->dataset, job->n, job->k);
      r->quality = r->target_variance > 0 ? MAX (0.0, 1.0 - r->mse / r->target_variance) : 0.0;
      r->top1 = r->top5 = NAN;
      return;
    }
  r->top1 = job->n ? (double) r->correct / job->n : 0.0;
  r->top5 = job->k >= 10 && job->n ? (double) r->correct5 / job->n : NAN;
  if (job->k < 10)
    r->correct5 = 0;
  r->mse = r->target_variance = NAN;
  r->quality = r->top1;
}

gboolean
fb_nn_evaluate (FbIntNetwork *inet, FbDataset *dataset, guint limit, guint n_threads,
                GCancellable *cancellable, FbNnEvalResult *result, GError **error)
{
  FbNetwork *net = fb_int_network_get_network (inet);
  EvalJob job = { .net = inet, .dataset = dataset, .cancellable = cancellable, .r = result };
  g_autofree gint32 *logits = NULL;
  gint64 t0 = g_get_monotonic_time ();

  memset (result, 0, sizeof *result);
  if (!check_fit (inet, dataset, error))
    return FALSE;
  job.k = fb_int_network_get_n_classes (inet);
  job.out_scale = fb_int_network_get_tensor_scale (inet, fb_network_get_logits (net)->index);
  job.n = limit == 0 ? fb_dataset_get_n_images (dataset) : MIN (limit, fb_dataset_get_n_images (dataset));
  result->values = fb_dataset_get_n_targets (dataset) > 0;
  result->n_classes = job.k;
  if (!result->values)
    {
      result->class_total = g_new0 (guint, job.k);
      result->class_correct = g_new0 (guint, job.k);
    }
  job.logits = logits = g_new0 (gint32, (gsize) MAX (job.n, 1) * job.k);
  g_mutex_init (&job.lock);
  if (!fb_nn_run_chunks (eval_chunk, &job, job.n, EVAL_CHUNK, n_threads, error))
    {
      g_mutex_clear (&job.lock);
      fb_nn_eval_result_clear (result);
      return FALSE;
    }
  g_mutex_clear (&job.lock);
  if (job.error != NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      if (job.error != NULL)
        g_propagate_error (error, job.error);
      fb_nn_eval_result_clear (result);
      return FALSE;
    }
  finish_result (&job, result);
  result->seconds = (g_get_monotonic_time () - t0) / 1e6;
  fb_int_network_report_step_times (inet);
  return TRUE;
}

void
fb_nn_eval_result_clear (FbNnEvalResult *result)
{
  g_clear_pointer (&result->class_total, g_free);
  g_clear_pointer (&result->class_correct, g_free);
}

double
fb_nn_eval_result_class_accuracy (const FbNnEvalResult *result, guint c)
{
  if (result->class_total == NULL || c >= result->n_classes || result->class_total[c] == 0)
    return NAN;
  return (double) result->class_correct[c] / result->class_total[c];
}

/* ---- the oracle ---------------------------------------------------------- */

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
run_eval (FbNnOracle *self, FbPrecisionConfig *config, guint limit, guint n_threads, GCancellable *cancellable,
          double *accuracy, GError **error)
{
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autoptr(FbWeights) w = NULL;
  FbNnEvalResult r;
  gint64 t0 = g_get_monotonic_time ();
  double fold_s;

  /* Batch-norm recalibration of supernet weights counts as folding cost. */
  w = self->recal != NULL ? fb_nn_recal_weights (self->recal, config, cancellable, error)
                          : fb_int_network_weights_for_config (self->weights, self->origin, config, self->train,
                                                               BN_IMAGES, cancellable, error);
  if (w == NULL)
    return FALSE;
  inet = fb_int_network_new (config, w, self->origin, fb_kernel_arch (), error);
  if (inet == NULL)
    return FALSE;
  fold_s = (g_get_monotonic_time () - t0) / 1e6;
  if (!fb_nn_evaluate (inet, self->test, limit, n_threads, cancellable, &r, error))
    return FALSE;
  *accuracy = r.quality;
  fb_nn_eval_result_clear (&r);

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
cache_lookup (FbNnOracle *self, FbPrecisionConfig *config, guint limit, double *accuracy)
{
  CacheKey probe = { config, limit };
  const double *hit;

  g_mutex_lock (&self->lock);
  hit = g_hash_table_lookup (self->cache, &probe);
  if (hit != NULL)
    *accuracy = *hit;
  g_mutex_unlock (&self->lock);
  return hit != NULL;
}

static void
cache_store (FbNnOracle *self, FbPrecisionConfig *config, guint limit, double accuracy)
{
  CacheKey *key = g_new (CacheKey, 1);

  key->config = fb_precision_config_copy (config);
  key->limit = limit;
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->cache, key, g_memdup2 (&accuracy, sizeof accuracy));
  g_mutex_unlock (&self->lock);
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

  if (cache_lookup (self, config, probe.limit, accuracy))
    return TRUE;

  /* Unlocked: two threads asking for the same new config both compute it
   * (same result); the lock never waits for an evaluation. */
  if (!run_eval (self, config, probe.limit, 0, cancellable, accuracy, error))
    return FALSE;
  cache_store (self, config, probe.limit, *accuracy);
  return TRUE;
}

/* ---- many configs ---------------------------------------------------------- */

typedef struct {
  FbNnOracle         *self;
  FbPrecisionConfig **configs;
  guint               limit;
  GCancellable       *cancellable;
  double             *accuracy;
  GError            **errors;    /* per config */
  GMutex              lock;
  GCond               cond;
  guint               done;
} ManyJob;

/* One config on one thread: configs run side by side instead of images. */
static void
many_worker (gpointer data, gpointer user_data)
{
  ManyJob *j = user_data;
  guint i = GPOINTER_TO_UINT (data) - 1;

  if (run_eval (j->self, j->configs[i], j->limit, 1, j->cancellable, &j->accuracy[i], &j->errors[i]))
    cache_store (j->self, j->configs[i], j->limit, j->accuracy[i]);
  g_mutex_lock (&j->lock);
  j->done++;
  g_cond_signal (&j->cond);
  g_mutex_unlock (&j->lock);
}

/* Runs @todo (indices into j->configs) on a thread pool, reporting progress
 * from the calling thread. */
static gboolean
run_many (ManyJob *j, GArray *todo, guint n, guint base, void (*progress) (guint, guint, gpointer),
          gpointer progress_data, GError **error)
{
  GThreadPool *pool = g_thread_pool_new (many_worker, j, (gint) MAX (1, MIN (fb_nn_threads_init (), todo->len)),
                                         FALSE, error);
  guint done = 0;

  if (pool == NULL)
    return FALSE;
  for (guint k = 0; k < todo->len; k++)
    g_thread_pool_push (pool, GUINT_TO_POINTER (g_array_index (todo, guint, k) + 1), NULL);
  g_mutex_lock (&j->lock);
  while (j->done < todo->len)
    {
      g_cond_wait (&j->cond, &j->lock);
      if (progress != NULL && j->done != done)
        {
          done = j->done;
          g_mutex_unlock (&j->lock);
          progress (base + done, n, progress_data);
          g_mutex_lock (&j->lock);
        }
    }
  g_mutex_unlock (&j->lock);
  g_thread_pool_free (pool, FALSE, TRUE);
  /* The first failure in list order, whatever the threads' timing. */
  for (guint k = 0; k < todo->len; k++)
    {
      guint i = g_array_index (todo, guint, k);
      if (j->errors[i] != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&j->errors[i]));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
nn_oracle_evaluate_many (FbAccuracyOracle   *oracle,
                         FbPrecisionConfig **configs,
                         guint               n,
                         guint               limit,
                         void              (*progress) (guint done, guint n, gpointer data),
                         gpointer            progress_data,
                         GCancellable       *cancellable,
                         double             *accuracy,
                         GError            **error)
{
  FbNnOracle *self = (FbNnOracle *) oracle;
  g_autoptr(GArray) todo = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) recal = g_ptr_array_new ();
  g_autoptr(GHashTable) first = g_hash_table_new ((GHashFunc) fb_precision_config_hash,
                                                  (GEqualFunc) fb_precision_config_equal);
  g_autofree guint *same = g_new (guint, MAX (n, 1));
  g_autofree GError **errors = g_new0 (GError *, MAX (n, 1));
  ManyJob j = { self, configs, normalize_limit (self, limit), cancellable, accuracy, errors };
  gboolean ok;

  for (guint i = 0; i < n; i++)
    {
      gpointer at;
      same[i] = i;
      if (g_hash_table_lookup_extended (first, configs[i], NULL, &at))
        {
          same[i] = GPOINTER_TO_UINT (at);   /* a repeated config: measured once */
          continue;
        }
      g_hash_table_insert (first, configs[i], GUINT_TO_POINTER (i));
      if (cache_lookup (self, configs[i], j.limit, &accuracy[i]))
        continue;
      g_array_append_val (todo, i);
      g_ptr_array_add (recal, configs[i]);
    }
  if (progress != NULL)
    progress (n - todo->len, n, progress_data);
  /* Every batch norm first, in one pass over the shared prefixes. */
  if (self->recal != NULL && recal->len > 0 &&
      !fb_nn_recal_run (self->recal, (FbPrecisionConfig **) recal->pdata, recal->len, 0, cancellable, error))
    return FALSE;
  g_mutex_init (&j.lock);
  g_cond_init (&j.cond);
  ok = todo->len == 0 || run_many (&j, todo, n, n - todo->len, progress, progress_data, error);
  g_mutex_clear (&j.lock);
  g_cond_clear (&j.cond);
  for (guint i = 0; i < n; i++)
    g_clear_error (&errors[i]);
  if (!ok)
    return FALSE;
  for (guint i = 0; i < n; i++)
    accuracy[i] = accuracy[same[i]];
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
  g_clear_pointer (&self->recal, fb_nn_recal_free);
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
  .evaluate_many = nn_oracle_evaluate_many,
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
                   _("%s: supernet weights need training images to recalibrate batch norm per config"),
                   origin);
      return NULL;
    }
  if (fb_int_network_needs_calibration (network, weights))
    {
      if (train == NULL)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       _("%s: float-only weights (no \"act_alpha\") need training images to calibrate"),
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
  if (train != NULL && fb_int_network_is_supernet (self->weights) &&
      fb_nn_recal_supports (network, self->weights) && g_strcmp0 (g_getenv ("FB_NN_ORACLE_RECAL"), "trainer") != 0)
    {
      self->recal = fb_nn_recal_new (network, self->weights, origin, train, BN_IMAGES, error);
      if (self->recal == NULL)
        {
          fb_accuracy_oracle_unref (&self->parent);
          return NULL;
        }
    }

  /* Measures the cost hint and checks weights and data set up front, so a
   * search learns of a bad file now, not at its first config. */
  probe_cfg = fb_precision_config_new (network);
  if (!run_eval (self, probe_cfg, PROBE_IMAGES, 0, cancellable, &acc, error))
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
