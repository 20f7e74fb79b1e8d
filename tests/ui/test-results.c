/* test-results.c — the results table, the plot's legend and axes, and the
 * progress text, in-process under Xvfb.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "fb-ui-test-util.h"
#include "fb-accuracy-oracle.h"
#include "fb-free-bits-change.h"
#include "fb-json.h"
#include "fb-compare-panel.h"
#include "fb-plot-view.h"
#include "fb-precision-config.h"
#include "fb-results-table.h"
#include "fb-search-method.h"
#include "fb-window-private.h"

static FbApplication *app;

typedef FbUiTestFixture Fixture;

/* A Pareto search, then the results table's page shown. */
static void
pareto_on_results_page (Fixture *f)
{
  fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_PARETO, "table");
  fb_window_show_results_page (f->window, TRUE);
  fb_ui_test_spin ();
}

/* After a Pareto search the table has one row per plotted point, each
 * point once, and a row names the point's method. */
static void
test_rows_match_points (Fixture *f, gconstpointer data)
{
  FbResultsTable *table;
  FbPointSet *points;
  guint n;
  g_autofree gboolean *seen = NULL;

  if (f->window == NULL)
    return;
  pareto_on_results_page (f);
  table = fb_window_get_results_table (f->window);
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  n = fb_point_set_get_n_points (points);
  g_assert_cmpuint (n, >, 9);
  g_assert_cmpuint (fb_results_table_get_n_rows (table), ==, n);
  seen = g_new0 (gboolean, n);
  for (guint r = 0; r < n; r++)
    {
      int index = fb_results_table_get_row_index (table, r);
      g_assert_cmpint (index, >=, 0);
      g_assert_cmpint (index, <, (int) n);
      g_assert_false (seen[index]);
      seen[index] = TRUE;
    }

  /* The filter: the method's name leaves exactly its series. */
  {
    const char *method = fb_search_method_get_name (FB_SEARCH_METHOD_PARETO);
    int series = fb_ui_test_find_series (points, method);

    g_assert_cmpint (series, >=, 0);
    fb_results_table_set_filter (table, method);
    g_assert_cmpuint (fb_results_table_get_n_rows (table), ==, fb_point_set_get_series_size (points, series));
    for (guint r = 0; r < fb_results_table_get_n_rows (table); r++)
      g_assert_cmpuint (fb_point_set_get_point (points, fb_results_table_get_row_index (table, r))->series, ==,
                        (guint) series);
    fb_results_table_set_filter (table, "");
    g_assert_cmpuint (fb_results_table_get_n_rows (table), ==, n);
  }
}

/* Sorting by a column orders the rows by that metric, unknown values last. */
static void
test_sorting (Fixture *f, gconstpointer data)
{
  static const struct { FbResultsTableColumn column; FbPlotMetric metric; } cols[] = {
    { FB_RESULTS_TABLE_COLUMN_LATENCY, FB_PLOT_METRIC_LATENCY },
    { FB_RESULTS_TABLE_COLUMN_SIZE, FB_PLOT_METRIC_SIZE },
    { FB_RESULTS_TABLE_COLUMN_BOPS, FB_PLOT_METRIC_BOPS },
  };
  FbResultsTable *table;
  FbPointSet *points;

  if (f->window == NULL)
    return;
  pareto_on_results_page (f);
  table = fb_window_get_results_table (f->window);
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  for (guint c = 0; c < G_N_ELEMENTS (cols); c++)
    for (int order = 0; order < 2; order++)
      {
        double last = order == 0 ? -INFINITY : INFINITY;
        guint n = fb_results_table_get_n_rows (table);
        guint changes = 0;

        fb_results_table_sort (table, cols[c].column, order == 0 ? GTK_SORT_ASCENDING : GTK_SORT_DESCENDING);
        for (guint r = 0; r < n; r++)
          {
            double v = fb_point_set_get_point (points, fb_results_table_get_row_index (table, r))->values[cols[c].metric];

            g_assert_false (isnan (v));
            if (order == 0)
              g_assert_cmpfloat (v, >=, last);
            else
              g_assert_cmpfloat (v, <=, last);
            changes += v != last;
            last = v;
          }
        /* Not a constant column: the order says something. */
        g_assert_cmpuint (changes, >, 2);
      }
}

