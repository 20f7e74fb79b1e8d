/* fb-window.c — the main window: plot, summary and layer table of one network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

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
#include "fb-ui-widgets.h"
#include "fb-onnx-import.h"
#include "fb-window-private.h"

G_DEFINE_TYPE (FbWindow, fb_window, GTK_TYPE_APPLICATION_WINDOW)

ResultGroup *
fb_window_result_group_new (const char *name, int method)
{
  ResultGroup *g = g_new0 (ResultGroup, 1);

  g->name = g_strdup (name);
  g->method = method;
  g->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  return g;
}

static void
result_group_free (ResultGroup *g)
{
  g_ptr_array_unref (g->candidates);
  g_free (g->name);
  g_free (g);
}


/* ---- errors --------------------------------------------------------------- */

/* Shows @message; messages of one type pile up while the bar is open, a
 * message of another type replaces them. @folder: what "Open Folder" opens
 * (NULL: no such button). */
void
fb_window_show_message (FbWindow *self, GtkMessageType type, const char *message, const char *folder)
{
  const char *old = gtk_label_get_text (self->info_label);

  self->info_is_search_waiting = FALSE;
  /* One message at a time, replaced rather than stacked; only the files of
   * one open (a drop, the command line) are listed together, each once. */
  if (self->info_batch && gtk_info_bar_get_revealed (self->info_bar) && old != NULL && old[0] != '\0' &&
      gtk_info_bar_get_message_type (self->info_bar) == type && folder == NULL && self->info_folder == NULL)
    {
      if (strstr (old, message) == NULL)
        {
          g_autofree char *both = g_strconcat (old, "\n", message, NULL);
          gtk_label_set_text (self->info_label, both);
        }
    }
  else
    gtk_label_set_text (self->info_label, message);
  gtk_info_bar_set_message_type (self->info_bar, type);
  g_free (self->info_folder);
  self->info_folder = g_strdup (folder);
  gtk_widget_set_visible (self->open_folder_button, folder != NULL);
  gtk_widget_hide (self->save_converted_button);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

void
fb_window_report_error (FbWindow *self, const char *message)
{
  g_return_if_fail (FB_IS_WINDOW (self));
  fb_window_show_message (self, GTK_MESSAGE_ERROR, message, NULL);
}

void
fb_window_report_gerror (FbWindow *self, const GError *error)
{
  fb_window_report_error (self, error->message);
}

void
fb_window_on_info_bar_response (GtkInfoBar *bar, int response, FbWindow *self)
{
  if (response == RESPONSE_SAVE_CONVERTED)
    {
      g_autoptr(GError) error = NULL;

      if (!fb_window_save_converted (self, &error))
        fb_window_report_gerror (self, error);
      return;
    }
  if (response == RESPONSE_OPEN_FOLDER && self->info_folder != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (self->info_folder);
      g_autofree char *uri = g_file_get_uri (file);
      g_autoptr(GError) error = NULL;

      if (!gtk_show_uri_on_window (GTK_WINDOW (self), uri, gtk_get_current_event_time (), &error))
        {
          fb_window_report_error (self, error->message);
          return;
        }
    }
  gtk_info_bar_set_revealed (bar, FALSE);
  gtk_label_set_text (self->info_label, "");
  self->info_is_search_waiting = FALSE;
  g_clear_pointer (&self->info_folder, g_free);
  gtk_widget_hide (self->open_folder_button);
  gtk_widget_hide (self->save_converted_button);
}

/* ---- accuracy ------------------------------------------------------------- */

/* An engine measures one network: it only serves the network it was made for. */
gboolean
fb_window_engine_usable (FbWindow *self)
{
  return self->engine != NULL && self->network != NULL &&
         g_strcmp0 (fb_network_get_sha256 (fb_accuracy_oracle_get_network (fb_accuracy_engine_get_oracle (self->engine))),
                    fb_network_get_sha256 (self->network)) == 0;
}

/* Images per evaluation of the baselines and search results. */
guint
fb_window_default_limit (FbWindow *self)
{
  return fb_accuracy_engine_get_default_limit (self->engine);
}

/* Images per evaluation of the config in the summary: the default, or the
 * whole test set when asked for. */
guint
fb_window_summary_limit (FbWindow *self)
{
  GAction *full = g_action_map_lookup_action (G_ACTION_MAP (self), "full-test-set");
  g_autoptr(GVariant) state = full ? g_action_get_state (full) : NULL;

  return state != NULL && g_variant_get_boolean (state) ? 0 : fb_window_default_limit (self);
}

/* Number of images a limit stands for, for the notes ("on 1000 test images"). */
guint
fb_window_limit_images (FbWindow *self, guint limit)
{
  FbDataset *test = fb_accuracy_engine_get_test_set (self->engine);
  guint n = test != NULL ? fb_dataset_get_n_images (test) : 0;

  if (limit == 0)
    return n;
  return n > 0 ? MIN (limit, n) : limit;
}


/* ---- data ----------------------------------------------------------------- */

/* A bundled file: the source tree first (running from the build directory),
 * then the installed data directory. */
static char *
find_data_file (const char *relative)
{
  const char *dirs[] = { g_getenv ("FREEBITS_DATADIR"), FB_SOURCE_DATADIR, FB_DATADIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;
      if (dirs[i] == NULL || dirs[i][0] == '\0')
        continue;
      path = g_build_filename (dirs[i], relative, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

static void
metrics_to_values (const FbMetrics *m, gboolean have_latency, double values[FB_PLOT_N_METRICS])
{
  values[FB_PLOT_METRIC_SIZE] = (double) m->size_bytes;
  values[FB_PLOT_METRIC_BOPS] = (double) m->bops;
  values[FB_PLOT_METRIC_LATENCY] = have_latency ? m->latency : NAN;
  /* The RAM the exported bundle needs (activation arena + kernel scratch),
   * what the search budget filters on; NAN when no bundle can be made. */
  values[FB_PLOT_METRIC_PEAK_RAM] = m->ram_bytes > 0 ? (double) m->ram_bytes : NAN;
  /* Accuracy comes with candidates that carry it (an accuracy oracle's
   * results); configs made here have none. */
  values[FB_PLOT_METRIC_ACCURACY] = NAN;
}

/* Metrics of @config with the window's latency table; on a table error the
 * latency is NAN and the error is reported once per table. */
gboolean
fb_window_compute_values (FbWindow *self, FbPrecisionConfig *config, double values[FB_PLOT_N_METRICS],
                FbMetrics *out)
{
  g_autoptr(GError) error = NULL;
  FbMetrics m;

  if (self->latency != NULL && fb_metrics_compute (config, self->latency, &m, NULL, &error))
    {
      metrics_to_values (&m, TRUE, values);
      if (out) *out = m;
      return TRUE;
    }
  if (error != NULL && !self->latency_error_shown)
    {
      self->latency_error_shown = TRUE;
      fb_window_report_gerror (self, error);
    }
  g_clear_error (&error);
  if (!fb_metrics_compute (config, NULL, &m, NULL, &error))
    {
      fb_window_report_gerror (self, error);
      return FALSE;
    }
  metrics_to_values (&m, FALSE, values);
  if (out) *out = m;
  return TRUE;
}

/* "w4a8" when every weight and every activation tensor share one width. */
char *
fb_window_uniform_label (FbPrecisionConfig *config)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  guint w = 0, a = 0;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      {
        guint b = fb_precision_config_get_weight_bits (config, i);
        if (w != 0 && b != w)
          return NULL;
        w = b;
      }
  for (guint i = 0; i < fb_network_get_n_tensors (net); i++)
    if (fb_network_get_tensor (net, i)->kind == FB_TENSOR_ACTIVATION)
      {
        guint b = fb_precision_config_get_tensor_bits (config, i);
        if (a != 0 && b != a)
          return NULL;
        a = b;
      }
  return w != 0 && a != 0 ? g_strdup_printf ("w%ua%u", w, a) : NULL;
}

/* The target @group's search ran for (its results' provenance), or NULL. */
static const char *
group_searched_target (ResultGroup *group)
{
  JsonObject *prov = fb_candidate_get_provenance (g_ptr_array_index (group->candidates, 0));

  return prov != NULL ? json_object_get_string_member_with_default (prov, "target", NULL) : NULL;
}

/* Search results and opened candidates after the baselines, one series per
 * group, so indices of earlier points survive while results stream in. */
static void
append_results (FbWindow *self, FbPointSet *set)
{
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);
      const char *searched;
      gboolean stale;
      guint series;

      if (group->candidates->len == 0)
        continue;
      searched = group_searched_target (group);
      /* Searched for another target than the one shown: its front is no
       * front here. Named and greyed so until the search runs again. */
      stale = searched != NULL && self->latency != NULL &&
              g_strcmp0 (searched, fb_latency_table_get_target (self->latency)) != 0;
      if (stale)
        {
          /* TRANSLATORS: a series of search results made for another latency target: "Pareto DP (gap8, stale)" */
          g_autofree char *name = g_strdup_printf (_("%s (%s, stale)"), group->name, searched);
          series = fb_point_set_add_series (set, name);
        }
      else
        series = fb_point_set_add_series (set, group->name);
      for (guint i = 0; i < group->candidates->len; i++)
        {
          FbCandidate *c = g_ptr_array_index (group->candidates, i);
          g_autofree char *label = fb_window_uniform_label (fb_candidate_get_config (c));
          double values[FB_PLOT_N_METRICS];

          metrics_to_values (fb_candidate_get_metrics (c), self->latency != NULL, values);
          values[FB_PLOT_METRIC_ACCURACY] = fb_candidate_get_accuracy (c);
          if (label == NULL)
            /* TRANSLATORS: a search result in tooltips and the summary: "Pareto front #12" */
            label = g_strdup_printf (_("%s #%u"), group->name, i + 1);
          fb_point_set_append_candidate (set, values, series, label, c);
        }
      if (stale)
        fb_point_set_set_series_flags (set, series, FB_PLOT_POINT_STALE);
    }
}

/* The nine uniform configs (fewer if the packing rejects some), then what
 * searches and candidate files brought. Worker threads hand their results
 * over as immutable candidates; the set references them. */
static FbPointSet *
build_uniform_points (FbWindow *self)
{
  static const guint bits[] = { 8, 4, 2 };
  FbPointSet *set = fb_point_set_new ();
  guint series = fb_point_set_add_series (set, _("uniform"));

  if (self->latency != NULL)
    fb_point_set_set_latency_unit (set, fb_latency_table_get_unit (self->latency),
                                   fb_latency_table_get_target (self->latency));
  for (guint w = 0; w < G_N_ELEMENTS (bits); w++)
    for (guint a = 0; a < G_N_ELEMENTS (bits); a++)
      {
        g_autoptr(FbPrecisionConfig) config = NULL;
        g_autofree char *label = g_strdup_printf ("w%ua%u", bits[w], bits[a]);
        double values[FB_PLOT_N_METRICS];

        config = fb_precision_config_new_uniform (self->network, bits[w], bits[a], NULL);
        if (config == NULL || !fb_window_compute_values (self, config, values, NULL))
          continue; /* e.g. 2-bit activations on 6 channels: not a candidate */
        /* Measured in the background once the accuracy engine is there. */
        if (fb_window_engine_usable (self))
          fb_accuracy_engine_lookup (self->engine, config, fb_window_default_limit (self),
                                     &values[FB_PLOT_METRIC_ACCURACY]);
        if (bits[w] == 8 && bits[a] == 8)
          memcpy (self->reference, values, sizeof values);
        fb_point_set_append (set, values, series, FB_PLOT_POINT_BASELINE, label,
                             g_steal_pointer (&config));
      }
  append_results (self, set);
  fb_point_set_seal (set);
  return set;
}

/* ---- axes ----------------------------------------------------------------- */

/* Whether accuracy can be plotted: some point has it, or the accuracy
 * engine is there or loading (its measurements will come). Choosing the
 * accuracy axis before the first measurement keeps the axes from switching
 * by themselves when it arrives. */
static gboolean
metric_available (FbWindow *self, FbPlotMetric m)
{
  if (fb_point_set_has_metric (self->points, m))
    return TRUE;
  return m == FB_PLOT_METRIC_ACCURACY && (self->engine_loading != NULL || fb_window_engine_usable (self));
}

static void
fill_combo (FbWindow *self, GtkComboBoxText *combo, FbPlotMetric active)
{
  gtk_combo_box_text_remove_all (combo);
  for (guint m = 0; m < FB_PLOT_N_METRICS; m++)
    if (m == active || self->points == NULL || metric_available (self, m))
      gtk_combo_box_text_append (combo, fb_plot_metric_to_nick (m), fb_plot_metric_get_short_name (m));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), fb_plot_metric_to_nick (active));
}

