/* fb-window-search.c — the window's search results, its accuracy engine and the Compare page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>

#include "fb-accuracy-engine.h"
#include "fb-application.h"
#include "fb-bundle-job.h"
#include "fb-compare-panel.h"
#include "fb-error.h"
#include "fb-export-dialog.h"
#include "fb-file-kind.h"
#include "fb-exporter.h"
#include "fb-json.h"
#include "fb-metrics.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"
#include "fb-point-set.h"
#include "fb-search-panel.h"
#include "fb-ui-format.h"
#include "fb-ui-resources.h"
#include "fb-window-private.h"

/* For tests (fb_window_set_accuracy_defaults()): whether new windows build
 * an accuracy engine, and with how many images per evaluation. */
static gboolean accuracy_enabled = TRUE;
static guint    accuracy_test_limit = 0;
static char    *accuracy_dataset_dir = NULL;

/* ---- search results ------------------------------------------------------- */

guint
fb_window_count_results (FbWindow *self)
{
  guint n = 0;

  for (guint g = 0; g < self->groups->len; g++)
    n += ((ResultGroup *) g_ptr_array_index (self->groups, g))->candidates->len;
  return n;
}

void
fb_window_update_results (FbWindow *self)
{
  gboolean running = self->job != NULL && fb_search_job_is_running (self->job);
  guint n = fb_window_count_results (self);
  guint sources = 0;

  for (guint g = 0; g < self->groups->len; g++)
    if (((ResultGroup *) g_ptr_array_index (self->groups, g))->candidates->len > 0)
      sources++;
  fb_search_panel_set_n_results (self->search_panel, n, sources);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "save-candidates")),
                               n > 0);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "clear-results")),
                               self->groups->len > 0);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "run-search")),
                               !running && self->network != NULL);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "cancel-search")),
                               running);
}

void
fb_window_stop_job (FbWindow *self)
{
  if (self->job == NULL)
    return;
  /* Its thread may still be finishing; it keeps its own references and
   * nothing of it reaches this window any more. */
  fb_search_job_cancel (self->job);
  g_signal_handlers_disconnect_by_data (self->job, self);
  fb_search_panel_set_job (self->search_panel, NULL);
  g_clear_object (&self->job);
  self->job_group = NULL;
}

void
fb_window_clear_results (FbWindow *self)
{
  fb_window_stop_job (self);
  g_ptr_array_set_size (self->groups, 0);
  g_ptr_array_set_size (self->opened_configs, 0);
  g_ptr_array_set_size (self->opened_names, 0);
  g_clear_pointer (&self->free_bits_changes, g_ptr_array_unref);
  g_clear_pointer (&self->free_bits_result, fb_precision_config_free);
}

/* Appends a job's results to its plot group, re-evaluated when the user has
 * switched the target since the job started. */
static void
add_job_candidates (FbWindow *self, FbSearchJob *job, GPtrArray *candidates)
{
  gboolean same_table = fb_search_job_get_table (job) == self->latency;

  for (guint i = 0; i < candidates->len; i++)
    {
      FbCandidate *c = g_ptr_array_index (candidates, i);
      g_ptr_array_add (self->job_group->candidates,
                       same_table ? fb_candidate_ref (c) : fb_window_evaluate_candidate (self, c));
    }
}

static void
on_job_candidates (FbSearchJob *job, GPtrArray *batch, FbWindow *self)
{
  if (self->job_group == NULL)
    return;
  add_job_candidates (self, job, batch);
  fb_window_refresh_points (self, TRUE);
  fb_window_update_summary (self);
  fb_window_update_results (self);
}

/* The results again, with measured accuracy: they replace the unmeasured
 * ones (those below the minimum accuracy are gone). */
static void
on_job_measured (FbSearchJob *job, GPtrArray *measured, FbWindow *self)
{
  if (self->job_group == NULL)
    return;
  g_ptr_array_set_size (self->job_group->candidates, 0);
  add_job_candidates (self, job, measured);
  /* Indices changed: keep the selection only if it still is the same config. */
  fb_window_refresh_points (self, TRUE);
  fb_window_update_summary (self);
  fb_window_update_results (self);
}

