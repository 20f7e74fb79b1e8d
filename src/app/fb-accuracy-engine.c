/* fb-accuracy-engine.c — measured accuracy for the window, never on the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <string.h>

#include "fb-accuracy-engine.h"
#include "fb-app-session.h"
#include "fb-error.h"
#include "fb-nn-oracle.h"

/* Quiet time after an edit before its evaluation starts: a user clicking
 * through bit-widths should cost one evaluation, not one per click. */
#define CURRENT_DELAY_MS 250

typedef struct {
  FbPrecisionConfig *config;
  guint              limit;
  char              *key;
  gboolean           current;
  GCancellable      *cancellable;
} Request;

static Request *
request_new (FbPrecisionConfig *config, guint limit, const char *key, gboolean current)
{
  Request *r = g_new0 (Request, 1);

  r->config = fb_precision_config_copy (config);
  r->limit = limit;
  r->key = g_strdup (key);
  r->current = current;
  r->cancellable = g_cancellable_new ();
  return r;
}

static void
request_free (Request *r)
{
  fb_precision_config_free (r->config);
  g_object_unref (r->cancellable);
  g_free (r->key);
  g_free (r);
}

struct _FbAccuracyEngine {
  GObject           parent_instance;

  FbAccuracyOracle *oracle;
  char             *weights_path;
  FbWeights        *weights;
  FbDataset        *test;
  FbDataset        *train;

  GHashTable       *cache;       /* key → double* */
  Request          *current;     /* waiting for its quiet time or for the worker */
  guint             current_timeout;
  GQueue            background;  /* Request* */
  Request          *running;     /* owned by the task */
};

enum {
  SIGNAL_MEASURED,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FbAccuracyEngine, fb_accuracy_engine, G_TYPE_OBJECT)

G_DEFINE_QUARK (fb-accuracy-engine-error-quark, fb_accuracy_engine_error)

static char *
make_key (FbPrecisionConfig *config, guint limit)
{
  g_autofree char *s = fb_precision_config_to_string (config);

  return g_strdup_printf ("%u|%s", limit, s);
}

/* ---- finding the files ------------------------------------------------------ */

const char *
fb_accuracy_engine_get_dataset_dir (const char *dir)
{
  if (dir == NULL)
    dir = g_getenv ("FB_FASHION_MNIST_DIR");
  return dir != NULL && dir[0] != '\0' ? dir : FB_FASHION_MNIST_DIR;
}

char *
fb_accuracy_engine_find_weights (FbNetwork *network, GPtrArray *tried)
{
  const char *named = fb_network_get_weights_path (network);
  const char *path = fb_network_get_path (network);
  g_autofree char *dir = NULL;

  if (named != NULL)
    {
      if (tried != NULL)
        g_ptr_array_add (tried, g_strdup (named));
      if (g_file_test (named, G_FILE_TEST_IS_REGULAR))
        return g_strdup (named);
    }
  if (path == NULL)
    return NULL;
  dir = g_path_get_dirname (path);
  /* Trained weights first, then the float weights the oracle calibrates. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *file = g_strconcat (fb_network_get_name (network), i == 0 ? ".fbw" : "-float.fbw", NULL);
      g_autofree char *candidate = g_build_filename (dir, file, NULL);

      if (tried != NULL)
        g_ptr_array_add (tried, g_strdup (candidate));
      if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&candidate);
    }
  return NULL;
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct {
  FbNetwork *network;
  char      *weights_path;
  char      *dataset_dir;
  char      *dataset_path;   /* a user data set, read through FbAppSession; NULL: Fashion-MNIST */
  FbDatasetLayout layout;
  double     val_split;
} LoadData;

static void
load_data_free (LoadData *d)
{
  fb_network_unref (d->network);
  g_free (d->weights_path);
  g_free (d->dataset_dir);
  g_free (d->dataset_path);
  g_free (d);
}