/* A point selected on the plot selects its row; a row selected in the
 * table selects the point on the plot and loads its config. */
static void
test_selection_linked (Fixture *f, gconstpointer data)
{
  FbResultsTable *table;
  FbParetoPlot *plot;
  FbPointSet *points;
  GtkTreeView *view;
  GtkTreeModel *model;
  GtkTreeIter iter;
  int picked = -1, row_point = -1;

  if (f->window == NULL)
    return;
  pareto_on_results_page (f);
  table = fb_window_get_results_table (f->window);
  plot = fb_window_get_plot (f->window);
  points = fb_pareto_plot_get_points (plot);

  /* Plot → table. */
  picked = (int) fb_point_set_get_n_points (points) - 1;
  fb_pareto_plot_select (plot, picked);
  fb_ui_test_spin ();
  g_assert_cmpint (fb_results_table_get_selected (table), ==, picked);
  view = fb_results_table_get_view (table);
  g_assert_true (gtk_tree_selection_get_selected (gtk_tree_view_get_selection (view), &model, &iter));
  gtk_tree_model_get (model, &iter, FB_RESULTS_TABLE_COLUMN_INDEX, &row_point, -1);
  g_assert_cmpint (row_point, ==, picked);

  /* Table → plot, as a click on the third row would. */
  fb_results_table_sort (table, FB_RESULTS_TABLE_COLUMN_LATENCY, GTK_SORT_DESCENDING);
  g_assert_true (gtk_tree_model_iter_nth_child (gtk_tree_view_get_model (view), &iter, NULL, 2));
  gtk_tree_model_get (gtk_tree_view_get_model (view), &iter, FB_RESULTS_TABLE_COLUMN_INDEX, &row_point, -1);
  g_assert_cmpint (row_point, !=, picked);
  gtk_tree_selection_select_iter (gtk_tree_view_get_selection (view), &iter);
  fb_ui_test_spin ();
  g_assert_cmpint (fb_pareto_plot_get_selected (plot), ==, row_point);
  g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (fb_window_get_layer_table (f->window)),
                                            fb_point_set_get_point (points, row_point)->config));

  /* Copy as Config: a config document of that point that loads again. */
  {
    g_autofree char *text = fb_results_table_config_text (table, row_point);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(FbPrecisionConfig) back = NULL;

    g_assert_nonnull (text);
    root = fb_json_load_data (text, -1, "clipboard", &error);
    g_assert_no_error (error);
    back = fb_precision_config_new_from_json (fb_window_get_network (f->window), root, "clipboard", &error);
    g_assert_no_error (error);
    g_assert_true (fb_precision_config_equal (back, fb_point_set_get_point (points, row_point)->config));
  }
}

/* The legend: a series' entry is where the render put it; hiding the
 * series takes its points off the plot (not picked, not on the front) and
 * its rows out of the table; showing it brings both back. */
