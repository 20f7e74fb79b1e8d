/* fb-compare-job.c — fb_compare_run in a worker thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include "fb-compare-job.h"
#include "fb-cancel-link.h"

/* Progress is batched like the search job's results: live enough, and one
 * main-loop wakeup per interval however often the worker reports. */
#define DRAIN_INTERVAL_MS 60

struct _FbCompareJob {
  GObject           parent_instance;

  /* Read-only after construction (the worker reads them). */
  FbNetwork        *network;
  GPtrArray        *tables;          /* FbLatencyTable */
  FbCompareOptions  options;         /* oracle referenced */

  GMainContext     *context;
  GCancellable     *cancellable;
  FbCancelLink      parent_link;
  gint64            start_time;
  gint64            end_time;
  gboolean          running;

  /* Shared with the worker, under lock. */
  GMutex            lock;
  double            pending_fraction;
  char             *pending_message;
  gboolean          drain_scheduled;

  /* Main thread only. */
  double            fraction;
  char             *message;
  JsonNode         *result;
  GError           *error;
};

enum {
  SIGNAL_PROGRESS,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FbCompareJob, fb_compare_job, G_TYPE_OBJECT)

static gboolean
drain (gpointer data)
{
  FbCompareJob *self = data;
  gboolean changed;

  g_mutex_lock (&self->lock);
  self->drain_scheduled = FALSE;
  changed = self->running && (self->pending_fraction != self->fraction ||
                              g_strcmp0 (self->pending_message, self->message) != 0);
  if (changed)
    {
      self->fraction = self->pending_fraction;
      g_free (self->message);
      self->message = g_strdup (self->pending_message);
    }
  g_mutex_unlock (&self->lock);
  if (changed)
    g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
  return G_SOURCE_REMOVE;
}

/* Worker thread. */
static void
on_progress (double fraction, const char *message, gpointer user_data)
{
  FbCompareJob *self = user_data;

  g_mutex_lock (&self->lock);
  self->pending_fraction = fraction;
  if (g_strcmp0 (message, self->pending_message) != 0)
    {
      g_free (self->pending_message);
      self->pending_message = g_strdup (message);
    }
  if (!self->drain_scheduled)
    {
      GSource *source = g_timeout_source_new (DRAIN_INTERVAL_MS);

      self->drain_scheduled = TRUE;
      g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
      g_source_set_name (source, "[freebits] compare progress");
      g_source_set_callback (source, drain, g_object_ref (self), g_object_unref);
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->lock);
}

static void
run_in_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  FbCompareJob *self = source_object;
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  root = fb_compare_run (self->network, self->tables, &self->options, on_progress, self, cancellable, &error);
  if (root == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, root, (GDestroyNotify) json_node_unref);
}

static void
on_task_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  FbCompareJob *self = FB_COMPARE_JOB (object);
  g_autoptr(GError) error = NULL;

  self->result = g_task_propagate_pointer (G_TASK (result), &error);
  self->running = FALSE;
  self->end_time = g_get_monotonic_time ();
  if (error == NULL)
    self->fraction = 1.0;
  self->error = g_steal_pointer (&error);
  fb_cancel_link_clear (&self->parent_link);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

void
fb_compare_job_start (FbCompareJob *self, GCancellable *parent)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FB_IS_COMPARE_JOB (self));
  g_return_if_fail (!self->running && self->start_time == 0);

  self->context = g_main_context_ref_thread_default ();
  self->running = TRUE;
  self->start_time = g_get_monotonic_time ();
  if (parent != NULL)
    fb_cancel_link_connect (&self->parent_link, parent, self->cancellable);
  task = g_task_new (self, self->cancellable, on_task_done, NULL);
  g_task_set_source_tag (task, fb_compare_job_start);
  g_task_set_name (task, "[freebits] compare");
  /* fb_compare_run checks the cancellable itself and returns promptly. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_in_thread);
}

void
fb_compare_job_cancel (FbCompareJob *self)
{
  g_return_if_fail (FB_IS_COMPARE_JOB (self));
  g_cancellable_cancel (self->cancellable);
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
  if (options->oracle != NULL)
    fb_accuracy_oracle_ref (options->oracle);
  return self;
}

static void
fb_compare_job_dispose (GObject *object)
{
  FbCompareJob *self = FB_COMPARE_JOB (object);

  fb_cancel_link_clear (&self->parent_link);
  G_OBJECT_CLASS (fb_compare_job_parent_class)->dispose (object);
}

static void
fb_compare_job_finalize (GObject *object)
{
  FbCompareJob *self = FB_COMPARE_JOB (object);

  g_clear_pointer (&self->network, fb_network_unref);
  g_clear_pointer (&self->tables, g_ptr_array_unref);
  g_clear_pointer (&self->options.oracle, fb_accuracy_oracle_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->result, json_node_unref);
  g_clear_error (&self->error);
  g_free (self->pending_message);
  g_free (self->message);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (fb_compare_job_parent_class)->finalize (object);
}

static void
fb_compare_job_class_init (FbCompareJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fb_compare_job_dispose;
  object_class->finalize = fb_compare_job_finalize;

  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fb_compare_job_init (FbCompareJob *self)
{
  g_mutex_init (&self->lock);
  self->cancellable = g_cancellable_new ();
}

gboolean
fb_compare_job_is_running (FbCompareJob *self)
{
  return self->running;
}

double
fb_compare_job_get_fraction (FbCompareJob *self)
{
  return self->fraction;
}

const char *
fb_compare_job_get_message (FbCompareJob *self)
{
  return self->message;
}

double
fb_compare_job_get_elapsed (FbCompareJob *self)
{
  gint64 end = self->running ? g_get_monotonic_time () : self->end_time;

  if (self->start_time == 0)
    return 0;
  return (double) (end - self->start_time) / G_USEC_PER_SEC;
}

JsonNode *
fb_compare_job_get_result (FbCompareJob *self)
{
  return self->result;
}

const GError *
fb_compare_job_get_error (FbCompareJob *self)
{
  return self->error;
}

FbNetwork *
fb_compare_job_get_network (FbCompareJob *self)
{
  return self->network;
}
