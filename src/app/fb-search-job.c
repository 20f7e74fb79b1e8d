/* fb-search-job.c — one search as an FbJob, results drained in batches.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <math.h>

#include "fb-search-job.h"
#include "fb-search-measure.h"

struct _FbSearchJob {
  FbJob              parent_instance;

  /* Read-only after construction (the worker reads them). */
  FbNetwork         *network;
  FbLatencyTable    *table;
  FbPrecisionConfig *start;
  GPtrArray         *starts;          /* FbPrecisionConfig; NULL: @start */
  char              *start_name;
  FbAccuracyOracle  *oracle;
  FbSensitivity     *sensitivity;
  FbSearchParams     params;
  FbWeights         *supernet;        /* differentiable search */
  char              *supernet_origin;
  FbDataset         *train;
  gboolean           measure;
  FbSearchDiffFunc   diff_func;
  gpointer           diff_data;

  /* Shared with the worker, under lock. */
  GMutex             lock;
  GPtrArray         *pending;         /* FbCandidate refs not yet emitted */

  /* Main context only. */
  guint              n_results;
  GPtrArray         *measured;        /* FbCandidate: results with measured accuracy */

  /* Worker, then (after run) the main context. */
  FbSearchRun        run;
  GPtrArray         *found;           /* FbCandidate: everything streamed */
};

enum {
  SIGNAL_CANDIDATES,
  SIGNAL_MEASURED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FbSearchJob, fb_search_job, FB_TYPE_JOB)

/* ---- worker side ------------------------------------------------------------ */

static void
on_candidate (FbCandidate *candidate, gpointer user_data)
{
  FbSearchJob *self = user_data;

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->pending, fb_candidate_ref (candidate));
  g_mutex_unlock (&self->lock);
  g_ptr_array_add (self->found, fb_candidate_ref (candidate));
  fb_job_queue_drain (FB_JOB (self));
}

/* Free Bits (with its lowering step) and the differentiable search measure
 * their own results; the other methods' results are measured once the search
 * is done, all on the oracle's default number of images. */
static gboolean
measure_found (FbSearchJob *self, GCancellable *cancellable, GError **error)
{
  FbSearchMethod m = self->params.method;

  if (self->oracle == NULL || !self->measure || self->found->len == 0 ||
      m == FB_SEARCH_METHOD_FREE_BITS || m == FB_SEARCH_METHOD_DIFF)
    return TRUE;
  fb_job_begin_stage (FB_JOB (self), "measuring accuracy");
  return fb_search_measure (self->found, self->oracle, fb_accuracy_oracle_get_default_limit (self->oracle),
                            &self->params.constraints, fb_job_report_progress, self, cancellable,
                            &self->measured, error);
}

static gboolean
fb_search_job_run (FbJob *job, GCancellable *cancellable, GError **error)
{
  FbSearchJob *self = FB_SEARCH_JOB (job);
  FbSearchRun *run = &self->run;

  run->network = self->network;
  run->table = self->table;
  run->start = self->start;
  run->starts = self->starts;
  run->start_name = self->start_name;
  run->oracle = self->oracle;
  run->sensitivity = self->sensitivity;
  run->supernet = self->supernet;
  run->supernet_origin = self->supernet_origin;
  run->train = self->train;
  run->measure_streamed = self->measure;
  run->diff_func = self->diff_func;
  run->diff_data = self->diff_data;
  run->params = &self->params;
  run->candidate_func = on_candidate;
  run->progress_func = fb_job_report_progress;
  run->user_data = self;
  run->cancellable = cancellable;
  fb_job_begin_stage (job, "searching");
  if (!fb_search_method_run (run, error))
    return FALSE;
  return measure_found (self, cancellable, error);
}

/* ---- main context --------------------------------------------------------- */

static gboolean
fb_search_job_drain (FbJob *job)
{
  FbSearchJob *self = FB_SEARCH_JOB (job);
  g_autoptr(GPtrArray) batch = NULL;

  g_mutex_lock (&self->lock);
  if (self->pending->len > 0)
    {
      batch = self->pending;
      self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
    }
  g_mutex_unlock (&self->lock);
  if (batch == NULL)
    return FALSE;
  self->n_results += batch->len;
  g_signal_emit (self, signals[SIGNAL_CANDIDATES], 0, batch);
  return TRUE;
}

static void
fb_search_job_finish (FbJob *job)
{
  FbSearchJob *self = FB_SEARCH_JOB (job);

  /* Only a complete measurement is handed on. */
  if (self->measured != NULL && fb_job_get_error (job) == NULL)
    g_signal_emit (self, signals[SIGNAL_MEASURED], 0, self->measured);
}

void
fb_search_job_start (FbSearchJob *self, GCancellable *parent)
{
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  fb_job_start (FB_JOB (self), parent);
}

void
fb_search_job_set_oracle (FbSearchJob *self, FbAccuracyOracle *oracle)
{
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  if (oracle != NULL)
    fb_accuracy_oracle_ref (oracle);
  g_clear_pointer (&self->oracle, fb_accuracy_oracle_unref);
  self->oracle = oracle;
}

void
fb_search_job_set_sensitivity (FbSearchJob *self, FbSensitivity *sensitivity)
{
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  if (sensitivity != NULL)
    fb_sensitivity_ref (sensitivity);
  g_clear_pointer (&self->sensitivity, fb_sensitivity_unref);
  self->sensitivity = sensitivity;
}

void
fb_search_job_set_starts (FbSearchJob *self, GPtrArray *starts, const char *start_name)
{
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  g_clear_pointer (&self->starts, g_ptr_array_unref);
  if (starts != NULL)
    {
      self->starts = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
      for (guint i = 0; i < starts->len; i++)
        g_ptr_array_add (self->starts, fb_precision_config_copy (g_ptr_array_index (starts, i)));
    }
  g_free (self->start_name);
  self->start_name = g_strdup (start_name);
}