/* fb_accuracy_engine_set_load_wrap(): set by a test before it loads. */
static FbAccuracyEngineWrapFunc load_wrap;
static gpointer load_wrap_data;

void
fb_accuracy_engine_set_load_wrap (FbAccuracyEngineWrapFunc wrap, gpointer user_data)
{
  load_wrap = wrap;
  load_wrap_data = user_data;
}

static void
load_in_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  LoadData *d = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbWeights) weights = NULL;
  g_autoptr(FbDataset) test = NULL;
  g_autoptr(FbDataset) train = NULL;
  g_autoptr(FbAccuracyOracle) oracle = NULL;
  FbAccuracyEngine *self;
  FbWeights *calibrated;

  weights = fb_weights_load (d->weights_path, d->network, &error);
  if (weights != NULL && d->dataset_path != NULL)
    {
      /* The user's data: the session opens and checks both parts against
       * the network (shapes, signedness, label range) with one-line errors. */
      g_autoptr(FbAppSession) session = fb_app_session_new (d->network);

      fb_app_session_set_dataset_path (session, d->dataset_path);
      fb_app_session_set_dataset_options (session, d->layout, d->val_split);
      test = fb_app_session_load_dataset (session, FB_DATASET_TEST, &error);
      if (test != NULL)
        train = fb_app_session_load_dataset (session, FB_DATASET_TRAIN, &error);
      if (test != NULL)
        fb_dataset_ref (test);
      if (train != NULL)
        fb_dataset_ref (train);
    }
  else if (weights != NULL)
    {
      test = fb_dataset_load_fashion_mnist (d->dataset_dir, FB_DATASET_TEST, cancellable, &error);
      /* Training images calibrate float-only weights and recalibrate a
       * supernet's batch norm per config. */
      if (test != NULL)
        train = fb_dataset_load_fashion_mnist (d->dataset_dir, FB_DATASET_TRAIN, cancellable, &error);
    }
  if (train != NULL)
    oracle = fb_nn_oracle_new (d->network, weights, d->weights_path, test, train, cancellable, &error);
  if (oracle == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, FB_ACCURACY_ENGINE_ERROR, FB_ACCURACY_ENGINE_ERROR_FAILED,
                                 "%s", error->message);
      return;
    }
  /* The calibrated weights, so an export folds exactly what was measured. */
  calibrated = fb_weights_ref (fb_nn_oracle_get_weights (oracle));
  if (load_wrap != NULL)
    {
      FbAccuracyOracle *wrapped = load_wrap (oracle, load_wrap_data);
      fb_accuracy_oracle_unref (oracle);
      oracle = wrapped;
    }
  self = fb_accuracy_engine_new (oracle);
  self->weights_path = g_strdup (d->weights_path);
  self->weights = calibrated;
  self->test = g_steal_pointer (&test);
  self->train = g_steal_pointer (&train);
  g_task_return_pointer (task, self, g_object_unref);
}

void
fb_accuracy_engine_load_async (FbNetwork *network, const char *dataset_dir, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  fb_accuracy_engine_load_dataset_async (network, dataset_dir, NULL, FB_DATASET_LAYOUT_AUTO, 0,
                                         cancellable, callback, user_data);
}

