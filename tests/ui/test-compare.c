/* test-compare.c — the Compare page in-process (under Xvfb): the comparison job
 * on the bundled network, the plot's model against the JSON, the Spearman ρ
 * shown against fb_spearman recomputed from the plot's points, the key table
 * recomputed from the points, target switching without recomputing,
 * cancelling, closing, measured accuracy through an oracle, and the main
 * loop while it all runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "fb-ui-test-util.h"
#include "fb-accuracy-oracle.h"
#include "fb-application.h"
#include "fb-compare.h"
#include "fb-compare-panel.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"
#include "fb-precision-config.h"
#include "fb-ui-format.h"
#include "fb-window-private.h"

/* Small enough to run in a moment, large enough for a meaningful ρ. */
#define TEST_SAMPLES 30
/* Images per evaluation in the test with the real accuracy engine. */
#define TEST_ACCURACY_LIMIT 200

static FbApplication *app;

typedef FbUiTestFixture Fixture;

static FbComparePanel *
panel_of (Fixture *f)
{
  return fb_window_get_compare_panel (f->window);
}

static gboolean
job_done (gpointer data)
{
  FbCompareJob *job = data;
  return !fb_compare_job_is_running (job);
}

/* Clicks Compare with @samples random configs and waits for the result. */
static FbCompareJob *
run_compare (Fixture *f, guint samples, int seconds)
{
  FbComparePanel *panel = panel_of (f);
  FbCompareJob *job;

  fb_compare_panel_set_samples (panel, samples);
  gtk_button_clicked (GTK_BUTTON (fb_compare_panel_get_run_button (panel)));
  job = fb_compare_panel_get_job (panel);
  g_assert_nonnull (job);
  fb_ui_test_wait_until (job_done, job, seconds, "the comparison");
  g_assert_no_error ((GError *) fb_compare_job_get_error (job));
  fb_ui_test_spin ();
  return job;
}

static JsonArray *
result_configs (Fixture *f)
{
  JsonNode *root = fb_compare_panel_get_result (panel_of (f));

  g_assert_nonnull (root);
  return json_object_get_array_member (json_node_get_object (root), "configs");
}

static JsonObject *
result_target (Fixture *f, const char *target)
{
  JsonArray *targets = json_object_get_array_member (json_node_get_object (fb_compare_panel_get_result (panel_of (f))),
                                                     "targets");

  for (guint i = 0; i < json_array_get_length (targets); i++)
    {
      JsonObject *t = json_array_get_object_element (targets, i);
      if (g_strcmp0 (json_object_get_string_member (t, "target"), target) == 0)
        return t;
    }
  g_assert_not_reached ();
}

static FbPointSet *
plot_points (Fixture *f)
{
  return fb_pareto_plot_get_points (fb_compare_panel_get_plot (panel_of (f)));
}

/* Spearman ρ of metric @x against latency over the plot's points, all of
 * them or only those of the series named @series. */
static double
rho_of_points (FbPointSet *points, FbPlotMetric x, const char *series)
{
  guint n = fb_point_set_get_n_points (points), k = 0;
  g_autofree double *xs = g_new (double, n), *ys = g_new (double, n);

  for (guint i = 0; i < n; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      if (series != NULL && g_strcmp0 (fb_point_set_get_series_name (points, p->series), series) != 0)
        continue;
      xs[k] = p->values[x];
      ys[k] = p->values[FB_PLOT_METRIC_LATENCY];
      k++;
    }
  return fb_spearman (xs, ys, k);
}

/* "0.792" or "−0.891", as a person would write ρ to three decimals. */
static char *
rho_text (double rho)
{
  g_assert_false (isnan (rho));
  return rho < 0 ? g_strdup_printf ("−%.3f", -rho) : g_strdup_printf ("%.3f", rho);
}

/* The ρ labels show what fb_spearman says about the plotted points. */
static void
check_rho_labels (Fixture *f)
{
  FbPointSet *points = plot_points (f);
  FbComparePanel *panel = panel_of (f);
  g_autofree char *bops = rho_text (rho_of_points (points, FB_PLOT_METRIC_BOPS, NULL));
  g_autofree char *size = rho_text (rho_of_points (points, FB_PLOT_METRIC_SIZE, NULL));
  g_autofree char *random_bops = rho_text (rho_of_points (points, FB_PLOT_METRIC_BOPS, "Random"));
  g_autofree char *random_size = rho_text (rho_of_points (points, FB_PLOT_METRIC_SIZE, "Random"));
  const char *random_label = gtk_label_get_text (fb_compare_panel_get_rho_random_label (panel));
  g_autofree char *random_bops_part = g_strdup_printf ("BOPs ρ = %s,", random_bops);
  g_autofree char *random_size_part = g_strdup_printf ("Flash ρ = %s.", random_size);

  g_assert_cmpstr (gtk_label_get_text (fb_compare_panel_get_rho_label (panel)), ==, bops);
  g_assert_nonnull (strstr (gtk_label_get_text (fb_compare_panel_get_rho_size_label (panel)), size));
  g_assert_nonnull (strstr (random_label, random_bops_part));
  g_assert_nonnull (strstr (random_label, random_size_part));
}

