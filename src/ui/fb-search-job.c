/* fb-search-job.c — one search in a worker thread, results drained in batches.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "fb-error.h"
#include "fb-search-job.h"
#include "fb-cancel-link.h"
#include "fb-search-measure.h"

/* How long the worker's results may wait before the main loop takes them:
 * long enough to batch thousands of candidates, short enough to look live. */
#define DRAIN_INTERVAL_MS 60

struct _FbSearchJob {
  GObject            parent_instance;

  /* Read-only after construction (the worker reads them). */
  FbNetwork         *network;
  FbLatencyTable    *table;
  FbPrecisionConfig *start;
  FbAccuracyOracle  *oracle;
  FbSearchParams     params;
  FbWeights         *supernet;        /* differentiable search */
  char              *supernet_origin;
  FbDataset         *train;

  GMainContext      *context;
  GCancellable      *cancellable;
  FbCancelLink      parent_link;
  gint64             start_time;
  gint64             end_time;
  gboolean           running;

  /* Shared with the worker, under lock. */
  GMutex             lock;
  GPtrArray         *pending;         /* FbCandidate refs not yet emitted */
  double             pending_fraction;
  char              *pending_message;
  gboolean           drain_scheduled;

  /* Main thread only. */
  double             fraction;
  char              *message;
  guint              n_results;
  GError            *error;
  GPtrArray         *changes;
  GPtrArray         *measured;        /* FbCandidate: results with measured accuracy */

  /* Worker only. */
  GPtrArray         *found;           /* FbCandidate: everything streamed */
};

/* What the worker hands back. */
typedef struct {
  GPtrArray *changes;
  GPtrArray *measured;
} JobResult;

static void
job_result_free (JobResult *r)
{
  g_clear_pointer (&r->changes, g_ptr_array_unref);
  g_clear_pointer (&r->measured, g_ptr_array_unref);
  g_free (r);
}

enum {
  SIGNAL_CANDIDATES,
  SIGNAL_PROGRESS,
  SIGNAL_MEASURED,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FbSearchJob, fb_search_job, G_TYPE_OBJECT)

static const struct {
  const char *nick;
  const char *name;
} methods[FB_SEARCH_N_METHODS] = {
  [FB_SEARCH_METHOD_UNIFORM]   = { "uniform",   N_("Uniform search") },
  [FB_SEARCH_METHOD_FREE_BITS] = { "free-bits", N_("Free Bits") },
  [FB_SEARCH_METHOD_PARETO]    = { "pareto",    N_("Pareto DP") },
  [FB_SEARCH_METHOD_DIFF]      = { "diff",      N_("Differentiable") },
};

const char *
fb_search_method_to_nick (FbSearchMethod method)
{
  g_return_val_if_fail (method < FB_SEARCH_N_METHODS, NULL);
  return methods[method].nick;
}

gboolean
fb_search_method_from_nick (const char *nick, FbSearchMethod *method)
{
  for (guint i = 0; i < FB_SEARCH_N_METHODS; i++)
    if (g_strcmp0 (nick, methods[i].nick) == 0)
      {
        *method = i;
        return TRUE;
      }
  return FALSE;
}

const char *
fb_search_method_get_name (FbSearchMethod method)
{
  g_return_val_if_fail (method < FB_SEARCH_N_METHODS, NULL);
  return _(methods[method].name);
}

const char *
fb_search_params_get_series_name (const FbSearchParams *params)
{
  g_return_val_if_fail (params != NULL && params->method < FB_SEARCH_N_METHODS, NULL);
  /* As the CLI names them, so GUI and CLI results line up in one plot. */
  if (params->method == FB_SEARCH_METHOD_DIFF)
    return params->diff_cost == FB_DIFF_COST_BOPS ? "diff-bops" : "diff";
  return fb_search_method_get_name (params->method);
}

/* ---- worker side ------------------------------------------------------------ */

static gboolean drain (gpointer data);

/* Called with the lock held. */
static void
schedule_drain_locked (FbSearchJob *self)
{
  GSource *source;

  if (self->drain_scheduled)
    return;
  self->drain_scheduled = TRUE;
  source = g_timeout_source_new (DRAIN_INTERVAL_MS);
  g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_name (source, "[freebits] search results");
  g_source_set_callback (source, drain, g_object_ref (self), g_object_unref);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
on_candidate (FbCandidate *candidate, gpointer user_data)
{
  FbSearchJob *self = user_data;

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->pending, fb_candidate_ref (candidate));
  schedule_drain_locked (self);
  g_mutex_unlock (&self->lock);
  if (self->found != NULL)
    g_ptr_array_add (self->found, fb_candidate_ref (candidate));
}