/* Sensible axes for what is known: accuracy against latency (or BOPs) when
 * accuracy is or will be measured; otherwise Flash against latency (or
 * BOPs). With @keep_if_possible the shown axes stay while both can be
 * plotted: only the user changes them. */
void
fb_window_choose_axes (FbWindow *self, gboolean keep_if_possible)
{
  gboolean has_lat = fb_point_set_has_metric (self->points, FB_PLOT_METRIC_LATENCY);
  gboolean has_acc = metric_available (self, FB_PLOT_METRIC_ACCURACY);
  FbPlotMetric x = fb_pareto_plot_get_x_metric (self->plot);
  FbPlotMetric y = fb_pareto_plot_get_y_metric (self->plot);

  if (!keep_if_possible || !metric_available (self, x) || !metric_available (self, y))
    {
      g_autofree char *saved_x = self->settings ? g_settings_get_string (self->settings, "x-axis") : NULL;
      g_autofree char *saved_y = self->settings ? g_settings_get_string (self->settings, "y-axis") : NULL;
      FbPlotMetric sx, sy;

      /* The user's last choice, when the points have both metrics. */
      if (fb_plot_metric_from_nick (saved_x, &sx) && fb_plot_metric_from_nick (saved_y, &sy) &&
          sx != sy && metric_available (self, sx) && metric_available (self, sy))
        {
          x = sx;
          y = sy;
        }
      else if (has_acc)
        {
          x = has_lat ? FB_PLOT_METRIC_LATENCY : FB_PLOT_METRIC_BOPS;
          y = FB_PLOT_METRIC_ACCURACY;
        }
      else
        {
          x = FB_PLOT_METRIC_SIZE;
          y = has_lat ? FB_PLOT_METRIC_LATENCY : FB_PLOT_METRIC_BOPS;
        }
    }
  fb_pareto_plot_set_axes (self->plot, x, y);
  /* Refill the combos only when their content changes: results stream in
   * many times a second, and an open combo popup must stay open. */
  {
    guint mask = 0;
    for (guint m = 0; m < FB_PLOT_N_METRICS; m++)
      if (metric_available (self, m))
        mask |= 1u << m;
    mask |= (guint) x << 8 | (guint) y << 16 | 1u << 24;
    if (mask == self->combo_state)
      return;
    self->combo_state = mask;
  }
  self->updating_combos = TRUE;
  fill_combo (self, self->x_combo, x);
  fill_combo (self, self->y_combo, y);
  self->updating_combos = FALSE;
}