/* Recomputes each row of the key table from the plot's points: among the
 * points at or above the row's threshold (Flash size, or accuracy), the one
 * with the fewest BOPs (ties: lower latency) against the fastest one. */
static void
check_rows (Fixture *f, const char *target, gboolean by_size)
{
  FbPointSet *points = plot_points (f);
  GtkTreeModel *model = fb_compare_panel_get_rows (panel_of (f));
  JsonArray *rows = json_object_get_array_member (result_target (f, target), "rows");
  GtkTreeIter iter;
  guint k = 0;

  g_assert_cmpint (gtk_tree_model_iter_n_children (model, NULL), ==, json_array_get_length (rows));
  g_assert_cmpuint (json_array_get_length (rows), >, 0);
  for (gboolean ok = gtk_tree_model_get_iter_first (model, &iter); ok; ok = gtk_tree_model_iter_next (model, &iter), k++)
    {
      double th = json_object_get_double_member (json_array_get_object_element (rows, k), "threshold");
      g_autofree char *level = NULL;
      double ratio;
      int bi = -1, li = -1, shown_b, shown_l;

      gtk_tree_model_get (model, &iter, FB_COMPARE_COLUMN_LEVEL, &level, FB_COMPARE_COLUMN_RATIO_VALUE, &ratio,
                          FB_COMPARE_COLUMN_BOPS_INDEX, &shown_b, FB_COMPARE_COLUMN_LATENCY_INDEX, &shown_l, -1);
      for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
        {
          const FbPlotPoint *p = fb_point_set_get_point (points, i);
          double v = by_size ? p->values[FB_PLOT_METRIC_SIZE] : p->values[FB_PLOT_METRIC_ACCURACY];
          const FbPlotPoint *b = bi >= 0 ? fb_point_set_get_point (points, bi) : NULL;
          const FbPlotPoint *l = li >= 0 ? fb_point_set_get_point (points, li) : NULL;

          if (!(v >= th))
            continue;
          if (b == NULL || p->values[FB_PLOT_METRIC_BOPS] < b->values[FB_PLOT_METRIC_BOPS] ||
              (p->values[FB_PLOT_METRIC_BOPS] == b->values[FB_PLOT_METRIC_BOPS] &&
               p->values[FB_PLOT_METRIC_LATENCY] < b->values[FB_PLOT_METRIC_LATENCY]))
            bi = (int) i;
          if (l == NULL || p->values[FB_PLOT_METRIC_LATENCY] < l->values[FB_PLOT_METRIC_LATENCY])
            li = (int) i;
        }
      g_assert_cmpint (bi, >=, 0);
      g_assert_cmpfloat_with_epsilon (ratio,
                                      fb_point_set_get_point (points, bi)->values[FB_PLOT_METRIC_LATENCY] /
                                        fb_point_set_get_point (points, li)->values[FB_PLOT_METRIC_LATENCY],
                                      1e-9);
      g_assert_cmpfloat (ratio, >=, 1.0);
      /* The row points at configs with those values (equal ones may differ). */
      g_assert_cmpfloat (fb_point_set_get_point (points, shown_b)->values[FB_PLOT_METRIC_BOPS], ==,
                         fb_point_set_get_point (points, bi)->values[FB_PLOT_METRIC_BOPS]);
      g_assert_cmpfloat (fb_point_set_get_point (points, shown_l)->values[FB_PLOT_METRIC_LATENCY], ==,
                         fb_point_set_get_point (points, li)->values[FB_PLOT_METRIC_LATENCY]);
      if (by_size)
        {
          g_autofree char *size = fb_ui_format_bytes (th);
          g_assert_nonnull (strstr (level, size));
        }
      else
        g_assert_nonnull (strstr (level, "w8a8"));
    }
}