static void
test_legend_hides_series (Fixture *f, gconstpointer data)
{
  const char *method = fb_search_method_get_name (FB_SEARCH_METHOD_PARETO);
  FbParetoPlot *plot;
  FbPlotView *view;
  FbPointSet *points;
  FbResultsTable *table;
  int series, hit = -1;
  guint n, n_front;
  const guint *front;
  cairo_surface_t *surface;
  cairo_t *cr;

  if (f->window == NULL)
    return;
  pareto_on_results_page (f);
  plot = fb_window_get_plot (f->window);
  view = fb_pareto_plot_get_view (plot);
  points = fb_pareto_plot_get_points (plot);
  table = fb_window_get_results_table (f->window);
  series = fb_ui_test_find_series (points, method);
  g_assert_cmpint (series, >=, 0);
  n = fb_point_set_get_n_points (points);

  /* Render off screen (the legend's positions come from a render), then
   * find the series' entry along the strip above the frame. */
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 900, 500);
  cr = cairo_create (surface);
  fb_plot_view_render (view, cr, 900, 500);
  for (int y = 0; y < 80 && hit != series; y++)
    for (int x = 0; x < 900 && hit != series; x++)
      if (fb_plot_view_legend_pick (view, x, y) == series)
        hit = series;
  g_assert_cmpint (hit, ==, series);

  fb_pareto_plot_set_series_hidden (plot, method, TRUE);
  fb_ui_test_spin ();
  g_assert_true (fb_plot_view_get_series_hidden (view, method));
  fb_plot_view_render (view, cr, 900, 500);
  front = fb_plot_view_get_front (view, &n_front);
  for (guint i = 0; i < n_front; i++)
    g_assert_cmpuint (fb_point_set_get_point (points, front[i])->series, !=, (guint) series);
  for (guint i = 0; i < n; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      double px, py;

      if (p->series != (guint) series || !fb_plot_view_to_pixel (view, p->values, &px, &py))
        continue;
      g_assert_cmpint (fb_plot_view_pick (view, px, py, 0.5), !=, (int) i);
    }
  g_assert_cmpuint (fb_results_table_get_n_rows (table), ==, n - fb_point_set_get_series_size (points, series));

  fb_pareto_plot_set_series_hidden (plot, method, FALSE);
  fb_ui_test_spin ();
  g_assert_cmpuint (fb_results_table_get_n_rows (table), ==, n);
  fb_plot_view_render (view, cr, 900, 500);
  front = fb_plot_view_get_front (view, &n_front);
  {
    gboolean found = FALSE;
    for (guint i = 0; i < n_front; i++)
      found |= fb_point_set_get_point (points, front[i])->series == (guint) series;
    /* The exact latency-Flash front is on the plot's Flash-latency front. */
    g_assert_true (found);
  }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

static gboolean
baselines_measured (FbPointSet *points)
{
  guint n = 0;

  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      if (!(p->flags & FB_PLOT_POINT_BASELINE))
        continue;
      if (isnan (p->values[FB_PLOT_METRIC_ACCURACY]))
        return FALSE;
      n++;
    }
  return n > 0;
}

static void
wait_baselines (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (!baselines_measured (fb_pareto_plot_get_points (fb_window_get_plot (f->window))))
    {
      while (gtk_events_pending ())
        gtk_main_iteration_do (FALSE);
      if (g_get_monotonic_time () > deadline)
        g_error ("the baselines were not measured");
      g_usleep (1000);
    }
  fb_ui_test_spin ();
}

/* The axes change only when the user changes them: with an accuracy engine
 * the accuracy axis is there before the first measurement, and arriving
 * measurements change neither it nor axes the user chose. */
static void
test_axes_stable (Fixture *f, gconstpointer data)
{
  FbParetoPlot *plot;
  FbAccuracyOracle *oracle;
  FbPlotMetric x;

  if (f->window == NULL)
    return;
  plot = fb_window_get_plot (f->window);
  oracle = fb_ui_test_oracle_new (fb_window_get_network (f->window), 0);
  fb_window_set_accuracy_oracle (f->window, oracle);
  /* Nothing measured yet (no main-loop turn), and accuracy is the y axis. */
  g_assert_false (fb_point_set_has_metric (fb_pareto_plot_get_points (plot), FB_PLOT_METRIC_ACCURACY));
  g_assert_cmpint (fb_pareto_plot_get_y_metric (plot), ==, FB_PLOT_METRIC_ACCURACY);
  x = fb_pareto_plot_get_x_metric (plot);
  wait_baselines (f);
  g_assert_cmpint (fb_pareto_plot_get_y_metric (plot), ==, FB_PLOT_METRIC_ACCURACY);
  g_assert_cmpint (fb_pareto_plot_get_x_metric (plot), ==, x);

  /* The user's axes stay while new measurements arrive (another network:
   * everything is measured again). */
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (f->window->y_combo), "bops");
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (f->window->x_combo), "size");
  fb_ui_test_spin ();
  g_assert_cmpint (fb_pareto_plot_get_x_metric (plot), ==, FB_PLOT_METRIC_SIZE);
  g_assert_cmpint (fb_pareto_plot_get_y_metric (plot), ==, FB_PLOT_METRIC_BOPS);
  fb_window_set_accuracy_oracle (f->window, NULL);
  fb_window_set_accuracy_oracle (f->window, oracle);
  wait_baselines (f);
  g_assert_cmpint (fb_pareto_plot_get_x_metric (plot), ==, FB_PLOT_METRIC_SIZE);
  g_assert_cmpint (fb_pareto_plot_get_y_metric (plot), ==, FB_PLOT_METRIC_BOPS);
  fb_accuracy_oracle_unref (oracle);
}