void
fb_search_job_set_measure (FbSearchJob *self, gboolean measure)
{
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  self->measure = measure;
}

void
fb_search_job_set_diff_func (FbSearchJob *self, FbSearchDiffFunc func, gpointer user_data)
{
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  self->diff_func = func;
  self->diff_data = user_data;
}

void
fb_search_job_set_supernet (FbSearchJob *self, FbWeights *weights, const char *origin, FbDataset *train)
{
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  if (weights != NULL)
    fb_weights_ref (weights);
  g_clear_pointer (&self->supernet, fb_weights_unref);
  self->supernet = weights;
  g_free (self->supernet_origin);
  self->supernet_origin = g_strdup (origin);
  if (train != NULL)
    fb_dataset_ref (train);
  g_clear_pointer (&self->train, fb_dataset_unref);
  self->train = train;
}

void
fb_search_job_cancel (FbSearchJob *self)
{
  fb_job_cancel (FB_JOB (self));
}

FbSearchJob *
fb_search_job_new (FbNetwork *network, FbLatencyTable *table, FbPrecisionConfig *start,
                   const FbSearchParams *params)
{
  FbSearchJob *self;

  g_return_val_if_fail (network != NULL, NULL);
  g_return_val_if_fail (params != NULL && params->method < FB_SEARCH_N_METHODS, NULL);

  self = g_object_new (FB_TYPE_SEARCH_JOB, NULL);
  self->network = fb_network_ref (network);
  self->table = table ? fb_latency_table_ref (table) : NULL;
  self->start = start ? fb_precision_config_copy (start) : NULL;
  /* Free Bits needs a start config; w8a8 (nothing to raise) when none is
   * given (fb_search_job_set_starts() gives several). */
  if (self->start == NULL && params->method == FB_SEARCH_METHOD_FREE_BITS)
    self->start = fb_precision_config_new (network);
  self->params = *params;
  return self;
}

static void
fb_search_job_finalize (GObject *object)
{
  FbSearchJob *self = FB_SEARCH_JOB (object);

  g_clear_pointer (&self->network, fb_network_unref);
  g_clear_pointer (&self->table, fb_latency_table_unref);
  g_clear_pointer (&self->start, fb_precision_config_free);
  g_clear_pointer (&self->starts, g_ptr_array_unref);
  g_free (self->start_name);
  g_clear_pointer (&self->oracle, fb_accuracy_oracle_unref);
  g_clear_pointer (&self->sensitivity, fb_sensitivity_unref);
  g_clear_pointer (&self->supernet, fb_weights_unref);
  g_clear_pointer (&self->train, fb_dataset_unref);
  g_free (self->supernet_origin);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->measured, g_ptr_array_unref);
  g_clear_pointer (&self->found, g_ptr_array_unref);
  fb_search_run_clear (&self->run);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (fb_search_job_parent_class)->finalize (object);
}

static void
fb_search_job_class_init (FbSearchJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  FbJobClass *job_class = FB_JOB_CLASS (klass);

  object_class->finalize = fb_search_job_finalize;
  job_class->run = fb_search_job_run;
  job_class->drain = fb_search_job_drain;
  job_class->finish = fb_search_job_finish;

  /* A batch of FbCandidate (borrowed: ref what you keep), in the order found. */
  signals[SIGNAL_CANDIDATES] = g_signal_new ("candidates", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
  /* All results again, now with measured accuracy (those below the minimum
   * accuracy left out), just before "finished"; only with an oracle. */
  signals[SIGNAL_MEASURED] = g_signal_new ("measured", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
}

static void
fb_search_job_init (FbSearchJob *self)
{
  g_mutex_init (&self->lock);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  self->found = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  self->measure = TRUE;
}

/* ---- accessors ---------------------------------------------------------- */

gboolean
fb_search_job_is_running (FbSearchJob *self)
{
  return fb_job_is_running (FB_JOB (self));
}

FbSearchMethod
fb_search_job_get_method (FbSearchJob *self)
{
  return self->params.method;
}

FbLatencyTable *
fb_search_job_get_table (FbSearchJob *self)
{
  return self->table;
}

const FbSearchParams *
fb_search_job_get_params (FbSearchJob *self)
{
  return &self->params;
}

double
fb_search_job_get_fraction (FbSearchJob *self)
{
  return fb_job_get_fraction (FB_JOB (self));
}

const char *
fb_search_job_get_message (FbSearchJob *self)
{
  return fb_job_get_stage (FB_JOB (self));
}

double
fb_search_job_get_elapsed (FbSearchJob *self)
{
  return fb_job_get_elapsed (FB_JOB (self));
}

double
fb_search_job_get_eta (FbSearchJob *self)
{
  return fb_job_get_eta (FB_JOB (self));
}

guint
fb_search_job_get_n_results (FbSearchJob *self)
{
  return self->n_results;
}

const GError *
fb_search_job_get_error (FbSearchJob *self)
{
  return fb_job_get_error (FB_JOB (self));
}

GPtrArray *
fb_search_job_get_changes (FbSearchJob *self)
{
  GPtrArray *runs = self->run.free_bits_runs;

  if (fb_job_is_running (FB_JOB (self)) || runs == NULL || runs->len == 0)
    return NULL;
  return ((FbFreeBitsRun *) g_ptr_array_index (runs, 0))->changes;
}

const FbSearchRun *
fb_search_job_get_run (FbSearchJob *self)
{
  return &self->run;
}

GPtrArray *
fb_search_job_get_found (FbSearchJob *self)
{
  return self->found;
}
