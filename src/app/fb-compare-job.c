/* fb-compare-job.c — fb_compare_run as an FbJob.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include "fb-compare-job.h"

struct _FbCompareJob {
  FbJob             parent_instance;

  /* Read-only after construction (the worker reads them). */
  FbNetwork        *network;
  GPtrArray        *tables;          /* FbLatencyTable */
  FbCompareOptions  options;         /* oracle referenced */

  /* The pool before its accuracy (fb_compare_run's pool_func): handed from
   * the worker to the main context under @lock. */
  GMutex            lock;
  JsonNode         *pending_partial;  /* owned; under @lock */
  JsonNode         *partial;          /* owned; main context */
};

enum { PARTIAL, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FbCompareJob, fb_compare_job, FB_TYPE_JOB)

/* Worker thread: the pool is complete, its accuracy comes next. */
static void
on_pool (JsonNode *partial, gpointer user_data)
{
  FbCompareJob *self = user_data;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->pending_partial, json_node_unref);
  self->pending_partial = partial;
  g_mutex_unlock (&self->lock);
  fb_job_queue_drain (FB_JOB (self));
}

static gboolean
fb_compare_job_drain (FbJob *job)
{
  FbCompareJob *self = FB_COMPARE_JOB (job);
  JsonNode *partial;

  g_mutex_lock (&self->lock);
  partial = g_steal_pointer (&self->pending_partial);
  g_mutex_unlock (&self->lock);
  if (partial == NULL)
    return FALSE;
  g_clear_pointer (&self->partial, json_node_unref);
  self->partial = partial;
  g_signal_emit (self, signals[PARTIAL], 0, partial);
  return TRUE;
}

static gboolean
fb_compare_job_run (FbJob *job, GCancellable *cancellable, GError **error)
{
  FbCompareJob *self = FB_COMPARE_JOB (job);
  JsonNode *root;

  /* fb_compare_run checks the cancellable itself and returns promptly. */
  root = fb_compare_run (self->network, self->tables, &self->options, fb_job_report_progress, self,
                         cancellable, error);
  if (root == NULL)
    return FALSE;
  fb_job_set_result (job, root, (GDestroyNotify) json_node_unref);
  return TRUE;
}

void
fb_compare_job_start (FbCompareJob *self, GCancellable *parent)
{
  g_return_if_fail (FB_IS_COMPARE_JOB (self));
  fb_job_start (FB_JOB (self), parent);
}

void
fb_compare_job_cancel (FbCompareJob *self)
{
  fb_job_cancel (FB_JOB (self));
}

FbCompareJob *
fb_compare_job_new (FbNetwork *network, GPtrArray *tables, const FbCompareOptions *options)
{
  FbCompareJob *self;

  g_return_val_if_fail (network != NULL, NULL);
  g_return_val_if_fail (tables != NULL && tables->len > 0, NULL);
  g_return_val_if_fail (options != NULL && options->sensitivity == NULL, NULL);

  self = g_object_new (FB_TYPE_COMPARE_JOB, NULL);
  self->network = fb_network_ref (network);
  self->tables = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_latency_table_unref);
  for (guint i = 0; i < tables->len; i++)
    g_ptr_array_add (self->tables, fb_latency_table_ref (g_ptr_array_index (tables, i)));
  self->options = *options;
  self->options.pool_func = on_pool;
  self->options.pool_data = self;
  if (options->oracle != NULL)
    fb_accuracy_oracle_ref (options->oracle);
  return self;
}

static void
fb_compare_job_finalize (GObject *object)
{
  FbCompareJob *self = FB_COMPARE_JOB (object);

  g_clear_pointer (&self->network, fb_network_unref);
  g_clear_pointer (&self->tables, g_ptr_array_unref);
  g_clear_pointer (&self->options.oracle, fb_accuracy_oracle_unref);
  g_clear_pointer (&self->pending_partial, json_node_unref);
  g_clear_pointer (&self->partial, json_node_unref);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (fb_compare_job_parent_class)->finalize (object);
}

static void
fb_compare_job_class_init (FbCompareJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fb_compare_job_finalize;
  FB_JOB_CLASS (klass)->run = fb_compare_job_run;
  FB_JOB_CLASS (klass)->drain = fb_compare_job_drain;
  /**
   * FbCompareJob::partial:
   * @partial: fb_compare_run's JSON of the pool before its accuracy
   *
   * The configs are known (labels, sources, size, BOPs, every latency);
   * their accuracy is measured next. Once per run, on the main context.
   */
  signals[PARTIAL] = g_signal_new ("partial", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 1, JSON_TYPE_NODE);
}

static void
fb_compare_job_init (FbCompareJob *self)
{
  g_mutex_init (&self->lock);
}

JsonNode *
fb_compare_job_get_partial (FbCompareJob *self)
{
  g_return_val_if_fail (FB_IS_COMPARE_JOB (self), NULL);
  return self->partial;
}

gboolean
fb_compare_job_is_running (FbCompareJob *self)
{
  return fb_job_is_running (FB_JOB (self));
}

double
fb_compare_job_get_fraction (FbCompareJob *self)
{
  return fb_job_get_fraction (FB_JOB (self));
}

const char *
fb_compare_job_get_message (FbCompareJob *self)
{
  return fb_job_get_stage (FB_JOB (self));
}

double
fb_compare_job_get_elapsed (FbCompareJob *self)
{
  return fb_job_get_elapsed (FB_JOB (self));
}

JsonNode *
fb_compare_job_get_result (FbCompareJob *self)
{
  return fb_job_get_result (FB_JOB (self));
}

const GError *
fb_compare_job_get_error (FbCompareJob *self)
{
  return fb_job_get_error (FB_JOB (self));
}

FbNetwork *
fb_compare_job_get_network (FbCompareJob *self)
{
  return self->network;
}