static void
on_progress (double fraction, const char *message, gpointer user_data)
{
  FbSearchJob *self = user_data;

  g_mutex_lock (&self->lock);
  self->pending_fraction = fraction;
  if (g_strcmp0 (message, self->pending_message) != 0)
    {
      g_free (self->pending_message);
      self->pending_message = g_strdup (message);
    }
  schedule_drain_locked (self);
  g_mutex_unlock (&self->lock);
}

/* The differentiable search hands over one config per λ. */
typedef struct {
  FbSearchJob  *job;
  GCancellable *cancellable;
  guint         done;    /* λ values finished */
  GError       *error;   /* the first result that could not be evaluated */
} DiffRun;

/* Each λ's result is measured at once (a second or two, against a minute of
 * training), so it appears in an accuracy plot while the sweep goes on. */
static void
on_diff_result (FbPrecisionConfig *config, const FbDiffSearchResult *result, gpointer user_data)
{
  DiffRun *run = user_data;
  FbSearchJob *self = run->job;
  const FbSearchParams *p = &self->params;
  g_autoptr(FbCandidate) candidate = NULL;
  g_autoptr(FbCandidate) measured = NULL;
  g_autoptr(JsonObject) extra = NULL;
  double accuracy = NAN;
  guint limit;

  run->done++;
  if (run->error != NULL)
    return;
  candidate = fb_candidate_new_evaluated (config, self->table, NAN, fb_search_params_get_series_name (p),
                                          fb_precision_config_get_provenance (config), &run->error);
  if (candidate == NULL)
    return;
  if (self->oracle == NULL)
    {
      on_candidate (candidate, self);
      return;
    }
  limit = fb_accuracy_oracle_get_default_limit (self->oracle);
  {
    g_autofree char *message = g_strdup_printf ("λ %g (%u/%u): accuracy on %u test images", result->lambda,
                                                run->done, p->n_lambdas, limit);
    on_progress ((double) run->done / p->n_lambdas, message, self);
  }
  /* Cancelled here, the sweep stops at its next step. */
  if (!fb_accuracy_oracle_evaluate (self->oracle, config, limit, run->cancellable, &accuracy, &run->error))
    return;
  if (!fb_search_constraints_check (&p->constraints, fb_candidate_get_metrics (candidate), accuracy))
    return;
  /* As fb_search_measure() records it. */
  extra = json_object_new ();
  json_object_set_string_member (extra, "oracle", fb_accuracy_oracle_get_name (self->oracle));
  json_object_set_int_member (extra, "accuracy_limit", limit);
  measured = fb_candidate_new_with_accuracy (candidate, accuracy, extra);
  on_candidate (measured, self);
}

static void
on_diff_progress (double fraction, const char *message, gpointer user_data)
{
  on_progress (fraction, message, ((DiffRun *) user_data)->job);
}

static gboolean
run_diff (FbSearchJob *self, GCancellable *cancellable, GError **error)
{
  const FbSearchParams *p = &self->params;
  FbDiffSearchOptions options;
  DiffRun run = { self, cancellable, 0, NULL };

  if (self->supernet == NULL || self->train == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: the differentiable search needs the network's trained weights and the "
                     "Fashion-MNIST training images"), fb_network_get_name (self->network));
      return FALSE;
    }
  fb_diff_search_options_init (&options);
  options.cost = p->diff_cost;
  if (p->diff_steps > 0)
    options.steps = p->diff_steps;
  /* Its pinned entries hold in every result. */
  options.start = self->start;
  if (!fb_diff_search_sweep (self->network, self->supernet, self->supernet_origin, self->train, &options,
                             p->lambdas, p->n_lambdas, on_diff_result, on_diff_progress, &run, cancellable, error))
    {
      g_clear_error (&run.error);
      return FALSE;
    }
  if (run.error != NULL)
    {
      g_propagate_error (error, run.error);
      return FALSE;
    }
  return TRUE;
}