void
fb_accuracy_engine_load_dataset_async (FbNetwork *network, const char *dataset_dir, const char *dataset_path,
                                       FbDatasetLayout layout, double val_split, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GPtrArray) tried = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *weights = NULL;
  g_autofree char *images = NULL;
  LoadData *d;

  g_task_set_source_tag (task, fb_accuracy_engine_load_async);
  g_task_set_name (task, "[freebits] accuracy engine");
  weights = fb_accuracy_engine_find_weights (network, tried);
  if (weights == NULL)
    {
      g_ptr_array_add (tried, NULL);
      g_autofree char *list = g_strjoinv (", ", (char **) tried->pdata);
      g_task_return_new_error (task, FB_ACCURACY_ENGINE_ERROR, FB_ACCURACY_ENGINE_ERROR_NO_WEIGHTS,
                               "%s", list);
      return;
    }
  dataset_dir = fb_accuracy_engine_get_dataset_dir (dataset_dir);
  images = g_build_filename (dataset_dir, "t10k-images-idx3-ubyte.gz", NULL);
  if (dataset_path == NULL && !g_file_test (images, G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, FB_ACCURACY_ENGINE_ERROR, FB_ACCURACY_ENGINE_ERROR_NO_DATASET,
                               "%s", dataset_dir);
      return;
    }
  d = g_new0 (LoadData, 1);
  d->network = fb_network_ref (network);
  d->weights_path = g_steal_pointer (&weights);
  d->dataset_dir = g_strdup (dataset_dir);
  d->dataset_path = g_strdup (dataset_path);
  d->layout = layout;
  d->val_split = val_split;
  g_task_set_task_data (task, d, (GDestroyNotify) load_data_free);
  g_task_run_in_thread (task, load_in_thread);
}

FbAccuracyEngine *
fb_accuracy_engine_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the queue ---------------------------------------------------------------- */

static void run_next (FbAccuracyEngine *self);

