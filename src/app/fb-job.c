/* fb-job.c — the one job life cycle: GTask worker, batched progress, ETA,
 * cancel, result or error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <math.h>

#include "fb-cancel-link.h"
#include "fb-job.h"

/* How long reports may wait before the main loop takes them: long enough to
 * batch thousands of them, short enough to look live. */
#define DRAIN_INTERVAL_MS 60

typedef struct {
  GMainContext   *context;
  GCancellable   *cancellable;      /* the job's own; linked to the parent */
  FbCancelLink    parent_link;
  GTask          *outer;            /* fb_job_run_async's caller, until finished */
  gint64          start_time;
  gint64          end_time;
  gboolean        running;
  gboolean        sync;             /* fb_job_run: report on the calling thread */

  /* Shared with the worker, under lock. */
  GMutex          lock;
  double          pending_fraction;
  char           *pending_stage;
  char           *pending_stage_name;
  gint64          pending_stage_start;
  gboolean        drain_scheduled;

  /* Main context only. */
  double          fraction;
  char           *stage;
  char           *stage_name;       /* fb_job_begin_stage()'s, or NULL */
  gint64          stage_start;      /* when it began; 0: the job's start */
  GError         *error;

  /* Set by run(), read after it returned. */
  gpointer        result;
  GDestroyNotify  result_destroy;
} FbJobPrivate;

enum {
  SIGNAL_PROGRESS,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (FbJob, fb_job, G_TYPE_OBJECT)

/* Emits what was reported since the last drain; returns whether anything was. */
static gboolean
drain_now (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  FbJobClass *klass = FB_JOB_GET_CLASS (self);
  gboolean changed, emitted = FALSE;

  g_mutex_lock (&priv->lock);
  priv->drain_scheduled = FALSE;
  changed = priv->pending_fraction != priv->fraction || g_strcmp0 (priv->pending_stage, priv->stage) != 0 ||
            priv->pending_stage_start != priv->stage_start;
  if (changed)
    {
      priv->fraction = priv->pending_fraction;
      g_free (priv->stage);
      priv->stage = g_strdup (priv->pending_stage);
      g_free (priv->stage_name);
      priv->stage_name = g_strdup (priv->pending_stage_name);
      priv->stage_start = priv->pending_stage_start;
    }
  g_mutex_unlock (&priv->lock);

  if (klass->drain != NULL)
    emitted = klass->drain (self);
  if (changed || emitted)
    g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
  return changed || emitted;
}

static gboolean
drain_cb (gpointer data)
{
  FbJob *self = data;
  FbJobPrivate *priv = fb_job_get_instance_private (self);

  /* After finishing everything was drained already. */
  if (priv->running)
    drain_now (self);
  else
    {
      g_mutex_lock (&priv->lock);
      priv->drain_scheduled = FALSE;
      g_mutex_unlock (&priv->lock);
    }
  return G_SOURCE_REMOVE;
}

void
fb_job_queue_drain (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  GSource *source;

  if (priv->sync)
    {
      drain_now (self);
      return;
    }
  g_mutex_lock (&priv->lock);
  if (!priv->drain_scheduled)
    {
      priv->drain_scheduled = TRUE;
      source = g_timeout_source_new (DRAIN_INTERVAL_MS);
      g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
      g_source_set_name (source, "[freebits] job progress");
      g_source_set_callback (source, drain_cb, g_object_ref (self), g_object_unref);
      g_source_attach (source, priv->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&priv->lock);
}

void
fb_job_report_progress (double fraction, const char *stage, gpointer job)
{
  FbJob *self = job;
  FbJobPrivate *priv = fb_job_get_instance_private (self);

  g_mutex_lock (&priv->lock);
  priv->pending_fraction = CLAMP (fraction, 0.0, 1.0);
  if (g_strcmp0 (stage, priv->pending_stage) != 0)
    {
      g_free (priv->pending_stage);
      priv->pending_stage = g_strdup (stage);
    }
  g_mutex_unlock (&priv->lock);
  fb_job_queue_drain (self);
}

void
fb_job_begin_stage (FbJob *self, const char *name)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);

  g_mutex_lock (&priv->lock);
  g_free (priv->pending_stage_name);
  priv->pending_stage_name = g_strdup (name);
  priv->pending_stage_start = g_get_monotonic_time ();
  priv->pending_fraction = 0;
  g_clear_pointer (&priv->pending_stage, g_free);
  g_mutex_unlock (&priv->lock);
  fb_job_queue_drain (self);
}

const char *
fb_job_get_stage_name (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  return priv->stage_name;
}

void
fb_job_set_result (FbJob *self, gpointer result, GDestroyNotify destroy)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);

  if (priv->result != NULL && priv->result_destroy != NULL)
    priv->result_destroy (priv->result);
  priv->result = result;
  priv->result_destroy = destroy;
}

/* Main context: the end of either way to run. Takes @error. */
static void
finish (FbJob *self, GError *error)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  FbJobClass *klass = FB_JOB_GET_CLASS (self);
  g_autoptr(GTask) outer = g_steal_pointer (&priv->outer);

  /* Reports made before the end (or the cancel) still count. */
  drain_now (self);
  priv->running = FALSE;
  priv->sync = FALSE;
  priv->end_time = g_get_monotonic_time ();
  if (error == NULL)
    priv->fraction = 1.0;
  priv->error = error;
  fb_cancel_link_clear (&priv->parent_link);
  if (klass->finish != NULL)
    klass->finish (self);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
  if (outer != NULL)
    {
      if (priv->error != NULL)
        g_task_return_error (outer, g_error_copy (priv->error));
      else
        g_task_return_boolean (outer, TRUE);
    }
}