typedef struct {
  FbSearchJob *job;
  guint        result;
} MeasuringResult;

/* The bar says result @result is being measured; until then, while the
 * search runs, it says "Searching · ". */
static gboolean
measuring_result (gpointer data)
{
  MeasuringResult *m = data;
  g_autofree char *text = fb_search_panel_progress_text (m->job);
  guint i, n;

  if (g_strcmp0 (fb_job_get_stage_name (FB_JOB (m->job)), "searching") == 0)
    g_assert_true (g_str_has_prefix (text, "Searching · "));
  return g_strcmp0 (fb_job_get_stage_name (FB_JOB (m->job)), "measuring accuracy") == 0 &&
         sscanf (text, "Measuring accuracy %u/%u", &i, &n) == 2 && n == 9 && i == m->result;
}

/* A search measured after it ran has two stages, each with its own bar:
 * while its results are measured the bar says "Measuring accuracy i/n" and
 * its fraction is that stage's (not 100 % of the search). The stand-in
 * oracle holds each result's measurement until the test has seen it. */
static void
test_stage_progress (Fixture *f, gconstpointer data)
{
  g_autoptr(FbUiTestGate) gate = fb_ui_test_gate_new (FB_UI_TEST_GATE_BATCHES);
  FbSearchPanel *panel;
  FbSearchJob *job;

  if (f->window == NULL)
    return;
  fb_ui_test_set_gated_oracle (f->window, gate);
  panel = fb_window_get_search_panel (f->window);
  fb_search_panel_set_method (panel, FB_SEARCH_METHOD_UNIFORM);
  gtk_button_clicked (GTK_BUTTON (fb_search_panel_get_run_button (panel)));
  job = fb_window_get_search_job (f->window);
  g_assert_nonnull (job);
  for (guint i = 1; i <= 9; i++)
    {
      MeasuringResult m = { job, i };

      fb_ui_test_wait_until (measuring_result, &m, FB_UI_TEST_HANG_SECONDS, "the bar to show the result measured");
      /* The stage's own fraction: results measured before this one. */
      g_assert_cmpfloat_with_epsilon (fb_search_job_get_fraction (job), (i - 1) / 9.0, 1e-9);
      g_assert_true (fb_search_job_is_running (job));
      fb_ui_test_gate_release (gate, 1);
    }
  fb_ui_test_wait_for_search (job, FB_UI_TEST_HANG_SECONDS);
  g_assert_null (fb_search_job_get_error (job));
  g_assert_cmpuint (fb_ui_test_gate_get_passed (gate), ==, 9);
  fb_ui_test_gate_open (gate);
}

/* A Free Bits result in the table shows its change log in the sidebar: one
 * line per change, naming the entry, its bits and the latency with grouped
 * digits; another config hides it. */