static void
on_axis_changed (GtkComboBox *combo, FbWindow *self)
{
  FbPlotMetric x, y;

  if (self->updating_combos)
    return;
  if (!fb_plot_metric_from_nick (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->x_combo)), &x) ||
      !fb_plot_metric_from_nick (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->y_combo)), &y))
    return;
  fb_pareto_plot_set_axes (self->plot, x, y);
  if (self->settings != NULL)
    {
      g_settings_set_string (self->settings, "x-axis", fb_plot_metric_to_nick (x));
      g_settings_set_string (self->settings, "y-axis", fb_plot_metric_to_nick (y));
    }
}

/* ---- loading -------------------------------------------------------------- */

void
fb_window_refresh_points (FbWindow *self, gboolean keep_axes)
{
  FbPlotView *view = fb_pareto_plot_get_view (self->plot);
  int selected = fb_plot_view_get_selected (view);
  FbPrecisionConfig *selected_config = NULL;

  if (self->points != NULL && selected >= 0 && (guint) selected < fb_point_set_get_n_points (self->points))
    selected_config = fb_point_set_get_point (self->points, selected)->config;
  /* The old set stays alive until the new one replaces it in the plot (and
   * the selection is carried over). */
  {
    FbPointSet *old = g_steal_pointer (&self->points);

    self->points = build_uniform_points (self);
    fb_pareto_plot_set_points (self->plot, self->points);
    /* Results only ever append: a selected point keeps its index (the
     * marker stays where the user clicked while a search streams in). */
    if (selected_config != NULL && (guint) selected < fb_point_set_get_n_points (self->points) &&
        fb_precision_config_equal (fb_point_set_get_point (self->points, selected)->config, selected_config))
      {
        fb_plot_view_set_selected (view, selected);
        gtk_widget_queue_draw (GTK_WIDGET (self->plot));
      }
    /* Only now: @selected_config may belong to it. */
    g_clear_pointer (&old, fb_point_set_unref);
  }
  fb_results_table_set_points (self->results_table, self->points,
                               fb_window_engine_usable (self) ? fb_window_limit_images (self, fb_window_default_limit (self))
                                                              : 0);
  fb_results_table_select (self->results_table, fb_plot_view_get_selected (view));
  fb_window_update_extra_results (self);
  fb_window_choose_axes (self, keep_axes);
}

void
fb_window_set_config (FbWindow *self, FbPrecisionConfig *config, const char *origin, JsonObject *provenance)
{
  fb_window_set_config_from (self, config, origin, provenance, NULL);
}

void
fb_window_set_config_from (FbWindow *self, FbPrecisionConfig *config, const char *origin, JsonObject *provenance,
                           const char *source)
{
  g_free (self->config_origin);
  self->config_origin = g_strdup (origin);
  g_free (self->config_source);
  self->config_source = g_strdup (source);
  self->edited = FALSE;
  g_clear_pointer (&self->config_provenance, json_object_unref);
  if (provenance != NULL)
    self->config_provenance = json_object_ref (provenance);
  fb_layer_table_set_config (self->layer_table, config);
  fb_window_request_accuracy (self);
  fb_window_update_summary (self);
  fb_window_undo_record (self);
}

/* Re-evaluates @c under the current table (keeping accuracy, method and
 * provenance); a table lacking an entry gives an unknown latency. */