static void
on_job_finished (FbSearchJob *job, FbWindow *self)
{
  const GError *error = fb_search_job_get_error (job);

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    fb_window_report_gerror (self, error);
  /* Free Bits from one start: its change log goes with its one result. */
  if (error == NULL && fb_search_job_get_changes (job) != NULL && self->job_group != NULL &&
      self->job_group->candidates->len == 1)
    {
      g_clear_pointer (&self->free_bits_changes, g_ptr_array_unref);
      g_clear_pointer (&self->free_bits_result, fb_precision_config_free);
      self->free_bits_changes = g_ptr_array_ref (fb_search_job_get_changes (job));
      self->free_bits_result = fb_precision_config_copy (
        fb_candidate_get_config (g_ptr_array_index (self->job_group->candidates, 0)));
      fb_window_update_changes (self);
    }
  fb_window_update_results (self);
  /* What the job did not measure (it ran before the engine was ready, or
   * was cancelled) is measured in the background. */
  fb_window_queue_results (self);
}

/* The start config of a search: the table's config, or a uniform one that
 * takes over the table's pinned entries (pins always come from the table). */
static FbPrecisionConfig *
make_start_config (FbWindow *self, const char *start, GError **error)
{
  FbPrecisionConfig *table_config = fb_layer_table_get_config (self->layer_table);
  g_autoptr(FbPrecisionConfig) config = NULL;

  if (g_strcmp0 (start, FB_SEARCH_PANEL_START_TABLE) == 0 || start == NULL)
    return fb_precision_config_copy (table_config);
  config = fb_precision_config_new_from_spec (self->network, start, error);
  if (config == NULL)
    return NULL;
  for (guint i = 0; i < fb_network_get_n_layers (self->network); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (self->network, i)) &&
        fb_precision_config_get_weight_pinned (table_config, i))
      {
        fb_precision_config_set_weight_bits (config, i, fb_precision_config_get_weight_bits (table_config, i));
        fb_precision_config_set_weight_pinned (config, i, TRUE);
      }
  for (guint i = 0; i < fb_network_get_n_tensors (self->network); i++)
    if (fb_network_get_tensor (self->network, i)->kind == FB_TENSOR_ACTIVATION &&
        fb_precision_config_get_tensor_pinned (table_config, i))
      {
        fb_precision_config_set_tensor_bits (config, i, fb_precision_config_get_tensor_bits (table_config, i));
        fb_precision_config_set_tensor_pinned (config, i, TRUE);
      }
  return g_steal_pointer (&config);
}

#define SEARCH_WAITING_MESSAGE \
  N_("The differentiable search starts once the trained weights and training images are loaded.")

void
fb_window_on_search_run (FbWindow *self)
{
  g_autoptr(FbPrecisionConfig) start = NULL;
  g_autoptr(GError) error = NULL;
  FbSearchParams params;
  ResultGroup *group = NULL;
  const char *series;

  if (self->network == NULL || (self->job != NULL && fb_search_job_is_running (self->job)))
    return;
  fb_search_panel_get_params (self->search_panel, &params);
  if (params.method == FB_SEARCH_METHOD_FREE_BITS && self->latency == NULL)
    {
      fb_window_report_error (self, _("The Free Bits heuristic needs a latency table: open one for this network."));
      return;
    }
  if (params.method == FB_SEARCH_METHOD_DIFF)
    {
      g_autofree char *problem = fb_window_diff_problem (self);
      g_autofree char *msg = NULL;

      if (params.n_lambdas == 0)
        msg = g_strdup_printf (_("The differentiable search cannot run: the λ list is not valid. %s"),
                               fb_search_panel_get_lambdas_error (self->search_panel));
      else if (problem != NULL && self->engine_loading != NULL)
        {
          /* It trains on what the engine is loading: start when it is there. */
          self->search_waiting = TRUE;
          fb_window_show_message (self, GTK_MESSAGE_INFO, _(SEARCH_WAITING_MESSAGE), NULL);
          self->info_is_search_waiting = TRUE;
          return;
        }
      else if (problem != NULL)
        msg = g_strdup_printf (_("The differentiable search cannot run. %s"), problem);
      if (msg != NULL)
        {
          fb_window_report_error (self, msg);
          return;
        }
    }
  series = fb_search_params_get_series_name (&params);
  start = make_start_config (self, fb_search_panel_get_start (self->search_panel), &error);
  if (start == NULL)
    {
      fb_window_report_gerror (self, error);
      return;
    }

  fb_window_stop_job (self);
  /* A method's new run replaces its old results. */
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *old = g_ptr_array_index (self->groups, g);
      /* Size- and BOPs-regularized sweeps are separate series. */
      if (old->method == (int) params.method && g_strcmp0 (old->name, series) == 0)
        {
          group = old;
          g_ptr_array_set_size (group->candidates, 0);
          break;
        }
    }
  if (group == NULL)
    {
      group = fb_window_result_group_new (series, params.method);
      g_ptr_array_add (self->groups, group);
    }
  group->table = self->latency;
  self->job_group = group;

  self->job = fb_search_job_new (self->network, self->latency, start, &params);
  if (fb_window_engine_usable (self))
    fb_search_job_set_oracle (self->job, fb_accuracy_engine_get_oracle (self->engine));
  if (params.method == FB_SEARCH_METHOD_DIFF)
    fb_search_job_set_supernet (self->job, fb_accuracy_engine_get_weights (self->engine),
                                fb_accuracy_engine_get_weights_path (self->engine),
                                fb_accuracy_engine_get_train_set (self->engine));
  g_signal_connect (self->job, "candidates", G_CALLBACK (on_job_candidates), self);
  g_signal_connect (self->job, "measured", G_CALLBACK (on_job_measured), self);
  g_signal_connect (self->job, "finished", G_CALLBACK (on_job_finished), self);
  /* The window's cancellable stops it when the window closes. */
  fb_search_job_start (self->job, self->cancellable);
  fb_search_panel_set_job (self->search_panel, self->job);
  fb_window_refresh_points (self, TRUE);
  fb_window_update_results (self);
}