static void
test_free_bits_log (Fixture *f, gconstpointer data)
{
  FbSearchJob *job;
  FbParetoPlot *plot;
  FbPointSet *points;
  GPtrArray *changes;
  int series;
  const char *text;
  g_auto(GStrv) lines = NULL;

  if (f->window == NULL)
    return;
  job = fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_FREE_BITS, "w2a2");
  changes = fb_search_job_get_changes (job);
  g_assert_nonnull (changes);
  g_assert_cmpuint (changes->len, >=, 1);
  plot = fb_window_get_plot (f->window);
  points = fb_pareto_plot_get_points (plot);
  series = fb_ui_test_find_series (points, fb_search_method_get_name (FB_SEARCH_METHOD_FREE_BITS));
  g_assert_cmpint (series, >=, 0);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    if (fb_point_set_get_point (points, i)->series == (guint) series)
      fb_pareto_plot_select (plot, (int) i);
  fb_ui_test_spin ();
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->changes_expander)));
  text = gtk_label_get_text (f->window->changes_label);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, changes->len);
  for (guint i = 0; i < changes->len; i++)
    {
      const FbFreeBitsChange *c = g_ptr_array_index (changes, i);
      const char *name = c->is_weight ? fb_network_get_layer (fb_window_get_network (f->window), c->index)->name
                                      : fb_network_get_tensor (fb_window_get_network (f->window), c->index)->name;
      g_autofree char *bits = g_strdup_printf ("%u → %u bit", c->old_bits, c->new_bits);

      g_assert_true (g_str_has_prefix (lines[i], name));
      g_assert_nonnull (strstr (lines[i], bits));
      /* Latencies of 1000 and more are written with grouped digits. */
      if (c->latency_before >= 1000)
        g_assert_nonnull (strstr (lines[i], "\u202f"));
    }
  /* A baseline has no change log. */
  fb_pareto_plot_select (plot, 0);
  fb_ui_test_spin ();
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window->changes_expander)));
}

/* Each kind of file chooser starts where that kind was last used. */
static void
test_last_folders (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = NULL, *file = NULL, *back = NULL, *other = NULL;

  if (f->window == NULL)
    return;
  dir = g_dir_make_tmp ("fb-folders-XXXXXX", NULL);
  file = g_build_filename (dir, "w4a4.json", NULL);
  g_assert_null (fb_window_get_last_folder (f->window, "config"));
  fb_window_remember_folder (f->window, "config", file);
  back = fb_window_get_last_folder (f->window, "config");
  g_assert_cmpstr (back, ==, dir);
  /* Kinds are apart; a folder is remembered as itself. */
  g_assert_null (fb_window_get_last_folder (f->window, "latency"));
  fb_window_remember_folder (f->window, "dataset", dir);
  other = fb_window_get_last_folder (f->window, "dataset");
  g_assert_cmpstr (other, ==, dir);
  /* A folder that is gone is not offered. */
  g_rmdir (dir);
  g_assert_null (fb_window_get_last_folder (f->window, "config"));
}