FbCandidate *
fb_window_evaluate_candidate (FbWindow *self, FbCandidate *c)
{
  FbCandidate *n = NULL;

  if (self->latency != NULL)
    n = fb_candidate_new_evaluated (fb_candidate_get_config (c), self->latency, fb_candidate_get_accuracy (c),
                                    fb_candidate_get_method (c), fb_candidate_get_provenance (c), NULL);
  if (n == NULL)
    n = fb_candidate_new_evaluated (fb_candidate_get_config (c), NULL, fb_candidate_get_accuracy (c),
                                    fb_candidate_get_method (c), fb_candidate_get_provenance (c), NULL);
  return n != NULL ? n : fb_candidate_ref (c);
}

static void
reevaluate_groups (FbWindow *self)
{
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);

      if (group->table == self->latency)
        continue;
      for (guint i = 0; i < group->candidates->len; i++)
        {
          FbCandidate *old = group->candidates->pdata[i];
          group->candidates->pdata[i] = fb_window_evaluate_candidate (self, old);
          fb_candidate_unref (old);
        }
      group->table = self->latency;
    }
}

static void
update_panel_reference (FbWindow *self)
{
  g_autoptr(FbPrecisionConfig) w8a8 = NULL;
  FbMetrics m;

  if (self->network == NULL)
    return;
  w8a8 = fb_precision_config_new (self->network);
  if (self->latency == NULL || !fb_metrics_compute (w8a8, self->latency, &m, NULL, NULL))
    {
      if (!fb_metrics_compute (w8a8, NULL, &m, NULL, NULL))
        return;
    }
  fb_search_panel_set_reference (self->search_panel, &m,
                                 self->latency ? fb_latency_table_get_unit (self->latency) : FB_LATENCY_UNIT_INSTRUCTIONS);
}

static void
set_latency_table (FbWindow *self, FbLatencyTable *table)
{
  if (table != NULL)
    fb_latency_table_ref (table);
  g_clear_pointer (&self->latency, fb_latency_table_unref);
  self->latency = table;
  self->latency_error_shown = FALSE;
  fb_layer_table_set_latency_table (self->layer_table, table);
  /* The comparison evaluated every table: it only redraws. */
  if (table != NULL)
    fb_compare_panel_set_target_unit (self->compare_panel, fb_latency_table_get_unit (table));
  fb_compare_panel_set_target (self->compare_panel, table ? fb_latency_table_get_target (table) : NULL);
  /* A new target moves every latency: results are re-evaluated, the
   * baselines rebuilt; switch the axes to latency when it just became
   * available. */
  reevaluate_groups (self);
  fb_window_refresh_points (self, FALSE);
  update_panel_reference (self);
  fb_window_update_titles (self);
  fb_window_update_summary (self);
}

static void update_accuracy_kind (FbWindow *self);

/* ---- targets -------------------------------------------------------------- */

static int
find_target (FbWindow *self, const char *target)
{
  for (guint i = 0; i < self->tables->len; i++)
    if (g_strcmp0 (fb_latency_table_get_target (g_ptr_array_index (self->tables, i)), target) == 0)
      return (int) i;
  return -1;
}

/* Adds @table to the target list; a table for a target already listed
 * replaces it (the newest measurement wins). */
void
fb_window_add_target (FbWindow *self, FbLatencyTable *table)
{
  const char *target = fb_latency_table_get_target (table);
  g_autofree char *label = g_strdup_printf ("%s (%s)", target,
                                            fb_ui_latency_method_name (fb_latency_table_get_method (table)));
  int idx = find_target (self, target);
  GtkTreeIter iter;

  if (idx >= 0)
    {
      fb_latency_table_unref (self->tables->pdata[idx]);
      self->tables->pdata[idx] = fb_latency_table_ref (table);
      gtk_tree_model_iter_nth_child (GTK_TREE_MODEL (self->targets), &iter, NULL, idx);
    }
  else
    {
      g_ptr_array_add (self->tables, fb_latency_table_ref (table));
      gtk_list_store_append (self->targets, &iter);
    }
  gtk_list_store_set (self->targets, &iter, TARGET_COLUMN_ID, target, TARGET_COLUMN_LABEL, label, -1);
}

/* Makes @target current in the selectors and everywhere else. */
void
fb_window_select_target (FbWindow *self, const char *target)
{
  int idx = target ? find_target (self, target) : -1;

  self->updating_targets = TRUE;
  if (idx >= 0)
    gtk_combo_box_set_active_id (self->target_combo, target);
  else
    gtk_combo_box_set_active (self->target_combo, -1);
  self->updating_targets = FALSE;
  set_latency_table (self, idx >= 0 ? g_ptr_array_index (self->tables, idx) : NULL);
}

static void
on_target_changed (GtkComboBox *combo, FbWindow *self)
{
  const char *target = gtk_combo_box_get_active_id (combo);

  if (self->updating_targets || target == NULL)
    return;
  if (self->latency != NULL && g_strcmp0 (fb_latency_table_get_target (self->latency), target) == 0)
    return;
  fb_window_select_target (self, target);
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "last-target", target);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Every bundled table of @network: latency/<network>-<target>.json in the
 * data directories (the first directory holding a target wins). */
static void
load_bundled_tables (FbWindow *self, FbNetwork *network)
{
  const char *dirs[] = { g_getenv ("FREEBITS_DATADIR"), FB_SOURCE_DATADIR, FB_DATADIR };
  g_autofree char *prefix = g_strconcat (fb_network_get_name (network), "-", NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autofree char *dir_path = NULL;
      g_autoptr(GDir) dir = NULL;
      const char *name;

      if (dirs[d] == NULL || dirs[d][0] == '\0')
        continue;
      dir_path = g_build_filename (dirs[d], "latency", NULL);
      dir = g_dir_open (dir_path, 0, NULL);
      if (dir == NULL)
        continue;
      /* Where "Open Another Latency Table…" starts. */
      if (self->latency_folder == NULL)
        self->latency_folder = g_strdup (dir_path);
      g_ptr_array_set_size (names, 0);
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, ".json"))
          g_ptr_array_add (names, g_strdup (name));
      /* Directory order is arbitrary; the target list should not be. */
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *path = g_build_filename (dir_path, g_ptr_array_index (names, i), NULL);
          g_autoptr(GError) error = NULL;
          g_autoptr(FbLatencyTable) table = fb_latency_table_load (path, &error);

          if (table != NULL && !fb_latency_table_check_network (table, network, &error))
            {
              fb_error_prefix_file (&error, path);
              g_clear_pointer (&table, fb_latency_table_unref);
            }
          if (table == NULL)
            {
              fb_window_report_gerror (self, error);
              continue;
            }
          if (find_target (self, fb_latency_table_get_target (table)) < 0)
            fb_window_add_target (self, table);
        }
    }
}