/* Measures the config in the summary (after a short quiet time, replacing
 * the previous request). */
void
fb_window_request_accuracy (FbWindow *self)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);

  if (!fb_window_engine_usable (self) || config == NULL)
    return;
  fb_accuracy_engine_measure_current (self->engine, config, fb_window_summary_limit (self));
}

/* The nine uniform baselines, measured in the background so accuracy can be
 * a plot axis. */
static void
queue_baselines (FbWindow *self)
{
  if (!fb_window_engine_usable (self))
    return;
  for (guint w = 8; w >= 2; w /= 2)
    for (guint a = 8; a >= 2; a /= 2)
      {
        g_autoptr(FbPrecisionConfig) u = fb_precision_config_new_uniform (self->network, w, a, NULL);
        if (u != NULL)
          fb_accuracy_engine_measure_background (self->engine, u, fb_window_default_limit (self));
      }
}

/* Results without accuracy (found before the engine was ready, or opened
 * from a file without it) are measured in the background as well, up to
 * this many: a front of thousands would keep the engine busy for hours. */
#define MAX_BACKGROUND_RESULTS 400

static gboolean
group_is_streaming (FbWindow *self, ResultGroup *group)
{
  /* A running job measures its own results when it is done. */
  return group == self->job_group && self->job != NULL && fb_search_job_is_running (self->job);
}

void
fb_window_queue_results (FbWindow *self)
{
  guint n = 0;

  if (!fb_window_engine_usable (self))
    return;
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);

      if (group_is_streaming (self, group))
        continue;
      for (guint i = 0; i < group->candidates->len && n < MAX_BACKGROUND_RESULTS; i++)
        {
          FbCandidate *c = g_ptr_array_index (group->candidates, i);
          if (!isnan (fb_candidate_get_accuracy (c)))
            continue;
          fb_accuracy_engine_measure_background (self->engine, fb_candidate_get_config (c),
                                                 fb_window_default_limit (self));
          n++;
        }
    }
}

/* Gives every result of @config without accuracy the one just measured.
 * Returns whether any changed. */
