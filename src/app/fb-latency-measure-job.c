/* fb-latency-measure-job.c — fb_latency_measure as an FbJob.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include "fb-latency-measure-job.h"

struct _FbLatencyMeasureJob {
  FbJob                    parent_instance;

  FbNetwork               *network;
  FbLatencyMeasureOptions  options;
  char                    *target;   /* options.target points here */
};

G_DEFINE_FINAL_TYPE (FbLatencyMeasureJob, fb_latency_measure_job, FB_TYPE_JOB)

static void
on_entry (guint done, guint total, const char *layer, const char *key, gpointer user_data)
{
  g_autofree char *stage = g_strdup_printf ("[%u/%u] %s %s", done, total, layer, key);

  fb_job_report_progress (total > 0 ? (double) done / total : 0, stage, user_data);
}

static gboolean
fb_latency_measure_job_run (FbJob *job, GCancellable *cancellable, GError **error)
{
  FbLatencyMeasureJob *self = FB_LATENCY_MEASURE_JOB (job);
  g_autoptr(GMainContext) context = NULL;
  FbLatencyTable *table;

  /* fb_latency_measure iterates the thread-default main context: the
   * caller's (with its signal sources) when synchronous, its own in a worker,
   * never the main thread's. */
  if (!fb_job_is_synchronous (job))
    {
      context = g_main_context_new ();
      g_main_context_push_thread_default (context);
    }
  table = fb_latency_measure (self->network, &self->options, on_entry, self, cancellable, error);
  if (context != NULL)
    g_main_context_pop_thread_default (context);
  if (table == NULL)
    return FALSE;
  fb_job_set_result (job, table, (GDestroyNotify) fb_latency_table_unref);
  return TRUE;
}

FbLatencyMeasureJob *
fb_latency_measure_job_new (FbNetwork *network, const FbLatencyMeasureOptions *options)
{
  FbLatencyMeasureJob *self;

  g_return_val_if_fail (network != NULL && options != NULL, NULL);
  self = g_object_new (FB_TYPE_LATENCY_MEASURE_JOB, NULL);
  self->network = fb_network_ref (network);
  self->options = *options;
  self->target = g_strdup (options->target);
  self->options.target = self->target;
  return self;
}

FbLatencyTable *
fb_latency_measure_job_get_table (FbLatencyMeasureJob *self)
{
  g_return_val_if_fail (FB_IS_LATENCY_MEASURE_JOB (self), NULL);
  return fb_job_get_result (FB_JOB (self));
}

static void
fb_latency_measure_job_finalize (GObject *object)
{
  FbLatencyMeasureJob *self = FB_LATENCY_MEASURE_JOB (object);

  g_clear_pointer (&self->network, fb_network_unref);
  g_free (self->target);
  G_OBJECT_CLASS (fb_latency_measure_job_parent_class)->finalize (object);
}

static void
fb_latency_measure_job_class_init (FbLatencyMeasureJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fb_latency_measure_job_finalize;
  FB_JOB_CLASS (klass)->run = fb_latency_measure_job_run;
}

static void
fb_latency_measure_job_init (FbLatencyMeasureJob *self)
{
}