static void
test_run (Fixture *f, gconstpointer data)
{
  double wall, cpu;
  FbCompareJob *job;
  JsonArray *configs;
  FbPointSet *points;
  const char *target;

  if (f->window == NULL)
    return;
  /* The page, before any run. */
  g_assert_cmpstr (gtk_label_get_text (fb_compare_panel_get_rho_label (panel_of (f))), ==, "—");
  fb_ui_test_reset_dispatch ();
  job = run_compare (f, TEST_SAMPLES, FB_UI_TEST_HANG_SECONDS);
  fb_ui_test_longest_dispatch (&wall, &cpu);
  g_test_message ("compare job (%u random configs, 3 targets, no accuracy): %.2f s; longest main-loop dispatch "
                  "%.1f ms wall, %.1f ms main-thread CPU",
                  TEST_SAMPLES, fb_compare_job_get_elapsed (job), wall, cpu);
  target = fb_latency_table_get_target (fb_window_get_latency_table (f->window));
  g_assert_cmpstr (fb_compare_panel_get_target (panel_of (f)), ==, target);

  /* One point per config of the JSON, with its numbers. */
  configs = result_configs (f);
  points = plot_points (f);
  g_assert_cmpuint (fb_point_set_get_n_points (points), ==, json_array_get_length (configs));
  g_assert_cmpuint (json_array_get_length (configs), >, TEST_SAMPLES);
  for (guint i = 0; i < json_array_get_length (configs); i++)
    {
      JsonObject *e = json_array_get_object_element (configs, i);
      const FbPlotPoint *p = fb_point_set_get_point (points, i);

      g_assert_cmpstr (p->label, ==, json_object_get_string_member (e, "label"));
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_BOPS], ==, (double) json_object_get_int_member (e, "bops"));
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_SIZE], ==, (double) json_object_get_int_member (e, "size_bytes"));
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_LATENCY], ==,
                         json_object_get_double_member (json_object_get_object_member (e, "latency"), target));
      g_assert_true (isnan (p->values[FB_PLOT_METRIC_ACCURACY]));
    }
  /* Every loaded table was compared. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_node_get_object (fb_compare_panel_get_result (panel_of (f))), "targets")), ==, 3);
  g_assert_cmpuint (fb_point_set_get_n_points (points), ==,
                    json_object_get_int_member (json_node_get_object (fb_compare_panel_get_result (panel_of (f))),
                                                "n_configs"));
  g_assert_cmpint (fb_pareto_plot_get_x_metric (fb_compare_panel_get_plot (panel_of (f))), ==, FB_PLOT_METRIC_BOPS);
  g_assert_cmpint (fb_pareto_plot_get_y_metric (fb_compare_panel_get_plot (panel_of (f))), ==, FB_PLOT_METRIC_LATENCY);
  g_assert_cmpuint (fb_point_set_get_series_size (points, 0), ==, 9); /* the uniform baselines */
  /* Hovering a point tells what it is. */
  {
    g_autofree char *tip = fb_plot_view_describe_point (fb_pareto_plot_get_view (fb_compare_panel_get_plot (panel_of (f))),
                                                        fb_point_set_get_n_points (points) - 1);
    const FbPlotPoint *last = fb_point_set_get_point (points, fb_point_set_get_n_points (points) - 1);
    g_autofree char *label = g_markup_escape_text (last->label, -1);
    g_assert_nonnull (strstr (tip, label));
    g_assert_nonnull (strstr (tip, fb_point_set_get_series_name (points, last->series)));
  }
  check_rho_labels (f);
  g_test_message ("ρ shown for %s: BOPs %s, %s; %s", target,
                  gtk_label_get_text (fb_compare_panel_get_rho_label (panel_of (f))),
                  gtk_label_get_text (fb_compare_panel_get_rho_size_label (panel_of (f))),
                  gtk_label_get_text (fb_compare_panel_get_rho_random_label (panel_of (f))));
  /* No accuracy: matched on Flash size. */
  g_assert_cmpstr (json_object_get_string_member (result_target (f, target), "matched_by"), ==, "size");
  check_rows (f, target, TRUE);

  /* Flash on the x axis: same points, another metric. */
  fb_compare_panel_set_x_metric (panel_of (f), FB_PLOT_METRIC_SIZE);
  g_assert_cmpint (fb_pareto_plot_get_x_metric (fb_compare_panel_get_plot (panel_of (f))), ==, FB_PLOT_METRIC_SIZE);
}