static void
run_in_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  FbSearchJob *self = source_object;
  const FbSearchParams *p = &self->params;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GPtrArray) measured = NULL;
  JobResult *result;
  gboolean ok = FALSE;

  /* Free Bits and the differentiable search measure their own results; the
   * other methods' results are measured once the search is done. */
  if (self->oracle != NULL && p->method != FB_SEARCH_METHOD_FREE_BITS && p->method != FB_SEARCH_METHOD_DIFF)
    self->found = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);

  switch (p->method)
    {
    case FB_SEARCH_METHOD_UNIFORM:
      ok = fb_search_uniform (self->network, self->table, self->start, &p->constraints,
                              on_candidate, on_progress, self, cancellable, &error);
      break;
    case FB_SEARCH_METHOD_FREE_BITS:
      {
        FbFreeBitsOptions options;

        fb_free_bits_options_init (&options);
        options.tolerance = p->tolerance;
        /* With an oracle Free Bits also runs its accuracy-checked lowering step. */
        options.oracle = self->oracle;
        if (self->oracle != NULL)
          options.limit = fb_accuracy_oracle_get_default_limit (self->oracle);
        ok = fb_search_free_bits (self->start, self->table, &options, &p->constraints,
                                  on_candidate, on_progress, self, cancellable, &changes, NULL, &error);
      }
      break;
    case FB_SEARCH_METHOD_PARETO:
      /* No sensitivity model here yet: the accuracy objective is not offered. */
      ok = fb_search_pareto (self->network, self->table, NULL, self->start, p->objectives, p->epsilon,
                             &p->constraints, NULL, on_candidate, on_progress, self, cancellable, NULL, &error);
      break;
    case FB_SEARCH_METHOD_DIFF:
      ok = run_diff (self, cancellable, &error);
      break;
    case FB_SEARCH_N_METHODS:
    default:
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown search method");
      break;
    }
  if (ok && self->found != NULL && self->found->len > 0)
    ok = fb_search_measure (self->found, self->oracle, fb_accuracy_oracle_get_default_limit (self->oracle),
                            &p->constraints, on_progress, self, cancellable, &measured, &error);
  if (!ok)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  result = g_new0 (JobResult, 1);
  result->changes = g_steal_pointer (&changes);
  result->measured = g_steal_pointer (&measured);
  g_task_return_pointer (task, result, (GDestroyNotify) job_result_free);
}

/* ---- main thread ---------------------------------------------------------- */

/* Emits what the worker left since the last drain. Returns whether anything
 * was emitted. */
static gboolean
drain_now (FbSearchJob *self)
{
  g_autoptr(GPtrArray) batch = NULL;
  gboolean progress_changed;

  g_mutex_lock (&self->lock);
  self->drain_scheduled = FALSE;
  if (self->pending->len > 0)
    {
      batch = self->pending;
      self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
    }
  progress_changed = self->pending_fraction != self->fraction ||
                     g_strcmp0 (self->pending_message, self->message) != 0;
  if (progress_changed)
    {
      self->fraction = self->pending_fraction;
      g_free (self->message);
      self->message = g_strdup (self->pending_message);
    }
  g_mutex_unlock (&self->lock);

  if (batch != NULL)
    {
      self->n_results += batch->len;
      g_signal_emit (self, signals[SIGNAL_CANDIDATES], 0, batch);
    }
  if (progress_changed || batch != NULL)
    g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
  return batch != NULL || progress_changed;
}

static gboolean
drain (gpointer data)
{
  FbSearchJob *self = data;

  /* After "finished" everything was drained already. */
  if (self->running)
    drain_now (self);
  else
    {
      g_mutex_lock (&self->lock);
      self->drain_scheduled = FALSE;
      g_mutex_unlock (&self->lock);
    }
  return G_SOURCE_REMOVE;
}

static void
on_task_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  FbSearchJob *self = FB_SEARCH_JOB (object);
  g_autoptr(GError) error = NULL;
  JobResult *r;

  r = g_task_propagate_pointer (G_TASK (result), &error);
  /* Results found before the end (or the cancel) still count. */
  drain_now (self);
  if (r != NULL)
    {
      self->changes = g_steal_pointer (&r->changes);
      self->measured = g_steal_pointer (&r->measured);
      job_result_free (r);
    }
  if (self->measured != NULL)
    g_signal_emit (self, signals[SIGNAL_MEASURED], 0, self->measured);
  self->running = FALSE;
  self->end_time = g_get_monotonic_time ();
  if (error == NULL)
    self->fraction = 1.0;
  self->error = g_steal_pointer (&error);
  fb_cancel_link_clear (&self->parent_link);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