/* ---- network -------------------------------------------------------------- */

void
fb_window_set_network (FbWindow *self, FbNetwork *network)
{
  g_autoptr(FbPrecisionConfig) w8a8 = NULL;
  g_autofree char *saved = NULL;
  const char *target = NULL;
  static const char *const no_labels[] = { NULL };
  g_autoptr(GPtrArray) uniform = g_ptr_array_new_with_free_func (g_free);

  /* Results, searches and the comparison belong to the old network. */
  fb_window_clear_results (self);
  fb_compare_panel_set_network (self->compare_panel, network);
  fb_network_ref (network);
  g_clear_pointer (&self->network, fb_network_unref);
  self->network = network;
  update_accuracy_kind (self);
  g_clear_pointer (&self->latency, fb_latency_table_unref);
  fb_layer_table_set_latency_table (self->layer_table, NULL);

  self->updating_targets = TRUE;
  gtk_list_store_clear (self->targets);
  g_ptr_array_set_size (self->tables, 0);
  self->updating_targets = FALSE;
  load_bundled_tables (self, network);

  /* The target used last, else the default one, else any. */
  saved = self->settings ? g_settings_get_string (self->settings, "last-target") : NULL;
  if (saved != NULL && find_target (self, saved) >= 0)
    target = saved;
  else if (find_target (self, DEFAULT_TARGET) >= 0)
    target = DEFAULT_TARGET;
  else if (self->tables->len > 0)
    target = fb_latency_table_get_target (g_ptr_array_index (self->tables, 0));

  for (guint w = 8; w >= 2; w /= 2)
    for (guint a = 8; a >= 2; a /= 2)
      {
        g_autoptr(FbPrecisionConfig) u = fb_precision_config_new_uniform (network, w, a, NULL);
        if (u != NULL)
          g_ptr_array_add (uniform, g_strdup_printf ("w%ua%u", w, a));
      }
  g_ptr_array_add (uniform, NULL);
  fb_search_panel_set_uniform_starts (self->search_panel,
                                      uniform->len > 1 ? (const char * const *) uniform->pdata : no_labels);

  w8a8 = fb_precision_config_new (network);
  fb_layer_table_set_config (self->layer_table, w8a8);
  fb_window_select_target (self, target);
  /* Undo steps hold configs of the old network. */
  fb_window_undo_reset (self);
  fb_window_set_config (self, w8a8, NULL, NULL);
  fb_window_update_results (self);
  /* Another network: an engine for the old one no longer applies. */
  if (self->engine != NULL && !fb_window_engine_usable (self))
    fb_window_set_engine (self, NULL);
  else
    fb_window_set_engine (self, self->engine);
  fb_window_restore_dataset (self);
  fb_window_load_engine (self);
  fb_window_update_summary (self);
}

/* What "accuracy" is for the shown network: top-1 for a classifier, the
 * explained variance (1 − MSE / variance of the targets, what the oracle
 * reports) for a network whose output is values. Axis, sidebar, table. */
static void
update_accuracy_kind (FbWindow *self)
{
  gboolean values = fb_network_get_output_kind (self->network) == FB_OUTPUT_VALUES;
  const char *axis = values ? _("Quality (1 − MSE / variance of the targets), %") : _("Top-1 accuracy, %");
  const char *name = values ? _("Quality (1 − MSE/var)") : _("Top-1 accuracy");

  fb_plot_view_set_accuracy_title (fb_pareto_plot_get_view (self->plot), axis);
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
  if (self->name_labels[FB_PLOT_METRIC_ACCURACY] != NULL)
    gtk_label_set_text (self->name_labels[FB_PLOT_METRIC_ACCURACY], name);
  fb_results_table_set_accuracy_title (self->results_table, name);
}

/* ---- signal handlers ------------------------------------------------------ */

static void
on_config_changed (FbLayerTable *table, FbWindow *self)
{
  /* The config is now the user's: it no longer is the file's. */
  g_clear_pointer (&self->config_provenance, json_object_unref);
  self->edited = TRUE;
  /* A new config to measure; a burst of edits costs one evaluation. */
  fb_window_request_accuracy (self);
  fb_window_update_summary (self);
  fb_window_undo_record (self);
}

static void
on_point_selected (FbParetoPlot *plot, int index, FbWindow *self)
{
  const FbPlotPoint *p;

  if (self->points == NULL || index < 0 || (guint) index >= fb_point_set_get_n_points (self->points))
    return;
  p = fb_point_set_get_point (self->points, index);
  fb_results_table_select (self->results_table, index);
  if (p->config == NULL)
    return;
  if (!(p->flags & FB_PLOT_POINT_BASELINE))
    {
      /* TRANSLATORS: %s is a search method ("Pareto DP", "Free Bits") or a candidates file */
      g_autofree char *source = g_strdup_printf (_("result of %s"),
                                                 fb_point_set_get_series_name (self->points, p->series));
      fb_window_set_config_from (self, p->config, p->label, fb_precision_config_get_provenance (p->config), source);
      return;
    }
  fb_window_set_config (self, p->config, p->label, fb_precision_config_get_provenance (p->config));
}

/* A row of the results table that is not in the plot: a Compare point
 * (slot 0) or an opened config file (slot 1) goes into the layer table. */
static void
on_results_config_selected (FbResultsTable *table, int slot, FbPrecisionConfig *config, const char *label,
                            FbWindow *self)
{
  if (slot == 0)
    fb_window_on_compare_config_selected (self->compare_panel, config, label, self);
  else
    fb_window_set_config (self, config, label, fb_precision_config_get_provenance (config));
  fb_pareto_plot_select (self->plot, -1);
}