static void
test_switch_target (Fixture *f, gconstpointer data)
{
  FbCompareJob *job;
  JsonNode *result;
  g_autofree char *before = NULL;

  if (f->window == NULL)
    return;
  gtk_combo_box_set_active_id (fb_window_get_target_combo (f->window), "rv32imc");
  fb_ui_test_spin ();
  job = run_compare (f, TEST_SAMPLES, FB_UI_TEST_HANG_SECONDS);
  result = fb_compare_panel_get_result (panel_of (f));
  before = g_strdup (gtk_label_get_text (fb_compare_panel_get_rho_label (panel_of (f))));
  check_rho_labels (f);

  gtk_combo_box_set_active_id (fb_window_get_target_combo (f->window), "gap8");
  fb_ui_test_spin ();
  g_assert_cmpstr (fb_compare_panel_get_target (panel_of (f)), ==, "gap8");
  /* Redrawn from the same result: no new run. */
  g_assert_true (fb_compare_panel_get_job (panel_of (f)) == job);
  g_assert_true (fb_compare_panel_get_result (panel_of (f)) == result);
  g_assert_cmpstr (fb_point_set_get_target (plot_points (f)), ==, "gap8");
  /* The points carry gap8's latency now... */
  {
    JsonArray *configs = result_configs (f);
    for (guint i = 0; i < json_array_get_length (configs); i++)
      g_assert_cmpfloat (fb_point_set_get_point (plot_points (f), i)->values[FB_PLOT_METRIC_LATENCY], ==,
                         json_object_get_double_member (json_object_get_object_member (
                           json_array_get_object_element (configs, i), "latency"), "gap8"));
  }
  /* ...and ρ is gap8's: recomputed from them, and not rv32imc's. */
  check_rho_labels (f);
  check_rows (f, "gap8", TRUE);
  g_assert_cmpstr (gtk_label_get_text (fb_compare_panel_get_rho_label (panel_of (f))), !=, before);
  g_test_message ("ρ shown: rv32imc %s, gap8 %s", before,
                  gtk_label_get_text (fb_compare_panel_get_rho_label (panel_of (f))));
}

static void
test_select_point (Fixture *f, gconstpointer data)
{
  FbPointSet *points;
  FbLayerTable *table;
  g_autoptr(FbPrecisionConfig) w4a8 = NULL;
  int w4a8_index = -1, random_index = -1;

  if (f->window == NULL)
    return;
  table = fb_window_get_layer_table (f->window);
  run_compare (f, TEST_SAMPLES, FB_UI_TEST_HANG_SECONDS);
  points = plot_points (f);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      if ((p->flags & FB_PLOT_POINT_BASELINE) && g_strcmp0 (p->label, "w4a8") == 0)
        w4a8_index = (int) i;
      if (random_index < 0 && g_str_has_prefix (p->label, "random "))
        random_index = (int) i;
    }
  g_assert_cmpint (w4a8_index, >=, 0);
  g_assert_cmpint (random_index, >=, 0);
  /* Clicking a baseline loads it into the layer table. */
  fb_pareto_plot_select (fb_compare_panel_get_plot (panel_of (f)), w4a8_index);
  fb_ui_test_spin ();
  w4a8 = fb_precision_config_new_uniform (fb_window_get_network (f->window), 4, 8, NULL);
  g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (table), w4a8));
  g_assert_cmpstr (gtk_label_get_text (fb_window_get_config_label (f->window)), ==, "w4a8");
  /* Any other point: loaded when the result carries its bit-widths. */
  fb_pareto_plot_select (fb_compare_panel_get_plot (panel_of (f)), random_index);
  fb_ui_test_spin ();
  if (fb_point_set_get_point (points, random_index)->config != NULL)
    g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (table),
                                              fb_point_set_get_point (points, random_index)->config));
  else
    {
      /* fb_compare_run's configs list no bit-widths: the table keeps w4a8
       * and the page says why. */
      g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (table), w4a8));
      g_assert_nonnull (strstr (fb_compare_panel_get_status (panel_of (f)), "bit-widths"));
      g_test_message ("the comparison's result names configs without bit-widths: only the uniform "
                      "baselines load into the layer table");
    }
}

/* A result whose configs carry their bit-widths ("config", as
 * fb_precision_config_to_json writes them): any point loads into the table. */
static void
test_result_with_configs (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) copy = NULL;
  g_autoptr(FbPrecisionConfig) mixed = NULL;
  JsonObject *entry = NULL;
  FbNetwork *net;
  int index = -1;

  if (f->window == NULL)
    return;
  run_compare (f, TEST_SAMPLES, FB_UI_TEST_HANG_SECONDS);
  net = fb_window_get_network (f->window);
  /* The first random entry, given some config's bits (the page does not
   * check them against the numbers; the library writes both). */
  mixed = fb_precision_config_new_uniform (net, 2, 4, NULL);
  fb_precision_config_set_weight_bits (mixed, 0, 8);
  copy = json_node_copy (fb_compare_panel_get_result (panel_of (f)));
  for (guint i = 0; i < json_array_get_length (json_object_get_array_member (json_node_get_object (copy), "configs"));
       i++)
    {
      entry = json_array_get_object_element (json_object_get_array_member (json_node_get_object (copy), "configs"), i);
      if (g_str_equal (json_object_get_string_member (entry, "source"), "random"))
        {
          json_object_set_member (entry, "config", fb_precision_config_to_json (mixed));
          index = (int) i;
          break;
        }
    }
  g_assert_cmpint (index, >=, 0);
  fb_compare_panel_set_result (panel_of (f), copy);
  fb_ui_test_spin ();
  g_assert_nonnull (fb_point_set_get_point (plot_points (f), index)->config);
  fb_pareto_plot_select (fb_compare_panel_get_plot (panel_of (f)), index);
  fb_ui_test_spin ();
  g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (fb_window_get_layer_table (f->window)), mixed));
  g_assert_cmpstr (gtk_label_get_text (fb_window_get_config_label (f->window)), ==,
                   json_object_get_string_member (entry, "label"));
}