void
fb_search_job_start (FbSearchJob *self, GCancellable *parent)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  g_return_if_fail (!self->running && self->start_time == 0);

  self->context = g_main_context_ref_thread_default ();
  self->running = TRUE;
  self->start_time = g_get_monotonic_time ();
  if (parent != NULL)
    fb_cancel_link_connect (&self->parent_link, parent, self->cancellable);
  task = g_task_new (self, self->cancellable, on_task_done, NULL);
  g_task_set_source_tag (task, fb_search_job_start);
  g_task_set_name (task, "[freebits] search");
  /* The search reports cancellation itself, with partial results drained. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_in_thread);
}

void
fb_search_job_set_oracle (FbSearchJob *self, FbAccuracyOracle *oracle)
{
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  g_return_if_fail (self->start_time == 0);
  if (oracle != NULL)
    fb_accuracy_oracle_ref (oracle);
  g_clear_pointer (&self->oracle, fb_accuracy_oracle_unref);
  self->oracle = oracle;
}

void
fb_search_job_set_supernet (FbSearchJob *self, FbWeights *weights, const char *origin, FbDataset *train)
{
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  g_return_if_fail (self->start_time == 0);
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
  g_return_if_fail (FB_IS_SEARCH_JOB (self));
  g_cancellable_cancel (self->cancellable);
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
  /* Free Bits needs a start config; w8a8 (nothing to raise) when none is given. */
  if (self->start == NULL && params->method == FB_SEARCH_METHOD_FREE_BITS)
    self->start = fb_precision_config_new (network);
  self->params = *params;
  return self;
}

static void
fb_search_job_dispose (GObject *object)
{
  FbSearchJob *self = FB_SEARCH_JOB (object);

  fb_cancel_link_clear (&self->parent_link);
  G_OBJECT_CLASS (fb_search_job_parent_class)->dispose (object);
}

static void
fb_search_job_finalize (GObject *object)
{
  FbSearchJob *self = FB_SEARCH_JOB (object);

  g_clear_pointer (&self->network, fb_network_unref);
  g_clear_pointer (&self->table, fb_latency_table_unref);
  g_clear_pointer (&self->start, fb_precision_config_free);
  g_clear_pointer (&self->oracle, fb_accuracy_oracle_unref);
  g_clear_pointer (&self->supernet, fb_weights_unref);
  g_clear_pointer (&self->train, fb_dataset_unref);
  g_free (self->supernet_origin);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->changes, g_ptr_array_unref);
  g_clear_pointer (&self->measured, g_ptr_array_unref);
  g_clear_pointer (&self->found, g_ptr_array_unref);
  g_clear_error (&self->error);
  g_free (self->pending_message);
  g_free (self->message);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (fb_search_job_parent_class)->finalize (object);
}

static void
fb_search_job_class_init (FbSearchJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fb_search_job_dispose;
  object_class->finalize = fb_search_job_finalize;

  /* A batch of FbCandidate (borrowed: ref what you keep), in the order found. */
  signals[SIGNAL_CANDIDATES] = g_signal_new ("candidates", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* All results again, now with measured accuracy (those below the minimum
   * accuracy left out), just before "finished"; only with an oracle. */
  signals[SIGNAL_MEASURED] = g_signal_new ("measured", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fb_search_job_init (FbSearchJob *self)
{
  g_mutex_init (&self->lock);
  self->cancellable = g_cancellable_new ();
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  self->pending_fraction = 0;
}

/* ---- accessors ---------------------------------------------------------- */

gboolean
fb_search_job_is_running (FbSearchJob *self)
{
  return self->running;
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
  return self->fraction;
}

const char *
fb_search_job_get_message (FbSearchJob *self)
{
  return self->message;
}

double
fb_search_job_get_elapsed (FbSearchJob *self)
{
  gint64 end = self->running ? g_get_monotonic_time () : self->end_time;

  if (self->start_time == 0)
    return 0;
  return (double) (end - self->start_time) / G_USEC_PER_SEC;
}

double
fb_search_job_get_eta (FbSearchJob *self)
{
  double elapsed = fb_search_job_get_elapsed (self);

  if (!self->running)
    return 0;
  /* Too little progress or time to extrapolate from. */
  if (self->fraction < 0.02 || elapsed < 0.5)
    return NAN;
  return elapsed * (1.0 - self->fraction) / self->fraction;
}

guint
fb_search_job_get_n_results (FbSearchJob *self)
{
  return self->n_results;
}

const GError *
fb_search_job_get_error (FbSearchJob *self)
{
  return self->error;
}

GPtrArray *
fb_search_job_get_changes (FbSearchJob *self)
{
  return self->changes;
}