static gboolean
apply_to_results (FbWindow *self, FbPrecisionConfig *config, guint limit, double accuracy)
{
  g_autoptr(JsonObject) extra = json_object_new ();
  gboolean changed = FALSE;

  /* As fb_search_measure() records it. */
  json_object_set_string_member (extra, "oracle",
                                 fb_accuracy_oracle_get_name (fb_accuracy_engine_get_oracle (self->engine)));
  json_object_set_int_member (extra, "accuracy_limit", limit);
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);

      if (group_is_streaming (self, group))
        continue;
      for (guint i = 0; i < group->candidates->len; i++)
        {
          FbCandidate *c = g_ptr_array_index (group->candidates, i);
          if (!isnan (fb_candidate_get_accuracy (c)) ||
              !fb_precision_config_equal (fb_candidate_get_config (c), config))
            continue;
          group->candidates->pdata[i] = fb_candidate_new_with_accuracy (c, accuracy, extra);
          fb_candidate_unref (c);
          changed = TRUE;
        }
    }
  return changed;
}

static void
on_engine_measured (FbAccuracyEngine *engine, FbPrecisionConfig *config, guint limit, double accuracy,
                    FbWindow *self)
{
  g_autofree char *uniform = fb_window_uniform_label (config);
  gboolean result = limit == fb_window_default_limit (self) && apply_to_results (self, config, limit, accuracy);

  /* A baseline or a result: its point in the plot gets the accuracy. */
  if ((uniform != NULL && limit == fb_window_default_limit (self)) || result)
    /* The axes stay: accuracy was chosen when the engine started loading. */
    fb_window_refresh_points (self, TRUE);
  fb_window_update_summary (self);
}

static void
on_engine_failed (FbAccuracyEngine *engine, FbPrecisionConfig *config, const GError *error, FbWindow *self)
{
  g_autofree char *msg = g_strdup_printf (_("Measuring the accuracy failed: %s"), error->message);

  fb_window_report_error (self, msg);
  fb_window_update_summary (self);
}

void
fb_window_set_engine (FbWindow *self, FbAccuracyEngine *engine)
{
  g_autoptr(FbAccuracyEngine) keep = engine != NULL ? g_object_ref (engine) : NULL;

  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->engine, self);
      /* Another engine: nothing of the old one is wanted any more. */
      if (self->engine != engine)
        fb_accuracy_engine_cancel (self->engine);
      g_clear_object (&self->engine);
    }
  if (engine != NULL)
    {
      self->engine = g_steal_pointer (&keep);
      g_clear_pointer (&self->engine_problem, g_free);
      g_signal_connect (engine, "measured", G_CALLBACK (on_engine_measured), self);
      g_signal_connect (engine, "failed", G_CALLBACK (on_engine_failed), self);
    }
  fb_search_panel_set_accuracy_available (self->search_panel, fb_window_engine_usable (self));
  /* The config in the table first, then the baselines, then results. */
  fb_window_request_accuracy (self);
  queue_baselines (self);
  fb_window_queue_results (self);
  fb_window_update_summary (self);
}

void
fb_window_set_accuracy_oracle (FbWindow *self, FbAccuracyOracle *oracle)
{
  g_autoptr(FbAccuracyEngine) engine = NULL;

  g_return_if_fail (FB_IS_WINDOW (self));
  /* An oracle given replaces the one being loaded. */
  if (self->engine_loading != NULL)
    g_cancellable_cancel (self->engine_loading);
  g_clear_object (&self->engine_loading);
  if (oracle != NULL)
    engine = fb_accuracy_engine_new (oracle);
  fb_window_set_engine (self, engine);
  fb_window_choose_axes (self, FALSE);
}

/* The engine is there or will not come: what waited for it runs now (a
 * differentiable search, unless the user chose another method meanwhile, and
 * the comparison). */
static void
run_waiting (FbWindow *self)
{
  if (self->search_waiting &&
      fb_search_panel_get_method (self->search_panel) == FB_SEARCH_METHOD_DIFF)
    {
      /* The wait is over: its note goes. */
      if (self->info_is_search_waiting)
        fb_window_on_info_bar_response (self->info_bar, GTK_RESPONSE_CLOSE, self);
      fb_window_on_search_run (self);
    }
  self->search_waiting = FALSE;
  if (self->compare_waiting)
    fb_window_run_compare (self);
}