static void
run_in_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  FbJob *self = source_object;
  GError *error = NULL;

  if (FB_JOB_GET_CLASS (self)->run (self, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_task_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  finish (FB_JOB (object), error);
}

static void
begin (FbJob *self, GCancellable *parent)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);

  g_return_if_fail (FB_JOB_GET_CLASS (self)->run != NULL);
  priv->context = g_main_context_ref_thread_default ();
  priv->running = TRUE;
  priv->start_time = g_get_monotonic_time ();
  if (parent != NULL)
    fb_cancel_link_connect (&priv->parent_link, parent, priv->cancellable);
}

void
fb_job_run_async (FbJob *self, GCancellable *parent, GAsyncReadyCallback callback, gpointer user_data)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FB_IS_JOB (self));
  g_return_if_fail (!priv->running && priv->start_time == 0);

  begin (self, parent);
  if (callback != NULL)
    {
      priv->outer = g_task_new (self, parent, callback, user_data);
      g_task_set_source_tag (priv->outer, fb_job_run_async);
    }
  task = g_task_new (self, priv->cancellable, on_task_done, NULL);
  g_task_set_source_tag (task, fb_job_start);
  g_task_set_name (task, G_OBJECT_TYPE_NAME (self));
  /* run() reports cancellation itself, after handing over partial results. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_in_thread);
}

void
fb_job_start (FbJob *self, GCancellable *parent)
{
  fb_job_run_async (self, parent, NULL, NULL);
}

gboolean
fb_job_run_finish (FbJob *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
fb_job_run (FbJob *self, GCancellable *cancellable, GError **error)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  GError *local = NULL;

  g_return_val_if_fail (FB_IS_JOB (self), FALSE);
  g_return_val_if_fail (!priv->running && priv->start_time == 0, FALSE);

  begin (self, cancellable);
  priv->sync = TRUE;
  FB_JOB_GET_CLASS (self)->run (self, priv->cancellable, &local);
  finish (self, local);
  if (priv->error != NULL)
    {
      g_propagate_error (error, g_error_copy (priv->error));
      return FALSE;
    }
  return TRUE;
}

void
fb_job_cancel (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);

  g_return_if_fail (FB_IS_JOB (self));
  g_cancellable_cancel (priv->cancellable);
}

gboolean
fb_job_is_synchronous (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  return priv->sync;
}

gboolean
fb_job_is_running (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  return priv->running;
}

double
fb_job_get_fraction (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  return priv->fraction;
}

const char *
fb_job_get_stage (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  return priv->stage;
}

double
fb_job_get_elapsed (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  gint64 end = priv->running ? g_get_monotonic_time () : priv->end_time;

  if (priv->start_time == 0)
    return 0;
  return (double) (end - priv->start_time) / G_USEC_PER_SEC;
}

double
fb_job_get_eta (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  double elapsed = fb_job_get_elapsed (self);

  if (!priv->running)
    return 0;
  /* Within a stage: its own fraction, from its own start. */
  if (priv->stage_start != 0)
    elapsed = (double) (g_get_monotonic_time () - priv->stage_start) / G_USEC_PER_SEC;
  /* Too little progress or time to extrapolate from. */
  if (priv->fraction < 0.02 || elapsed < 0.5)
    return NAN;
  return elapsed * (1.0 - priv->fraction) / priv->fraction;
}

const GError *
fb_job_get_error (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  return priv->error;
}

gpointer
fb_job_get_result (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);
  return priv->result;
}

static void
fb_job_dispose (GObject *object)
{
  FbJobPrivate *priv = fb_job_get_instance_private (FB_JOB (object));

  fb_cancel_link_clear (&priv->parent_link);
  G_OBJECT_CLASS (fb_job_parent_class)->dispose (object);
}

static void
fb_job_finalize (GObject *object)
{
  FbJob *self = FB_JOB (object);
  FbJobPrivate *priv = fb_job_get_instance_private (self);

  fb_job_set_result (self, NULL, NULL);
  g_clear_pointer (&priv->context, g_main_context_unref);
  g_clear_object (&priv->cancellable);
  g_clear_object (&priv->outer);
  g_clear_error (&priv->error);
  g_free (priv->pending_stage);
  g_free (priv->stage);
  g_free (priv->pending_stage_name);
  g_free (priv->stage_name);
  g_mutex_clear (&priv->lock);
  G_OBJECT_CLASS (fb_job_parent_class)->finalize (object);
}

static void
fb_job_class_init (FbJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fb_job_dispose;
  object_class->finalize = fb_job_finalize;

  /* Fraction or stage changed, or the subclass's drain() emitted something. */
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Once, when the job is over; fb_job_get_error() says how. */
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fb_job_init (FbJob *self)
{
  FbJobPrivate *priv = fb_job_get_instance_private (self);

  g_mutex_init (&priv->lock);
  priv->cancellable = g_cancellable_new ();
}