/* A series hidden in the plot's legend leaves the results table too. */
static void
on_series_toggled (FbParetoPlot *plot, const char *name, gboolean hidden, FbWindow *self)
{
  fb_results_table_set_series_hidden (self->results_table, name, hidden);
}

/* A row of the results table: the plot selects the same point (and loads
 * it, as a click on it would). */
static void
on_results_point_selected (FbResultsTable *table, int index, FbWindow *self)
{
  fb_pareto_plot_select (self->plot, index);
}

/* ---- construction --------------------------------------------------------- */

static void
build_metrics_grid (FbWindow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (summary_metrics); i++)
    {
      FbPlotMetric m = summary_metrics[i];
      GtkWidget *name = gtk_label_new (fb_plot_metric_get_short_name (m));
      GtkWidget *value = gtk_label_new ("—");
      GtkWidget *note = gtk_label_new ("");

      /* name ........ value
       * note (change vs w8a8, exact bytes, where) */
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_widget_set_valign (name, GTK_ALIGN_BASELINE);
      gtk_label_set_xalign (GTK_LABEL (value), 1);
      gtk_widget_set_valign (value, GTK_ALIGN_BASELINE);
      gtk_label_set_xalign (GTK_LABEL (note), 0);
      gtk_label_set_selectable (GTK_LABEL (value), TRUE);
      gtk_widget_set_can_focus (value, FALSE);
      gtk_label_set_line_wrap (GTK_LABEL (note), TRUE);
      gtk_label_set_line_wrap_mode (GTK_LABEL (note), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_max_width_chars (GTK_LABEL (note), 30);
      gtk_style_context_add_class (gtk_widget_get_style_context (name), "fb-metric-name");
      gtk_style_context_add_class (gtk_widget_get_style_context (value), "fb-metric-value");
      gtk_style_context_add_class (gtk_widget_get_style_context (note), "fb-metric-note");
      if (i > 0)
        {
          gtk_widget_set_margin_top (name, 9);
          gtk_widget_set_margin_top (value, 9);
        }
      gtk_grid_attach (self->metrics_grid, name, 0, 2 * i, 1, 1);
      gtk_grid_attach (self->metrics_grid, value, 1, 2 * i, 1, 1);
      gtk_grid_attach (self->metrics_grid, note, 0, 2 * i + 1, 2, 1);
      gtk_widget_show (name);
      gtk_widget_show (value);
      gtk_widget_show (note);
      self->value_labels[m] = GTK_LABEL (value);
      self->note_labels[m] = GTK_LABEL (note);
      self->name_labels[m] = GTK_LABEL (name);
      if (m == FB_PLOT_METRIC_ACCURACY)
        {
          /* The default 1000 images answer in a moment; the whole test set
           * is the number to quote. */
          GtkWidget *full = gtk_check_button_new_with_mnemonic (_("Measure on _all test images"));
          gtk_actionable_set_action_name (GTK_ACTIONABLE (full), "win.full-test-set");
          gtk_widget_set_tooltip_text (full, _("Measure the accuracy of this config on the whole "
                                               "Fashion-MNIST test set (10 000 images) instead of the first 1000"));
          gtk_widget_set_halign (full, GTK_ALIGN_START);
          /* A long translation wraps instead of widening the sidebar. */
          gtk_label_set_line_wrap (GTK_LABEL (gtk_bin_get_child (GTK_BIN (full))), TRUE);
          gtk_style_context_add_class (gtk_widget_get_style_context (full), "fb-metric-note");
          self->full_test_check = full;
          gtk_grid_attach (self->metrics_grid, full, 0, 2 * i + 2, 2, 1);
          gtk_widget_show (full);
        }
    }
}

static void
build_recent_menu (FbWindow *self)
{
  GtkWidget *menu = gtk_recent_chooser_menu_new_for_manager (gtk_recent_manager_get_default ());
  GtkRecentFilter *filter = gtk_recent_filter_new ();

  /* Only what freebits opened or saved. */
  gtk_recent_filter_add_application (filter, g_get_application_name ());
  gtk_recent_chooser_add_filter (GTK_RECENT_CHOOSER (menu), filter);
  gtk_recent_chooser_set_sort_type (GTK_RECENT_CHOOSER (menu), GTK_RECENT_SORT_MRU);
  gtk_recent_chooser_set_limit (GTK_RECENT_CHOOSER (menu), 12);
  gtk_recent_chooser_set_show_not_found (GTK_RECENT_CHOOSER (menu), FALSE);
  gtk_recent_chooser_set_show_tips (GTK_RECENT_CHOOSER (menu), TRUE);
  g_signal_connect (menu, "item-activated", G_CALLBACK (fb_window_on_recent_activated), self);
  gtk_menu_button_set_popup (self->recent_button, menu);
}

static void
load_bundled (FbWindow *self)
{
  g_autofree char *path = find_data_file ("networks/" BUNDLED_NETWORK ".json");
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("The bundled network %s.json was not found in %s or %s; "
                                                "open a network file."),
                                              BUNDLED_NETWORK, FB_SOURCE_DATADIR, FB_DATADIR);
      fb_window_report_error (self, msg);
      return;
    }
  if (!fb_window_open_network (self, path, &error))
    fb_window_report_gerror (self, error);
}

static void
save_window_state (FbWindow *self)
{
  if (self->settings == NULL || self->saved_width <= 0)
    return;
  g_settings_set_int (self->settings, "window-width", self->saved_width);
  g_settings_set_int (self->settings, "window-height", self->saved_height);
  g_settings_set_boolean (self->settings, "window-maximized", self->saved_maximized);
}

static void
on_size_allocate (GtkWidget *widget, GdkRectangle *allocation, FbWindow *self)
{
  /* Remember the unmaximized size (what to restore to), as GNOME apps do. */
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    gtk_window_get_size (GTK_WINDOW (self), &self->saved_width, &self->saved_height);
}

static gboolean
on_window_state_event (GtkWidget *widget, GdkEventWindowState *event, FbWindow *self)
{
  self->saved_maximized = (event->new_window_state & GDK_WINDOW_STATE_MAXIMIZED) != 0;
  return GDK_EVENT_PROPAGATE;
}