static void
on_engine_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbAccuracyEngine) engine = fb_accuracy_engine_load_finish (result, &error);
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));

  /* Superseded (another network, a given oracle) or the window closed. */
  if (g_cancellable_is_cancelled (cancellable) || cancellable != self->engine_loading)
    return;
  g_clear_object (&self->engine_loading);
  if (engine != NULL)
    {
      if (accuracy_test_limit > 0)
        fb_accuracy_oracle_set_default_limit (fb_accuracy_engine_get_oracle (engine), accuracy_test_limit);
      fb_window_set_engine (self, engine);
      run_waiting (self);
      return;
    }
  g_free (self->engine_problem);
  if (self->onnx_import != NULL &&
      g_error_matches (error, FB_ACCURACY_ENGINE_ERROR, FB_ACCURACY_ENGINE_ERROR_NO_WEIGHTS))
    {
      /* An imported model's weights are in memory until saved: the info
       * bar offering to save it stays, and says so. */
      self->engine_problem = g_strdup (_("save the converted network to measure it"));
    }
  else if (g_error_matches (error, FB_ACCURACY_ENGINE_ERROR, FB_ACCURACY_ENGINE_ERROR_NO_DATASET))
    {
      g_autofree char *msg = g_strdup_printf (
        _("Accuracy is not shown: the Fashion-MNIST test images are not installed in %s. "
          "Install the Debian package %s (apt install %s) and reopen the network; "
          "everything else works without them."),
        error->message, FB_FASHION_MNIST_PACKAGE, FB_FASHION_MNIST_PACKAGE);
      self->engine_problem = g_strdup_printf (_("install the package %s"), FB_FASHION_MNIST_PACKAGE);
      fb_window_show_message (self, GTK_MESSAGE_INFO, msg, NULL);
    }
  else if (g_error_matches (error, FB_ACCURACY_ENGINE_ERROR, FB_ACCURACY_ENGINE_ERROR_NO_WEIGHTS))
    {
      g_autofree char *msg = g_strdup_printf (
        _("Accuracy is not shown: %s has no trained weights (looked for %s). "
          "Train them with \"freebits-cli train\" or install the freebits data; "
          "everything else works without them."),
        fb_network_get_name (self->network), error->message);
      self->engine_problem = g_strdup (_("no trained weights for this network"));
      fb_window_show_message (self, GTK_MESSAGE_INFO, msg, NULL);
    }
  else
    {
      g_autofree char *msg = g_strdup_printf (_("Accuracy is not shown: %s"), error->message);
      self->engine_problem = g_strdup (_("the accuracy engine could not start"));
      fb_window_show_message (self, GTK_MESSAGE_WARNING, msg, NULL);
    }
  /* No accuracy will come: an accuracy axis goes (the only time the axes
   * change without the user). */
  fb_window_choose_axes (self, TRUE);
  fb_window_update_summary (self);
  run_waiting (self);
}

/* Makes the accuracy engine of the shown network in a worker thread. */
void
fb_window_load_engine (FbWindow *self)
{
  if (self->engine_loading != NULL)
    g_cancellable_cancel (self->engine_loading);
  g_clear_object (&self->engine_loading);
  g_clear_pointer (&self->engine_problem, g_free);
  if (!accuracy_enabled || self->network == NULL || fb_window_engine_usable (self))
    return;
  self->engine_loading = g_cancellable_new ();
  fb_accuracy_engine_load_dataset_async (self->network, accuracy_dataset_dir, self->dataset_path,
                                         self->dataset_path != NULL ? self->dataset_layout : FB_DATASET_LAYOUT_AUTO,
                                         self->dataset_path != NULL ? self->dataset_val_split : 0,
                                         self->engine_loading, on_engine_loaded,
                                         g_object_ref (self));
  /* Accuracy will come: its axis now, not when the first value arrives. */
  fb_window_choose_axes (self, FALSE);
}

void
fb_window_set_accuracy_defaults (gboolean enabled, guint limit, const char *dataset_dir)
{
  accuracy_enabled = enabled;
  accuracy_test_limit = limit;
  g_free (accuracy_dataset_dir);
  accuracy_dataset_dir = g_strdup (dataset_dir);
}

FbAccuracyEngine *
fb_window_get_accuracy_engine (FbWindow *self)
{
  return self->engine;
}

void
fb_window_run_search (FbWindow *self, FbSearchMethod method)
{
  g_return_if_fail (FB_IS_WINDOW (self));
  fb_search_panel_set_method (self->search_panel, method);
  gtk_revealer_set_reveal_child (self->search_revealer, TRUE);
  fb_window_on_search_run (self);
}