static void
evaluate_in_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  FbAccuracyEngine *self = source_object;
  Request *r = task_data;
  GError *error = NULL;
  double accuracy = 0;

  if (!fb_accuracy_oracle_evaluate (self->oracle, r->config, r->limit, cancellable, &accuracy, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  {
    double *value = g_new (double, 1);
    *value = accuracy;
    g_task_return_pointer (task, value, g_free);
  }
}

static void
on_evaluated (GObject *object, GAsyncResult *result, gpointer user_data)
{
  FbAccuracyEngine *self = FB_ACCURACY_ENGINE (object);
  Request *r = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree double *value = g_task_propagate_pointer (G_TASK (result), &error);

  if (self->running == r)
    self->running = NULL;
  if (value != NULL)
    {
      double *cached = g_new (double, 1);
      *cached = *value;
      g_hash_table_replace (self->cache, g_strdup (r->key), cached);
      g_signal_emit (self, signals[SIGNAL_MEASURED], 0, r->config, r->limit, *value);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_signal_emit (self, signals[SIGNAL_FAILED], 0, r->config, error);
  run_next (self);
}

static void
start (FbAccuracyEngine *self, Request *r)
{
  g_autoptr(GTask) task = g_task_new (self, r->cancellable, on_evaluated, NULL);

  g_task_set_source_tag (task, start);
  g_task_set_name (task, "[freebits] accuracy");
  g_task_set_task_data (task, r, (GDestroyNotify) request_free);
  /* The oracle reports cancellation itself, after its threads stopped. */
  g_task_set_return_on_cancel (task, FALSE);
  self->running = r;
  g_task_run_in_thread (task, evaluate_in_thread);
}

static void
run_next (FbAccuracyEngine *self)
{
  if (self->running != NULL)
    return;
  /* The config on screen waits out its quiet time; background work waits
   * for it rather than starting an evaluation it would have to cancel. */
  if (self->current != NULL && self->current_timeout != 0)
    return;
  if (self->current != NULL)
    {
      Request *r = g_steal_pointer (&self->current);
      if (!g_hash_table_contains (self->cache, r->key))
        {
          start (self, r);
          return;
        }
      request_free (r);
    }
  while (!g_queue_is_empty (&self->background))
    {
      Request *r = g_queue_pop_head (&self->background);
      if (!g_hash_table_contains (self->cache, r->key))
        {
          start (self, r);
          return;
        }
      request_free (r);
    }
}

static gboolean
on_current_timeout (gpointer data)
{
  FbAccuracyEngine *self = data;

  self->current_timeout = 0;
  run_next (self);
  return G_SOURCE_REMOVE;
}

gboolean
fb_accuracy_engine_lookup (FbAccuracyEngine *self, FbPrecisionConfig *config, guint limit, double *accuracy)
{
  g_autofree char *key = NULL;
  const double *value;

  g_return_val_if_fail (FB_IS_ACCURACY_ENGINE (self), FALSE);
  if (config == NULL)
    return FALSE;
  key = make_key (config, limit);
  value = g_hash_table_lookup (self->cache, key);
  if (value == NULL)
    return FALSE;
  if (accuracy != NULL)
    *accuracy = *value;
  return TRUE;
}

gboolean
fb_accuracy_engine_is_pending (FbAccuracyEngine *self, FbPrecisionConfig *config, guint limit)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (FB_IS_ACCURACY_ENGINE (self), FALSE);
  if (config == NULL)
    return FALSE;
  key = make_key (config, limit);
  if (self->running != NULL && strcmp (self->running->key, key) == 0 &&
      !g_cancellable_is_cancelled (self->running->cancellable))
    return TRUE;
  if (self->current != NULL && strcmp (self->current->key, key) == 0)
    return TRUE;
  for (GList *l = self->background.head; l != NULL; l = l->next)
    if (strcmp (((Request *) l->data)->key, key) == 0)
      return TRUE;
  return FALSE;
}

void
fb_accuracy_engine_measure_current (FbAccuracyEngine *self, FbPrecisionConfig *config, guint limit)
{
  g_autofree char *key = NULL;

  g_return_if_fail (FB_IS_ACCURACY_ENGINE (self));
  g_return_if_fail (config != NULL);
  key = make_key (config, limit);
  /* Already being measured (e.g. a queued baseline the user selected). */
  if (self->running != NULL && strcmp (self->running->key, key) == 0)
    {
      self->running->current = TRUE;
      g_clear_pointer (&self->current, request_free);
      g_clear_handle_id (&self->current_timeout, g_source_remove);
      return;
    }
  /* The config shown before is no longer wanted, even when this one is
   * known already. */
  if (self->running != NULL && self->running->current)
    g_cancellable_cancel (self->running->cancellable);
  /* A background evaluation (a baseline) must not make the config on
   * screen wait: it is stopped and queued again, first in line. */
  else if (self->running != NULL && !g_hash_table_contains (self->cache, key) &&
           !g_cancellable_is_cancelled (self->running->cancellable))
    {
      g_queue_push_head (&self->background, request_new (self->running->config, self->running->limit,
                                                         self->running->key, FALSE));
      g_cancellable_cancel (self->running->cancellable);
    }
  g_clear_pointer (&self->current, request_free);
  g_clear_handle_id (&self->current_timeout, g_source_remove);
  if (g_hash_table_contains (self->cache, key))
    return;
  self->current = request_new (config, limit, key, TRUE);
  self->current_timeout = g_timeout_add (CURRENT_DELAY_MS, on_current_timeout, self);
  g_source_set_name_by_id (self->current_timeout, "[freebits] accuracy edit");
}

void
fb_accuracy_engine_measure_background (FbAccuracyEngine *self, FbPrecisionConfig *config, guint limit)
{
  g_autofree char *key = NULL;

  g_return_if_fail (FB_IS_ACCURACY_ENGINE (self));
  g_return_if_fail (config != NULL);
  key = make_key (config, limit);
  if (g_hash_table_contains (self->cache, key) || fb_accuracy_engine_is_pending (self, config, limit))
    return;
  g_queue_push_tail (&self->background, request_new (config, limit, key, FALSE));
  run_next (self);
}

guint
fb_accuracy_engine_get_n_pending (FbAccuracyEngine *self)
{
  g_return_val_if_fail (FB_IS_ACCURACY_ENGINE (self), 0);
  return (self->running != NULL ? 1 : 0) + (self->current != NULL ? 1 : 0) + self->background.length;
}

void
fb_accuracy_engine_cancel (FbAccuracyEngine *self)
{
  g_return_if_fail (FB_IS_ACCURACY_ENGINE (self));
  g_clear_handle_id (&self->current_timeout, g_source_remove);
  g_clear_pointer (&self->current, request_free);
  g_queue_clear_full (&self->background, (GDestroyNotify) request_free);
  if (self->running != NULL)
    g_cancellable_cancel (self->running->cancellable);
}

/* ---- object ------------------------------------------------------------------- */

FbAccuracyEngine *
fb_accuracy_engine_new (FbAccuracyOracle *oracle)
{
  FbAccuracyEngine *self;

  g_return_val_if_fail (oracle != NULL, NULL);
  self = g_object_new (FB_TYPE_ACCURACY_ENGINE, NULL);
  self->oracle = fb_accuracy_oracle_ref (oracle);
  return self;
}

FbAccuracyOracle *
fb_accuracy_engine_get_oracle (FbAccuracyEngine *self)
{
  g_return_val_if_fail (FB_IS_ACCURACY_ENGINE (self), NULL);
  return self->oracle;
}

const char *
fb_accuracy_engine_get_weights_path (FbAccuracyEngine *self)
{
  g_return_val_if_fail (FB_IS_ACCURACY_ENGINE (self), NULL);
  return self->weights_path;
}

FbWeights *
fb_accuracy_engine_get_weights (FbAccuracyEngine *self)
{
  g_return_val_if_fail (FB_IS_ACCURACY_ENGINE (self), NULL);
  return self->weights;
}

FbDataset *
fb_accuracy_engine_get_test_set (FbAccuracyEngine *self)
{
  g_return_val_if_fail (FB_IS_ACCURACY_ENGINE (self), NULL);
  return self->test;
}

FbDataset *
fb_accuracy_engine_get_train_set (FbAccuracyEngine *self)
{
  g_return_val_if_fail (FB_IS_ACCURACY_ENGINE (self), NULL);
  return self->train;
}

guint
fb_accuracy_engine_get_default_limit (FbAccuracyEngine *self)
{
  g_return_val_if_fail (FB_IS_ACCURACY_ENGINE (self), 0);
  return fb_accuracy_oracle_get_default_limit (self->oracle);
}

static void
fb_accuracy_engine_dispose (GObject *object)
{
  FbAccuracyEngine *self = FB_ACCURACY_ENGINE (object);

  /* A running evaluation's task holds a reference: dispose runs after it. */
  fb_accuracy_engine_cancel (self);
  G_OBJECT_CLASS (fb_accuracy_engine_parent_class)->dispose (object);
}

static void
fb_accuracy_engine_finalize (GObject *object)
{
  FbAccuracyEngine *self = FB_ACCURACY_ENGINE (object);

  g_clear_pointer (&self->oracle, fb_accuracy_oracle_unref);
  g_clear_pointer (&self->weights, fb_weights_unref);
  g_clear_pointer (&self->test, fb_dataset_unref);
  g_clear_pointer (&self->train, fb_dataset_unref);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_free (self->weights_path);
  G_OBJECT_CLASS (fb_accuracy_engine_parent_class)->finalize (object);
}

static void
fb_accuracy_engine_class_init (FbAccuracyEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fb_accuracy_engine_dispose;
  object_class->finalize = fb_accuracy_engine_finalize;

  /* (config: FbPrecisionConfig, borrowed; limit; accuracy fraction) */
  signals[SIGNAL_MEASURED] = g_signal_new ("measured", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                           G_TYPE_POINTER, G_TYPE_UINT, G_TYPE_DOUBLE);
  /* (config: FbPrecisionConfig, borrowed; error: GError) */
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                         G_TYPE_POINTER, G_TYPE_ERROR);
}

static void
fb_accuracy_engine_init (FbAccuracyEngine *self)
{
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->background);
}