static void
fb_window_dispose (GObject *object)
{
  FbWindow *self = FB_WINDOW (object);

  /* Closing the window stops whatever it started. */
  fb_window_toast_dispose (self);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->engine_loading != NULL)
    g_cancellable_cancel (self->engine_loading);
  g_clear_object (&self->engine_loading);
  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->engine, self);
      fb_accuracy_engine_cancel (self->engine);
      g_clear_object (&self->engine);
    }
  fb_window_stop_job (self);
  save_window_state (self);
  self->saved_width = 0;
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->onnx_import, fb_onnx_import_free);
  g_clear_pointer (&self->onnx_path, g_free);
  g_clear_pointer (&self->dataset_path, g_free);
  g_clear_pointer (&self->dataset_summary, g_free);
  g_clear_pointer (&self->free_bits_changes, g_ptr_array_unref);
  g_clear_pointer (&self->free_bits_result, fb_precision_config_free);
  G_OBJECT_CLASS (fb_window_parent_class)->dispose (object);
}

static void
fb_window_finalize (GObject *object)
{
  FbWindow *self = FB_WINDOW (object);

  g_clear_pointer (&self->network, fb_network_unref);
  g_clear_pointer (&self->latency, fb_latency_table_unref);
  g_clear_pointer (&self->points, fb_point_set_unref);
  g_clear_pointer (&self->config_provenance, json_object_unref);
  g_clear_pointer (&self->groups, g_ptr_array_unref);
  g_clear_pointer (&self->opened_configs, g_ptr_array_unref);
  g_clear_pointer (&self->opened_names, g_ptr_array_unref);
  g_clear_pointer (&self->tables, g_ptr_array_unref);
  g_free (self->engine_problem);
  g_free (self->info_folder);
  g_clear_object (&self->targets);
  g_free (self->config_origin);
  g_free (self->config_source);
  g_free (self->latency_folder);
  fb_window_undo_finalize (self);
  G_OBJECT_CLASS (fb_window_parent_class)->finalize (object);
}

static gboolean
fb_window_delete_event (GtkWidget *widget, GdkEventAny *event)
{
  FbWindow *self = FB_WINDOW (widget);

  g_cancellable_cancel (self->cancellable);
  return GTK_WIDGET_CLASS (fb_window_parent_class)->delete_event
    ? GTK_WIDGET_CLASS (fb_window_parent_class)->delete_event (widget, event)
    : GDK_EVENT_PROPAGATE;
}

static void
fb_window_class_init (FbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fb_window_dispose;
  object_class->finalize = fb_window_finalize;
  widget_class->delete_event = fb_window_delete_event;

  /* Referencing the resource links its object file in from the static
   * library, and with it the constructor that registers it. */
  (void) fb_ui_get_resource ();
  g_type_ensure (FB_TYPE_PARETO_PLOT);
  g_type_ensure (FB_TYPE_LAYER_TABLE);
  g_type_ensure (FB_TYPE_RESULTS_TABLE);
  g_type_ensure (FB_TYPE_SEARCH_PANEL);
  g_type_ensure (FB_TYPE_COMPARE_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/freebits/Explorer/fb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FbWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, recent_button);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, info_bar);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, info_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, x_combo);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, y_combo);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, log_x_toggle);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, log_y_toggle);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, plot);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, config_title_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, config_subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, metrics_grid);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, network_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, precision_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, target_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, layer_table);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, results_table);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, bottom_notebook);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, changes_expander);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, changes_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, search_revealer);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, search_panel);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, target_combo);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, compare_panel);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, overlay);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, sidebar);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_compare_run",
                                                G_CALLBACK (fb_window_on_compare_run));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_compare_config_selected",
                                                G_CALLBACK (fb_window_on_compare_config_selected));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_compare_failed",
                                                G_CALLBACK (fb_window_on_compare_failed));
  gtk_widget_class_bind_template_callback_full (widget_class, "fb_window_update_extra_results",
                                                G_CALLBACK (fb_window_update_extra_results));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_search_run",
                                                G_CALLBACK (fb_window_on_search_run));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_search_cancel",
                                                G_CALLBACK (fb_window_on_search_cancel));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_info_bar_response",
                                                G_CALLBACK (fb_window_on_info_bar_response));
  gtk_widget_class_bind_template_callback (widget_class, on_point_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_results_point_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_series_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_results_config_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_config_changed);
}

/* The method combo's id as the "search-method" key. A method the installed
 * schema does not list (an older schema) is simply not remembered. */
static GSettingsSchemaKey *
method_key (GSettings *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  return g_settings_schema_get_key (schema, "search-method");
}

static gboolean
method_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_string (value, g_variant_get_string (variant, NULL));
  return TRUE;
}

static GVariant *
method_set_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  const char *id = g_value_get_string (value);
  g_autoptr(GVariant) variant = NULL;

  if (id == NULL)
    return NULL;
  variant = g_variant_ref_sink (g_variant_new_string (id));
  if (!g_settings_schema_key_range_check (user_data, variant))
    return NULL;
  return g_steal_pointer (&variant);
}

/* After construction, when the application is known ("application" is not
 * a construct property of GtkWindow): settings, then the bundled network. */
static void
fb_window_start (FbWindow *self, FbApplication *app)
{
  if (FB_IS_APPLICATION (app) && fb_application_get_settings (FB_APPLICATION (app)) != NULL)
    {
      self->settings = g_object_ref (fb_application_get_settings (FB_APPLICATION (app)));
      gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      g_settings_bind (self->settings, "log-x", self->log_x_toggle, "active", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "log-y", self->log_y_toggle, "active", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "show-search", self->search_revealer, "reveal-child", G_SETTINGS_BIND_DEFAULT);
      /* Layers or Results under the plot, as last shown (an older schema
       * without the key: not remembered). */
      {
        g_autoptr(GSettingsSchema) schema = NULL;

        g_object_get (self->settings, "settings-schema", &schema, NULL);
        if (g_settings_schema_has_key (schema, "bottom-page"))
          g_settings_bind (self->settings, "bottom-page", self->bottom_notebook, "page", G_SETTINGS_BIND_DEFAULT);
      }
      g_settings_bind_with_mapping (self->settings, "search-method",
                                    fb_search_panel_get_method_combo (self->search_panel), "active-id",
                                    G_SETTINGS_BIND_DEFAULT, method_get_mapping, method_set_mapping,
                                    method_key (self->settings),
                                    (GDestroyNotify) g_settings_schema_key_unref);
    }
  g_signal_connect (self, "size-allocate", G_CALLBACK (on_size_allocate), self);
  g_signal_connect (self, "window-state-event", G_CALLBACK (on_window_state_event), self);

  load_bundled (self);
  /* Start on the plot, not on a table row (which would show as selected). */
  gtk_widget_grab_focus (GTK_WIDGET (self->plot));
}