void
fb_window_run_compare (FbWindow *self)
{
  FbAccuracyOracle *oracle = NULL;
  guint limit = 0;

  g_return_if_fail (FB_IS_WINDOW (self));
  gtk_stack_set_visible_child_name (self->view_stack, "compare");
  if (self->network == NULL)
    return;
  /* Measured accuracy is worth the wait: an engine being loaded decides. */
  if (self->engine_loading != NULL)
    {
      self->compare_waiting = TRUE;
      fb_compare_panel_set_waiting (self->compare_panel);
      return;
    }
  self->compare_waiting = FALSE;
  if (self->tables->len == 0)
    {
      fb_window_report_error (self, _("The comparison needs at least one latency table: open a "
                                      "freebits-latency/1 file for this network."));
      return;
    }
  /* Measured accuracy when the engine is ready, on the images the
   * baselines are measured on; else fb_compare_run matches on Flash size. */
  if (fb_window_engine_usable (self))
    {
      oracle = fb_accuracy_engine_get_oracle (self->engine);
      limit = fb_window_default_limit (self);
    }
  fb_compare_panel_start (self->compare_panel, self->network, self->tables, oracle, limit, self->cancellable);
}

void
fb_window_on_compare_run (FbWindow *self)
{
  fb_window_run_compare (self);
}

void
fb_window_on_compare_config_selected (FbComparePanel *panel, FbPrecisionConfig *config, const char *label,
                                      FbWindow *self)
{
  fb_window_set_config_from (self, config, label, fb_precision_config_get_provenance (config),
                             _("a point of the Compare page"));
}

void
fb_window_add_opened_config (FbWindow *self, FbPrecisionConfig *config, const char *name)
{
  /* Opened again: listed once. */
  for (guint i = 0; i < self->opened_configs->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->opened_names, i), name) == 0 &&
        fb_precision_config_equal (g_ptr_array_index (self->opened_configs, i), config))
      return;
  /* The file's name goes with it (the row's label). */
  g_ptr_array_add (self->opened_configs, fb_precision_config_copy (config));
  g_ptr_array_add (self->opened_names, g_strdup (name));
  fb_window_update_extra_results (self);
}

/* The opened configs as a point set: their metrics under the current
 * table, accuracy as the engine measured it. */
static FbPointSet *
build_opened_points (FbWindow *self)
{
  FbPointSet *set = fb_point_set_new ();
  guint series = fb_point_set_add_series (set, _("config file"));

  if (self->latency != NULL)
    fb_point_set_set_latency_unit (set, fb_latency_table_get_unit (self->latency),
                                   fb_latency_table_get_target (self->latency));
  for (guint i = 0; i < self->opened_configs->len; i++)
    {
      FbPrecisionConfig *config = g_ptr_array_index (self->opened_configs, i);
      double values[FB_PLOT_N_METRICS];

      if (!fb_window_compute_values (self, config, values, NULL))
        continue;
      if (fb_window_engine_usable (self))
        fb_accuracy_engine_lookup (self->engine, config, fb_window_default_limit (self),
                                   &values[FB_PLOT_METRIC_ACCURACY]);
      fb_point_set_append (set, values, series, 0, g_ptr_array_index (self->opened_names, i),
                           fb_precision_config_copy (config));
    }
  fb_point_set_seal (set);
  return set;
}

void
fb_window_update_extra_results (FbWindow *self)
{
  FbPointSet *compare = fb_pareto_plot_get_points (fb_compare_panel_get_plot (self->compare_panel));

  fb_results_table_set_extra (self->results_table, 0,
                              compare != NULL && fb_point_set_get_n_points (compare) > 0 ? compare : NULL,
                              _("Compare"));
  if (self->opened_configs->len > 0)
    {
      g_autoptr(FbPointSet) opened = build_opened_points (self);
      fb_results_table_set_extra (self->results_table, 1, opened, _("Opened"));
    }
  else
    fb_results_table_set_extra (self->results_table, 1, NULL, NULL);
}

void
fb_window_on_compare_failed (FbComparePanel *panel, const char *message, FbWindow *self)
{
  fb_window_report_error (self, message);
}

void
fb_window_on_search_cancel (FbWindow *self)
{
  if (self->job != NULL)
    fb_search_job_cancel (self->job);
}


gboolean
fb_window_get_accuracy_enabled (void)
{
  return accuracy_enabled;
}