/* Double-clicking a row's BOPs-optimal cell selects that config. */
static void
test_activate_row (Fixture *f, gconstpointer data)
{
  GtkTreeView *view;
  GtkTreeModel *model;
  GtkTreeIter iter;
  FbPointSet *points;
  gboolean activated = FALSE;

  if (f->window == NULL)
    return;
  run_compare (f, TEST_SAMPLES, FB_UI_TEST_HANG_SECONDS);
  view = fb_compare_panel_get_rows_view (panel_of (f));
  model = fb_compare_panel_get_rows (panel_of (f));
  points = plot_points (f);
  for (gboolean ok = gtk_tree_model_get_iter_first (model, &iter); ok && !activated;
       ok = gtk_tree_model_iter_next (model, &iter))
    {
      int index = -1;
      g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (model, &iter);
      const FbPlotPoint *p;

      gtk_tree_model_get (model, &iter, FB_COMPARE_COLUMN_BOPS_INDEX, &index, -1);
      p = index >= 0 ? fb_point_set_get_point (points, index) : NULL;
      if (p == NULL || p->config == NULL)
        continue;
      /* Column 1: "BOPs-optimal". */
      gtk_tree_view_row_activated (view, path, gtk_tree_view_get_column (view, 1));
      fb_ui_test_spin ();
      g_assert_cmpint (fb_pareto_plot_get_selected (fb_compare_panel_get_plot (panel_of (f))), ==, index);
      g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (fb_window_get_layer_table (f->window)),
                                                p->config));
      activated = TRUE;
    }
  if (!activated)
    g_test_skip ("no row's BOPs-optimal config carries its bit-widths in this result");
}