static gboolean
find_row_of_method (FbResultsTable *table, const char *method, GtkTreeIter *out)
{
  GtkTreeModel *model = gtk_tree_view_get_model (fb_results_table_get_view (table));
  gboolean ok;

  for (ok = gtk_tree_model_get_iter_first (model, out); ok; ok = gtk_tree_model_iter_next (model, out))
    {
      g_autofree char *m = NULL;
      gtk_tree_model_get (model, out, FB_RESULTS_TABLE_COLUMN_METHOD, &m, -1);
      if (g_strcmp0 (m, method) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Results that are not in the plot are rows too: an opened config file and
 * the Compare page's configs; selecting one loads it into the layer table. */
static void
test_extra_rows (Fixture *f, gconstpointer data)
{
  FbResultsTable *table;
  FbComparePanel *panel;
  FbCompareJob *job;
  g_autofree char *path = g_build_filename (g_getenv ("FB_SOURCE_ROOT"), "tests", "ui", "data", "fmnist-mixed.json",
                                            NULL);
  g_autoptr(FbPrecisionConfig) mixed = NULL;
  g_autoptr(GError) error = NULL;
  GtkTreeIter iter;
  guint n_points, n_compare;
  gint64 deadline;

  if (f->window == NULL)
    return;
  fb_window_show_results_page (f->window, TRUE);
  fb_ui_test_spin ();
  table = fb_window_get_results_table (f->window);
  n_points = fb_point_set_get_n_points (fb_pareto_plot_get_points (fb_window_get_plot (f->window)));
  g_assert_cmpuint (fb_results_table_get_n_rows (table), ==, n_points);
  {
    g_autoptr(GFile) file = g_file_new_for_path (path);
    fb_window_open_file (f->window, file);
  }
  fb_ui_test_spin ();
  mixed = fb_precision_config_load (fb_window_get_network (f->window), path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fb_results_table_get_n_rows (table), ==, n_points + 1);
  /* A baseline in the table, then the opened file's row brings it back. */
  fb_pareto_plot_select (fb_window_get_plot (f->window), 0);
  fb_ui_test_spin ();
  g_assert_false (fb_precision_config_equal (fb_layer_table_get_config (fb_window_get_layer_table (f->window)), mixed));
  g_assert_true (find_row_of_method (table, "Opened · config file", &iter));
  gtk_tree_selection_select_iter (gtk_tree_view_get_selection (fb_results_table_get_view (table)), &iter);
  fb_ui_test_spin ();
  g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (fb_window_get_layer_table (f->window)), mixed));

  /* A comparison adds one row per config it compared. */
  panel = fb_window_get_compare_panel (f->window);
  fb_compare_panel_set_samples (panel, 10);
  gtk_button_clicked (GTK_BUTTON (fb_compare_panel_get_run_button (panel)));
  job = fb_compare_panel_get_job (panel);
  deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (fb_compare_job_is_running (job) && g_get_monotonic_time () < deadline)
    fb_ui_test_spin ();
  g_assert_false (fb_compare_job_is_running (job));
  g_assert_null (fb_compare_job_get_error (job));
  fb_ui_test_spin ();
  n_compare = (guint) json_object_get_int_member (json_node_get_object (fb_compare_job_get_result (job)), "n_configs");
  g_assert_cmpuint (fb_results_table_get_n_rows (table), ==, n_points + 1 + n_compare);
  g_assert_true (find_row_of_method (table, "Compare · Random", &iter));
}

/* The accuracy axis says what is measured: top-1 for a classifier, the
 * quality (1 − MSE / variance) for a network whose output is values (the
 * autoencoder test model, opened as a .onnx). */
static void
test_accuracy_title (Fixture *f, gconstpointer data)
{
  FbPlotView *view;
  g_autofree char *onnx = g_build_filename (g_getenv ("FB_SOURCE_ROOT"), "tests", "data", "onnx", "autoencoder.onnx",
                                            NULL);

  if (f->window == NULL)
    return;
  view = fb_pareto_plot_get_view (fb_window_get_plot (f->window));
  g_assert_cmpint (fb_network_get_output_kind (fb_window_get_network (f->window)), ==, FB_OUTPUT_CLASSES);
  g_assert_cmpstr (fb_plot_view_get_accuracy_title (view), ==, "Top-1 accuracy, %");
  g_assert_cmpstr (gtk_label_get_text (f->window->name_labels[FB_PLOT_METRIC_ACCURACY]), ==, "Top-1 accuracy");
  {
    g_autoptr(GFile) file = g_file_new_for_path (onnx);
    fb_window_open_file (f->window, file);
  }
  fb_ui_test_spin ();
  g_assert_cmpint (fb_network_get_output_kind (fb_window_get_network (f->window)), ==, FB_OUTPUT_VALUES);
  g_assert_nonnull (strstr (fb_plot_view_get_accuracy_title (view), "MSE"));
  g_assert_nonnull (strstr (gtk_label_get_text (f->window->name_labels[FB_PLOT_METRIC_ACCURACY]), "MSE"));
}

int
main (int argc, char **argv)
{
  app = fb_ui_test_init (&argc, &argv);
#define ADD(path, fn) \
  g_test_add ("/ui/results/" path, Fixture, NULL, fb_ui_test_fixture_setup, fn, fb_ui_test_fixture_teardown)
  ADD ("rows-match-points", test_rows_match_points);
  ADD ("sorting", test_sorting);
  ADD ("selection-linked", test_selection_linked);
  ADD ("legend-hides-series", test_legend_hides_series);
  ADD ("axes-stable", test_axes_stable);
  ADD ("stage-progress", test_stage_progress);
  ADD ("free-bits-log", test_free_bits_log);
  ADD ("last-folders", test_last_folders);
  ADD ("extra-rows", test_extra_rows);
  ADD ("accuracy-title", test_accuracy_title);
#undef ADD
  return g_test_run ();
}