static void
fb_window_init (FbWindow *self)
{
  GtkCellRenderer *cell;
  g_autoptr(GPropertyAction) show_search = NULL;
  g_autoptr(GPropertyAction) show_sidebar = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  fb_window_undo_init (self);
  self->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) result_group_free);
  self->opened_configs = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  self->opened_names = g_ptr_array_new_with_free_func (g_free);
  self->tables = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_latency_table_unref);
  self->targets = gtk_list_store_new (2, G_TYPE_STRING, G_TYPE_STRING);
  fb_window_actions_init (self);
  fb_window_cluster_init (self);
  show_search = g_property_action_new ("show-search", self->search_revealer, "reveal-child");
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (show_search));
  /* The sidebar folds away too (Shift+F9), leaving the plot the whole width. */
  show_sidebar = g_property_action_new ("show-sidebar", self->sidebar, "visible");
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (show_sidebar));

  /* One list of targets, two selectors (sidebar and search panel). */
  gtk_combo_box_set_model (self->target_combo, GTK_TREE_MODEL (self->targets));
  gtk_combo_box_set_id_column (self->target_combo, TARGET_COLUMN_ID);
  cell = gtk_cell_renderer_text_new ();
  g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
  gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (self->target_combo), cell, TRUE);
  gtk_cell_layout_add_attribute (GTK_CELL_LAYOUT (self->target_combo), cell, "text", TARGET_COLUMN_LABEL);
  fb_search_panel_set_target_model (self->search_panel, GTK_TREE_MODEL (self->targets));
  g_object_bind_property (self->target_combo, "active-id",
                          fb_search_panel_get_target_combo (self->search_panel), "active-id",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect (self->target_combo, "changed", G_CALLBACK (on_target_changed), self);

  build_metrics_grid (self);
  build_recent_menu (self);
  fb_window_toast_init (self);
  self->open_folder_button = gtk_info_bar_add_button (self->info_bar, _("Open _Folder"), RESPONSE_OPEN_FOLDER);
  gtk_widget_hide (self->open_folder_button);
  self->save_converted_button = gtk_info_bar_add_button (self->info_bar, _("_Save Converted Network"),
                                                         RESPONSE_SAVE_CONVERTED);
  gtk_widget_hide (self->save_converted_button);

  g_object_bind_property (self->log_x_toggle, "active", self->plot, "log-x",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->log_y_toggle, "active", self->plot, "log-y",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  fb_ui_combo_ellipsize (GTK_COMBO_BOX (self->x_combo));
  fb_ui_combo_ellipsize (GTK_COMBO_BOX (self->y_combo));
  g_signal_connect (self->x_combo, "changed", G_CALLBACK (on_axis_changed), self);
  g_signal_connect (self->y_combo, "changed", G_CALLBACK (on_axis_changed), self);

  /* Drop network, config and latency files anywhere on the window. */
  gtk_drag_dest_set (GTK_WIDGET (self), GTK_DEST_DEFAULT_ALL, NULL, 0, GDK_ACTION_COPY);
  gtk_drag_dest_add_uri_targets (GTK_WIDGET (self));
  g_signal_connect (self, "drag-data-received", G_CALLBACK (fb_window_on_drag_data_received), self);
}

FbWindow *
fb_window_new (FbApplication *application)
{
  FbWindow *self = g_object_new (FB_TYPE_WINDOW, "application", application, NULL);

  fb_window_start (self, application);
  return self;
}

GCancellable *
fb_window_get_cancellable (FbWindow *self)
{
  g_return_val_if_fail (FB_IS_WINDOW (self), NULL);
  return self->cancellable;
}

/* ---- private accessors ---------------------------------------------------- */

FbNetwork *
fb_window_get_network (FbWindow *self)
{
  return self->network;
}

FbLatencyTable *
fb_window_get_latency_table (FbWindow *self)
{
  return self->latency;
}

FbParetoPlot *
fb_window_get_plot (FbWindow *self)
{
  return self->plot;
}

FbResultsTable *
fb_window_get_results_table (FbWindow *self)
{
  g_return_val_if_fail (FB_IS_WINDOW (self), NULL);
  return self->results_table;
}

void
fb_window_show_results_page (FbWindow *self, gboolean results)
{
  g_return_if_fail (FB_IS_WINDOW (self));
  gtk_notebook_set_current_page (self->bottom_notebook, results ? 1 : 0);
}

FbLayerTable *
fb_window_get_layer_table (FbWindow *self)
{
  return self->layer_table;
}

GtkLabel *
fb_window_get_summary_label (FbWindow *self, FbPlotMetric metric)
{
  g_return_val_if_fail (metric < FB_PLOT_N_METRICS, NULL);
  return self->value_labels[metric];
}

GtkLabel *
fb_window_get_config_label (FbWindow *self)
{
  return self->config_title_label;
}

GtkInfoBar *
fb_window_get_info_bar (FbWindow *self)
{
  return self->info_bar;
}

FbSearchPanel *
fb_window_get_search_panel (FbWindow *self)
{
  return self->search_panel;
}

FbSearchJob *
fb_window_get_search_job (FbWindow *self)
{
  return self->job;
}

FbComparePanel *
fb_window_get_compare_panel (FbWindow *self)
{
  return self->compare_panel;
}

GtkComboBox *
fb_window_get_target_combo (FbWindow *self)
{
  return self->target_combo;
}

guint
fb_window_get_n_results (FbWindow *self)
{
  return fb_window_count_results (self);
}

const char *
fb_window_get_info_message (FbWindow *self)
{
  if (!gtk_info_bar_get_revealed (self->info_bar))
    return NULL;
  return gtk_label_get_text (self->info_label);
}