/* A network without any latency table: the info bar says what is missing. */
static void
test_no_tables (Fixture *f, gconstpointer data)
{
  const char *root = g_getenv ("FB_SOURCE_ROOT");
  g_autofree char *source = root ? g_build_filename (root, "data", "networks", "fmnist-mbv1.json", NULL)
                                 : g_test_build_filename (G_TEST_DIST, "..", "..", "data", "networks",
                                                          "fmnist-mbv1.json", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *dir = NULL, *path = NULL;
  g_autoptr(GString) renamed = NULL;
  g_autoptr(GFile) file = NULL;

  if (f->window == NULL)
    return;
  g_assert_true (g_file_get_contents (source, &contents, NULL, NULL));
  /* Same layers under a name no bundled table is for. */
  renamed = g_string_new (contents);
  g_assert_cmpint (g_string_replace (renamed, "\"name\": \"fmnist-mbv1\"", "\"name\": \"fmnist-untimed\"", 1), ==, 1);
  g_string_replace (renamed, "\"weights\": \"fmnist-mbv1.fbw\",", "", 1);
  dir = g_dir_make_tmp ("fb-compare-XXXXXX", NULL);
  path = g_build_filename (dir, "fmnist-untimed.json", NULL);
  g_assert_true (g_file_set_contents (path, renamed->str, -1, NULL));
  file = g_file_new_for_path (path);
  fb_window_open_file (f->window, file);
  fb_ui_test_spin ();
  g_assert_null (fb_window_get_latency_table (f->window));
  gtk_button_clicked (GTK_BUTTON (fb_compare_panel_get_run_button (panel_of (f))));
  fb_ui_test_spin ();
  g_assert_null (fb_compare_panel_get_job (panel_of (f)));
  g_assert_nonnull (fb_window_get_info_message (f->window));
  g_assert_nonnull (strstr (fb_window_get_info_message (f->window), "latency table"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  FbComparePanel *panel;
  FbCompareJob *job;
  gint64 t0;

  if (f->window == NULL)
    return;
  panel = panel_of (f);
  /* A million random configs: far longer than the test waits. */
  fb_compare_panel_set_samples (panel, 1000000);
  gtk_button_clicked (GTK_BUTTON (fb_compare_panel_get_run_button (panel)));
  job = fb_compare_panel_get_job (panel);
  g_assert_true (fb_compare_job_is_running (job));
  g_usleep (200000);
  fb_ui_test_spin ();
  t0 = g_get_monotonic_time ();
  fb_compare_panel_cancel (panel);
  fb_ui_test_wait_until (job_done, job, FB_UI_TEST_HANG_SECONDS, "the cancelled comparison");
  g_test_message ("cancelled after %.2f s of running; stopped %.3f s after Cancel",
                  fb_compare_job_get_elapsed (job), (g_get_monotonic_time () - t0) / 1e6);
  g_assert_error ((GError *) fb_compare_job_get_error (job), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (fb_compare_panel_get_result (panel));
  g_assert_null (fb_window_get_info_message (f->window));
  /* Nothing was plotted. */
  g_assert_cmpuint (fb_point_set_get_n_points (plot_points (f)), ==, 0);
}

static void
test_close_cancels (Fixture *f, gconstpointer data)
{
  g_autoptr(FbCompareJob) job = NULL;

  if (f->window == NULL)
    return;
  fb_compare_panel_set_samples (panel_of (f), 1000000);
  gtk_button_clicked (GTK_BUTTON (fb_compare_panel_get_run_button (panel_of (f))));
  job = g_object_ref (fb_compare_panel_get_job (panel_of (f)));
  g_assert_true (fb_compare_job_is_running (job));
  gtk_widget_destroy (GTK_WIDGET (f->window));
  f->window = NULL;
  fb_ui_test_wait_until (job_done, job, FB_UI_TEST_HANG_SECONDS, "the comparison of a closed window");
  g_assert_error ((GError *) fb_compare_job_get_error (job), G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Starts a comparison as a user clicks Compare, with a stand-in oracle whose
 * accuracy stage waits at @gate config by config: the test lets each one
 * through, so the job is provably mid-way whatever the machine's speed. */
static FbCompareJob *
start_gated_compare (Fixture *f, FbUiTestGate *gate)
{
  fb_ui_test_set_gated_oracle (f->window, gate);
  fb_compare_panel_set_samples (panel_of (f), TEST_SAMPLES);
  gtk_button_clicked (GTK_BUTTON (fb_compare_panel_get_run_button (panel_of (f))));
  return fb_compare_panel_get_job (panel_of (f));
}

typedef struct {
  Fixture *f;
  guint    config;
} Measuring;

/* The bar shows that config @config is being measured. */
static gboolean
measuring_config (gpointer data)
{
  Measuring *m = data;
  const char *text = fb_compare_panel_get_progress_text (panel_of (m->f));
  guint i, n;

  return text != NULL && sscanf (text, "Measuring accuracy %u/%u", &i, &n) == 2 && i == m->config;
}

static gboolean
time_passed (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

/* Lets configs through one at a time, each after the bar showed it being
 * measured and 50 ms of main loop (the estimate needs time to have passed;
 * a slower machine only makes it longer), until the bar shows the time left
 * or @most configs went through. Returns the config being measured then. */
static guint
step_until_estimate (Fixture *f, FbUiTestGate *gate, guint most)
{
  for (guint k = 0; k <= most; k++)
    {
      Measuring m = { f, k + 1 };
      gint64 until;
      const char *text;

      /* Shown, so the config before has passed: the one waiting is this one. */
      fb_ui_test_wait_until (measuring_config, &m, FB_UI_TEST_HANG_SECONDS, "the bar to show the config measured");
      fb_ui_test_gate_wait (gate, 1, "the config's accuracy at the gate");
      text = fb_compare_panel_get_progress_text (panel_of (f));
      if (strstr (text, " left") != NULL)
        return k + 1;
      until = g_get_monotonic_time () + 50 * G_TIME_SPAN_MILLISECOND;
      fb_ui_test_wait_until (time_passed, &until, FB_UI_TEST_HANG_SECONDS, "50 ms");
      fb_ui_test_gate_release (gate, 1);
    }
  g_error ("no estimate of the time left after %u configs measured", most);
}

/* While accuracy is measured, the bar says how long is left and the status
 * which config is being measured. */
static void
test_progress (Fixture *f, gconstpointer data)
{
  g_autoptr(FbUiTestGate) gate = fb_ui_test_gate_new (FB_UI_TEST_GATE_BATCHES);
  FbCompareJob *job;
  guint config;

  if (f->window == NULL)
    return;
  job = start_gated_compare (f, gate);
  /* Two configs measured are enough for an estimate; a few more in case a
   * report was coalesced with the next. */
  config = step_until_estimate (f, gate, 5);
  /* The job waits at the gate: running, and the estimate stays on screen. */
  g_assert_cmpuint (fb_ui_test_gate_get_waiting (gate), ==, 1);
  g_assert_true (fb_compare_job_is_running (job));
  g_assert_cmpuint (config, >=, 2);
  g_assert_nonnull (strstr (fb_compare_panel_get_progress_text (panel_of (f)), "Measuring accuracy "));
  g_assert_nonnull (strstr (fb_compare_panel_get_progress_text (panel_of (f)), " left"));
  g_assert_nonnull (strstr (fb_compare_panel_get_status (panel_of (f)), "Measuring accuracy: config "));
  g_test_message ("while measuring: \"%s\", \"%s\"", fb_compare_panel_get_progress_text (panel_of (f)),
                  fb_compare_panel_get_status (panel_of (f)));
  /* Cancel stops the evaluation waiting at the gate. */
  fb_compare_panel_cancel (panel_of (f));
  fb_ui_test_wait_until (job_done, job, FB_UI_TEST_HANG_SECONDS, "the cancelled comparison");
  g_assert_error ((GError *) fb_compare_job_get_error (job), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  fb_ui_test_gate_open (gate);
}

static gboolean
points_shown (gpointer data)
{
  return fb_point_set_get_n_points (plot_points (data)) > 0;
}

/* The configs are drawn as soon as they are found, while their accuracy is
 * measured; the stage's own progress says which config is being measured;
 * the final result has the same configs. */
static void
test_partial_points (Fixture *f, gconstpointer data)
{
  g_autoptr(FbUiTestGate) gate = fb_ui_test_gate_new (FB_UI_TEST_GATE_BATCHES);
  FbCompareJob *job;
  FbPointSet *points;
  guint n_partial, n_configs;
  guint i, n;
  g_autoptr(JsonNode) partial = NULL;

  if (f->window == NULL)
    return;
  job = start_gated_compare (f, gate);
  /* The first config's accuracy waits at the gate: the pool is found and
   * drawn, nothing measured. */
  {
    Measuring m = { f, 1 };
    fb_ui_test_wait_until (measuring_config, &m, FB_UI_TEST_HANG_SECONDS, "the accuracy stage");
  }
  fb_ui_test_wait_until (points_shown, f, FB_UI_TEST_HANG_SECONDS, "the first points");
  fb_ui_test_gate_wait (gate, 1, "the first config's accuracy at the gate");
  g_assert_true (fb_compare_job_is_running (job));
  partial = json_node_ref (fb_compare_job_get_partial (job));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (partial), "accuracy"), ==, "pending");
  n_configs = (guint) json_object_get_int_member (json_node_get_object (partial), "n_configs");
  points = plot_points (f);
  n_partial = fb_point_set_get_n_points (points);
  g_assert_cmpuint (n_partial, ==, n_configs);
  for (guint k = 0; k < n_partial; k++)
    g_assert_true (isnan (fb_point_set_get_point (points, k)->values[FB_PLOT_METRIC_ACCURACY]));
  /* The key table waits for the accuracy. */
  g_assert_cmpint (gtk_tree_model_iter_n_children (fb_compare_panel_get_rows (panel_of (f)), NULL), ==, 0);

  /* Three configs later the bar counts the same configs. */
  fb_ui_test_gate_release (gate, 3);
  {
    Measuring m = { f, 4 };
    fb_ui_test_wait_until (measuring_config, &m, FB_UI_TEST_HANG_SECONDS, "config 4 measured");
  }
  g_assert_cmpint (sscanf (fb_compare_panel_get_progress_text (panel_of (f)), "Measuring accuracy %u/%u", &i, &n),
                   ==, 2);
  g_assert_cmpuint (n, ==, n_configs);
  g_assert_cmpuint (i, ==, 4);
  g_assert_true (fb_compare_job_is_running (job));

  fb_ui_test_gate_open (gate);
  fb_ui_test_wait_until (job_done, job, FB_UI_TEST_HANG_SECONDS, "the comparison");
  g_assert_null (fb_compare_job_get_error (job));
  g_assert_cmpuint (fb_ui_test_gate_get_passed (gate), ==, n_configs);
  points = plot_points (f);
  g_assert_cmpuint (fb_point_set_get_n_points (points), ==, n_partial);
  for (guint k = 0; k < n_partial; k++)
    g_assert_false (isnan (fb_point_set_get_point (points, k)->values[FB_PLOT_METRIC_ACCURACY]));
  g_assert_cmpint (gtk_tree_model_iter_n_children (fb_compare_panel_get_rows (panel_of (f)), NULL), >, 0);
}

static void
test_with_oracle (Fixture *f, gconstpointer data)
{
  FbPointSet *points;
  JsonObject *root;
  guint n_measured = 0;

  if (f->window == NULL)
    return;
  fb_ui_test_set_oracle (f->window, 0);
  run_compare (f, TEST_SAMPLES, FB_UI_TEST_HANG_SECONDS);
  root = json_node_get_object (fb_compare_panel_get_result (panel_of (f)));
  g_assert_cmpstr (json_object_get_string_member (root, "accuracy"), ==, "measured");
  points = plot_points (f);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      g_assert_false (isnan (p->values[FB_PLOT_METRIC_ACCURACY]));
      if (p->config != NULL)
        {
          g_assert_cmpfloat_with_epsilon (p->values[FB_PLOT_METRIC_ACCURACY], fb_ui_test_fake_accuracy (p->config), 1e-12);
          n_measured++;
        }
    }
  g_assert_cmpuint (n_measured, >=, 9);
  g_assert_cmpstr (json_object_get_string_member (result_target (f, "rv32imc"), "matched_by"), ==, "accuracy");
  check_rows (f, "rv32imc", FALSE);
  check_rho_labels (f);
}

/* GLib's shared pool threads (GTask workers, the nn evaluator) run below the
 * main thread: main() lowered them as the application's main() does. */
static void
worker_nice (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
#ifdef __linux__
  g_task_return_int (task, getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid)));
#else
  g_task_return_int (task, 0);
#endif
}

static void
on_nice (GObject *source, GAsyncResult *result, gpointer data)
{
  *(gssize *) data = g_task_propagate_int (G_TASK (result), NULL);
}

static gboolean
nice_known (gpointer data)
{
  return *(gssize *) data != G_MINSSIZE;
}

static void
test_worker_priority (void)
{
#ifdef __linux__
  g_autoptr(GTask) task = NULL;
  gssize nice = G_MINSSIZE;

  if (getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid)) >= 19)
    {
      g_test_skip ("the test runs at the lowest priority already");
      return;
    }
  task = g_task_new (NULL, NULL, on_nice, &nice);
  g_task_run_in_thread (task, worker_nice);
  fb_ui_test_wait_until (nice_known, &nice, FB_UI_TEST_HANG_SECONDS, "a GTask thread");
  /* Ten levels below the main thread (at most 19: meson runs tests niced). */
  g_assert_cmpint (nice, ==, MIN (getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid)) + 10, 19));
  g_assert_cmpint (nice, >, getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid)));
#else
  g_test_skip ("per-thread priorities are Linux only");
#endif
}

static gboolean
has_engine (gpointer data)
{
  Fixture *f = data;
  return fb_window_get_accuracy_engine (f->window) != NULL;
}

/* Slow (-m slow): the real accuracy engine measures the pool while the main
 * loop is watched; reports the longest dispatch. */
static void
test_engine_main_loop (Fixture *f, gconstpointer data)
{
  g_autofree char *images = g_build_filename (fb_accuracy_engine_get_dataset_dir (NULL),
                                              "t10k-images-idx3-ubyte.gz", NULL);
  double wall, cpu;
  FbCompareJob *job;

  if (f->window == NULL)
    return;
  if (!g_test_slow ())
    {
      g_test_skip ("slow: the accuracy engine measures ~100 configs (run with -m slow)");
      return;
    }
  if (!g_file_test (images, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed");
      return;
    }
  gtk_widget_destroy (GTK_WIDGET (f->window));
  fb_window_set_accuracy_defaults (TRUE, TEST_ACCURACY_LIMIT, NULL);
  f->window = fb_ui_test_window_new (app);
  fb_ui_test_reset_dispatch ();
  fb_ui_test_wait_until (has_engine, f, FB_UI_TEST_WORK_SECONDS, "the accuracy engine");
  fb_ui_test_longest_dispatch (&wall, &cpu);
  g_test_message ("engine loaded: longest main-loop dispatch %.1f ms wall, %.1f ms main-thread CPU", wall, cpu);
  fb_ui_test_reset_dispatch ();
  job = run_compare (f, 5, 2 * FB_UI_TEST_WORK_SECONDS);
  fb_ui_test_longest_dispatch (&wall, &cpu);
  g_test_message ("compare with the engine (%u images, %" G_GINT64_FORMAT " configs): %.1f s; longest main-loop "
                  "dispatch %.1f ms wall, %.1f ms main-thread CPU", TEST_ACCURACY_LIMIT,
                  json_object_get_int_member (json_node_get_object (fb_compare_panel_get_result (panel_of (f))),
                                              "n_configs"),
                  fb_compare_job_get_elapsed (job), wall, cpu);
  check_rho_labels (f);
  check_rows (f, fb_compare_panel_get_target (panel_of (f)), FALSE);
}

int
main (int argc, char **argv)
{
  int status;

  app = fb_ui_test_init (&argc, &argv);

  if (g_getenv ("FB_TEST_WORKER_NICE") == NULL)
    g_test_add_func ("/ui/compare/worker-priority", test_worker_priority);
#define ADD(path, fn) g_test_add ("/ui/compare/" path, Fixture, NULL, fb_ui_test_fixture_setup, fn, fb_ui_test_fixture_teardown)
  ADD ("run", test_run);
  ADD ("switch-target", test_switch_target);
  ADD ("select-point", test_select_point);
  ADD ("activate-row", test_activate_row);
  ADD ("result-with-configs", test_result_with_configs);
  ADD ("no-tables", test_no_tables);
  ADD ("cancel", test_cancel);
  ADD ("close-cancels", test_close_cancels);
  ADD ("with-oracle", test_with_oracle);
  ADD ("progress", test_progress);
  ADD ("partial-points", test_partial_points);
  ADD ("engine-main-loop", test_engine_main_loop);
#undef ADD

  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
