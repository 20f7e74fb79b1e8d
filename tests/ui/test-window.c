/* test-window.c — the main window in-process (under Xvfb): bundled network,
 * layer table edits, plot selection, files good and bad, export, closing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fb-ui-test-util.h"
#include "fb-accuracy-oracle.h"
#include "fb-application.h"
#include "fb-candidate-list.h"
#include "fb-error.h"
#include "fb-export-dialog.h"
#include "fb-free-bits.h"
#include "fb-latency-table.h"
#include "fb-dataset.h"
#include "fb-metrics.h"
#include "fb-nn-oracle.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"
#include "fb-precision-config.h"
#include "fb-results-table.h"
#include "fb-window-private.h"

static FbApplication *app;

typedef FbUiTestFixture Fixture;

static char *
write_file (Fixture *f, const char *name, const char *contents)
{
  char *path = g_build_filename (f->tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static char *
label_text (GtkLabel *label)
{
  return g_strdup (gtk_label_get_text (label));
}

/* A modeled table for @net where sub-byte weights cost more than 8-bit
 * ones (no sub-byte SIMD), with every admissible key. */
static char *
write_latency_table (Fixture *f, FbNetwork *net, const char *name)
{
  g_autoptr(FbLatencyTable) table = fb_latency_table_new ("testcore", FB_LATENCY_UNIT_CYCLES,
                                                          FB_LATENCY_METHOD_MODELED);
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->tmpdir, name, NULL);

  fb_latency_table_set_network (table, net);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      g_auto(GStrv) keys = fb_latency_admissible_keys (net, i);
      for (guint k = 0; keys[k] != NULL; k++)
        {
          guint a = 8, w = 8;
          sscanf (keys[k], "a%uw%u", &a, &w);
          fb_latency_table_set_cost (table, l->name, keys[k],
                                     100 + (double) l->macs * (w == 8 ? 1.0 : w == 4 ? 1.4 : 1.7));
        }
    }
  g_assert_true (fb_latency_table_save (table, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_bundled_network (Fixture *f, gconstpointer data)
{
  FbLayerTable *table;
  FbParetoPlot *plot;
  FbPointSet *points;
  guint n_front;
  const guint *front;
  g_autofree char *config = NULL;

  if (g_test_failed () || f->window == NULL)
    return;
  g_assert_nonnull (fb_window_get_network (f->window));
  g_assert_cmpstr (fb_network_get_name (fb_window_get_network (f->window)), ==, "fmnist-mbv1");
  g_assert_null (fb_window_get_info_message (f->window));

  table = fb_window_get_layer_table (f->window);
  g_assert_cmpuint (fb_layer_table_get_n_rows (table), ==, 14);

  /* All nine uniform baselines fit this network's packing. */
  plot = fb_window_get_plot (f->window);
  points = fb_pareto_plot_get_points (plot);
  g_assert_nonnull (points);
  g_assert_cmpuint (fb_point_set_get_n_points (points), ==, 9);
  for (guint i = 0; i < 9; i++)
    g_assert_true (fb_point_set_get_point (points, i)->flags & FB_PLOT_POINT_BASELINE);

  /* Without a latency table: Flash against BOPs, where w2a2 wins both. */
  if (fb_window_get_latency_table (f->window) == NULL)
    {
      g_assert_cmpint (fb_pareto_plot_get_x_metric (plot), ==, FB_PLOT_METRIC_SIZE);
      g_assert_cmpint (fb_pareto_plot_get_y_metric (plot), ==, FB_PLOT_METRIC_BOPS);
      front = fb_plot_view_get_front (fb_pareto_plot_get_view (plot), &n_front);
      g_assert_cmpuint (n_front, ==, 1);
      g_assert_cmpstr (fb_point_set_get_point (points, front[0])->label, ==, "w2a2");
    }

  config = label_text (fb_window_get_config_label (f->window));
  g_assert_cmpstr (config, ==, "w8a8");

  /* The latency table chooser starts where the bundled tables are. */
  {
    g_autofree char *folder = g_path_get_basename (f->window->latency_folder);
    g_assert_cmpstr (folder, ==, "latency");
    g_assert_true (g_action_group_has_action (G_ACTION_GROUP (f->window), "open-latency-table"));
  }
}

static void
test_edit_updates_summary (Fixture *f, gconstpointer data)
{
  FbLayerTable *table;
  FbNetwork *net;
  const FbLayer *pw6;
  g_autofree char *size_before = NULL;
  g_autofree char *bops_before = NULL;
  g_autofree char *size_after = NULL;
  g_autofree char *bops_after = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  FbMetrics m;
  g_autofree char *expected = NULL;

  if (f->window == NULL)
    return;
  table = fb_window_get_layer_table (f->window);
  net = fb_window_get_network (f->window);
  pw6 = fb_network_lookup_layer (net, "pw6");
  size_before = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_SIZE));
  bops_before = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_BOPS));
  g_assert_cmpstr (size_before, ==, "60.9\u202fkB");

  /* The model API behind the combo cell. */
  g_assert_true (fb_layer_table_set_weight_bits (table, pw6->index, 2, &error));
  g_assert_no_error (error);
  fb_ui_test_spin ();
  g_assert_cmpuint (fb_precision_config_get_weight_bits (fb_layer_table_get_config (table), pw6->index), ==, 2);

  size_after = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_SIZE));
  bops_after = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_BOPS));
  g_assert_cmpstr (size_after, !=, size_before);
  g_assert_cmpstr (bops_after, !=, bops_before);
  /* And it is what the core computes for that config. */
  g_assert_true (fb_metrics_compute (fb_layer_table_get_config (table), NULL, &m, NULL, NULL));
  expected = g_strdup_printf ("%.1f\u202fkB", m.size_bytes / 1000.0);
  g_assert_cmpstr (size_after, ==, expected);

  name = label_text (fb_window_get_config_label (f->window));
  g_assert_cmpstr (name, ==, "custom");
}

/* Ctrl+Z undoes a bit-width edit, a pin and a config replaced by a click on
 * the plot; Ctrl+Shift+Z redoes. */
static void
test_undo (Fixture *f, gconstpointer data)
{
  FbLayerTable *table;
  FbParetoPlot *plot;
  FbPointSet *points;
  const FbLayer *pw6;
  g_autoptr(FbPrecisionConfig) before = NULL;
  g_autoptr(FbPrecisionConfig) edited = NULL;
  g_autoptr(GError) error = NULL;
  GActionGroup *actions;
  int w4a4 = -1;

  if (f->window == NULL)
    return;
  actions = G_ACTION_GROUP (f->window);
  table = fb_window_get_layer_table (f->window);
  pw6 = fb_network_lookup_layer (fb_window_get_network (f->window), "pw6");
  before = fb_precision_config_copy (fb_layer_table_get_config (table));
  g_assert_false (g_action_group_get_action_enabled (actions, "undo"));

  /* An edit, then a pin. */
  g_assert_true (fb_layer_table_set_weight_bits (table, pw6->index, 2, &error));
  g_assert_no_error (error);
  fb_layer_table_set_pinned (table, pw6->index, TRUE);
  fb_ui_test_spin ();
  edited = fb_precision_config_copy (fb_layer_table_get_config (table));
  g_assert_true (g_action_group_get_action_enabled (actions, "undo"));

  /* Clicking a point replaces the edited, pinned config... */
  plot = fb_window_get_plot (f->window);
  points = fb_pareto_plot_get_points (plot);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    if (g_strcmp0 (fb_point_set_get_point (points, i)->label, "w4a4") == 0)
      w4a4 = (int) i;
  g_assert_cmpint (w4a4, >=, 0);
  fb_pareto_plot_select (plot, w4a4);
  fb_ui_test_spin ();
  g_assert_false (fb_precision_config_get_weight_pinned (fb_layer_table_get_config (table), pw6->index));

  /* ...and undo brings it back, pin included, then the pin goes, then the edit. */
  g_action_group_activate_action (actions, "undo", NULL);
  fb_ui_test_spin ();
  g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (table), edited));
  g_assert_true (fb_precision_config_get_weight_pinned (fb_layer_table_get_config (table), pw6->index));
  g_action_group_activate_action (actions, "undo", NULL);
  fb_ui_test_spin ();
  g_assert_false (fb_precision_config_get_weight_pinned (fb_layer_table_get_config (table), pw6->index));
  g_assert_cmpuint (fb_precision_config_get_weight_bits (fb_layer_table_get_config (table), pw6->index), ==, 2);
  g_action_group_activate_action (actions, "undo", NULL);
  fb_ui_test_spin ();
  g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (table), before));
  g_assert_false (g_action_group_get_action_enabled (actions, "undo"));
  {
    g_autofree char *name = label_text (fb_window_get_config_label (f->window));
    g_assert_cmpstr (name, ==, "w8a8");
  }

  /* Redo walks forward again. */
  g_assert_true (g_action_group_get_action_enabled (actions, "redo"));
  g_action_group_activate_action (actions, "redo", NULL);
  fb_ui_test_spin ();
  g_assert_cmpuint (fb_precision_config_get_weight_bits (fb_layer_table_get_config (table), pw6->index), ==, 2);
  /* A new edit forgets what could be redone. */
  g_assert_true (fb_layer_table_set_weight_bits (table, pw6->index, 4, &error));
  g_assert_no_error (error);
  fb_ui_test_spin ();
  g_assert_false (g_action_group_get_action_enabled (actions, "redo"));
}

static void
test_activation_edit_and_pins (Fixture *f, gconstpointer data)
{
  FbLayerTable *table;
  FbNetwork *net;
  const FbLayer *pw2, *fc;
  g_autoptr(GError) error = NULL;
  g_autofree char *bops_before = NULL;
  g_autofree char *bops_after = NULL;
  FbPrecisionConfig *config;

  if (f->window == NULL)
    return;
  table = fb_window_get_layer_table (f->window);
  net = fb_window_get_network (f->window);
  pw2 = fb_network_lookup_layer (net, "pw2");
  fc = fb_network_lookup_layer (net, "fc");
  bops_before = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_BOPS));

  /* pw2's output feeds dw3: 4-bit activations there lower dw3's BOPs. */
  g_assert_true (fb_layer_table_set_activation_bits (table, pw2->index, 4, &error));
  g_assert_no_error (error);
  bops_after = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_BOPS));
  g_assert_cmpstr (bops_after, !=, bops_before);
  config = fb_layer_table_get_config (table);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (config, pw2->output), ==, 4);

  /* Refused: 3 bits, and the int32 logits. The config does not change. */
  g_assert_false (fb_layer_table_set_weight_bits (table, pw2->index, 3, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_BITS);
  g_clear_error (&error);
  g_assert_false (fb_layer_table_set_activation_bits (table, fc->index, 4, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_BITS);
  g_clear_error (&error);
  g_assert_false (fb_layer_table_set_weight_bits (table, fb_network_lookup_layer (net, "pool")->index, 4, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (fb_precision_config_get_weight_bits (config, pw2->index), ==, 8);

  /* A pin covers the layer's weights and its output activation. */
  fb_layer_table_set_pinned (table, pw2->index, TRUE);
  config = fb_layer_table_get_config (table);
  g_assert_true (fb_precision_config_get_weight_pinned (config, pw2->index));
  g_assert_true (fb_precision_config_get_tensor_pinned (config, pw2->output));
  fb_layer_table_set_pinned (table, fc->index, TRUE);
  g_assert_true (fb_precision_config_get_weight_pinned (config, fc->index));
  fb_layer_table_set_pinned (table, pw2->index, FALSE);
  g_assert_false (fb_precision_config_get_weight_pinned (config, pw2->index));
  g_assert_false (fb_precision_config_get_tensor_pinned (config, pw2->output));
}

static void
test_select_point (Fixture *f, gconstpointer data)
{
  FbParetoPlot *plot;
  FbPointSet *points;
  FbPrecisionConfig *config;
  g_autofree char *name = NULL;
  int w4a4 = -1;
  double values[FB_PLOT_N_METRICS];

  if (f->window == NULL)
    return;
  plot = fb_window_get_plot (f->window);
  points = fb_pareto_plot_get_points (plot);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    if (g_strcmp0 (fb_point_set_get_point (points, i)->label, "w4a4") == 0)
      w4a4 = (int) i;
  g_assert_cmpint (w4a4, >=, 0);

  fb_pareto_plot_select (plot, w4a4);
  fb_ui_test_spin ();
  g_assert_cmpint (fb_pareto_plot_get_selected (plot), ==, w4a4);
  config = fb_layer_table_get_config (fb_window_get_layer_table (f->window));
  g_assert_true (fb_precision_config_equal (config, fb_point_set_get_point (points, w4a4)->config));
  name = label_text (fb_window_get_config_label (f->window));
  g_assert_cmpstr (name, ==, "w4a4");

  /* The plot's marker is on the selected point. */
  memcpy (values, fb_point_set_get_point (points, w4a4)->values, sizeof values);
  {
    double px, py;
    g_assert_true (fb_plot_view_to_pixel (fb_pareto_plot_get_view (plot), values, &px, &py));
    g_assert_cmpint (fb_plot_view_pick (fb_pareto_plot_get_view (plot), px, py, 1), ==, w4a4);
  }
}

static void
assert_info_mentions (Fixture *f, const char *needle)
{
  const char *msg = fb_window_get_info_message (f->window);

  g_assert_nonnull (msg);
  g_assert_true (gtk_info_bar_get_revealed (fb_window_get_info_bar (f->window)));
  if (strstr (msg, needle) == NULL)
    g_error ("info bar says \"%s\", expected a mention of \"%s\"", msg, needle);
}

static void
dismiss_info (Fixture *f)
{
  gtk_info_bar_response (fb_window_get_info_bar (f->window), GTK_RESPONSE_CLOSE);
  fb_ui_test_spin ();
  g_assert_null (fb_window_get_info_message (f->window));
}

static void
test_bad_files (Fixture *f, gconstpointer data)
{
  const struct { const char *name; const char *contents; const char *mention; } cases[] = {
    { "broken-net.json", "{ \"format\": \"freebits-network/1\", \"name\": ", "broken-net.json" },
    { "no-format.json", "{ \"name\": \"x\" }", "format" },
    { "odd-format.json", "{ \"format\": \"something/2\" }", "something/2" },
    { "array.json", "[1, 2, 3]", "array.json" },
    { "binary.json", "\x89PNG\r\n\x1a\n\x01\x02\xff\xfe", "binary.json" },
    { "bad-bits.json", "{ \"format\": \"freebits-config/1\", \"network\": \"fmnist-mbv1\", "
                       "\"weights\": { \"conv1\": 3 } }", "bad-bits.json" },
    { "bad-table.json", "{ \"format\": \"freebits-latency/1\", \"target\": \"x\" }", "bad-table.json" },
    { "candidates.json", "{ \"format\": \"freebits-candidates/1\" }", "candidates.json" },
  };
  FbNetwork *before;

  if (f->window == NULL)
    return;
  before = fb_window_get_network (f->window);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_file (f, cases[i].name, cases[i].contents);
      fb_ui_test_open_path (f->window, path);
      assert_info_mentions (f, cases[i].name);
      assert_info_mentions (f, cases[i].mention);
      dismiss_info (f);
    }
  /* A file that does not exist. */
  {
    g_autofree char *path = g_build_filename (f->tmpdir, "missing.json", NULL);
    fb_ui_test_open_path (f->window, path);
    assert_info_mentions (f, "missing.json");
  }
  /* Several bad files at once: all are reported. */
  {
    g_autofree char *a = write_file (f, "one.json", "{");
    g_autofree char *b = write_file (f, "two.json", "{");
    GFile *files[2] = { g_file_new_for_path (a), g_file_new_for_path (b) };
    dismiss_info (f);
    fb_window_open_files (f->window, files, 2);
    fb_ui_test_spin ();
    assert_info_mentions (f, "one.json");
    assert_info_mentions (f, "two.json");
    g_object_unref (files[0]);
    g_object_unref (files[1]);
  }
  /* Nothing was replaced. */
  g_assert_true (fb_window_get_network (f->window) == before);
  g_assert_cmpuint (fb_layer_table_get_n_rows (fb_window_get_layer_table (f->window)), ==, 14);

  /* One message at a time: a later failure replaces the earlier one, the
   * same failure is not repeated, and a good open clears it. */
  {
    g_autofree char *one = write_file (f, "one.json", "{ not json");
    g_autofree char *two = write_file (f, "two.json", "[]");
    g_autofree char *good = NULL;
    const char *msg;

    fb_ui_test_open_path (f->window, one);
    fb_ui_test_open_path (f->window, two);
    msg = fb_window_get_info_message (f->window);
    g_assert_nonnull (msg);
    g_assert_null (strstr (msg, "one.json"));
    g_assert_nonnull (strstr (msg, "two.json"));
    fb_ui_test_open_path (f->window, two);
    msg = fb_window_get_info_message (f->window);
    g_assert_nonnull (strstr (msg, "two.json"));
    g_assert_null (strstr (strstr (msg, "two.json") + 1, "two.json"));
    good = fb_ui_test_network_path ("fmnist-mbv1");
    fb_ui_test_open_path (f->window, good);
    g_assert_null (fb_window_get_info_message (f->window));
  }
}

static void
test_open_config (Fixture *f, gconstpointer data)
{
  FbNetwork *net;
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  FbPrecisionConfig *shown;

  if (f->window == NULL)
    return;
  net = fb_window_get_network (f->window);
  config = fb_precision_config_new_uniform (net, 4, 8, &error);
  g_assert_no_error (error);
  fb_precision_config_set_weight_bits (config, fb_network_lookup_layer (net, "pw7")->index, 2);
  fb_precision_config_set_weight_pinned (config, 0, TRUE);
  path = g_build_filename (f->tmpdir, "mixed.json", NULL);
  g_assert_true (fb_precision_config_save (config, path, &error));

  fb_ui_test_open_path (f->window, path);
  g_assert_null (fb_window_get_info_message (f->window));
  shown = fb_layer_table_get_config (fb_window_get_layer_table (f->window));
  g_assert_true (fb_precision_config_equal (shown, config));
  g_assert_true (fb_precision_config_get_weight_pinned (shown, 0));
  name = label_text (fb_window_get_config_label (f->window));
  g_assert_cmpstr (name, ==, "mixed.json");
}

/* Proposed file names carry no '#', spaces or brackets. */
static void
test_file_stem (Fixture *f, gconstpointer data)
{
  const struct { const char *in, *out; } cases[] = {
    { "Pareto DP #3 (edited)", "Pareto-DP-3-edited" },
    { "fmnist-mbv1-w4a8", "fmnist-mbv1-w4a8" },
    { "#1", "1" },
    { "diff λ=0.5", "diff-λ-0.5" },
    { " /#() ", "config" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *stem = fb_window_file_stem (g_strdup (cases[i].in));
      g_assert_cmpstr (stem, ==, cases[i].out);
    }
}

static void
test_save_config (Fixture *f, gconstpointer data)
{
  FbLayerTable *table;
  FbNetwork *net;
  g_autofree char *path = NULL;
  g_autofree char *bad = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) back = NULL;
  JsonObject *prov;

  if (f->window == NULL)
    return;
  table = fb_window_get_layer_table (f->window);
  net = fb_window_get_network (f->window);
  g_assert_true (fb_layer_table_set_weight_bits (table, fb_network_lookup_layer (net, "pw4")->index, 4, NULL));
  fb_layer_table_set_pinned (table, fb_network_lookup_layer (net, "conv1")->index, TRUE);

  path = g_build_filename (f->tmpdir, "saved.json", NULL);
  g_assert_null (fb_window_get_toast_message (f->window));
  g_assert_true (fb_window_save_config (f->window, path, &error));
  g_assert_no_error (error);
  /* A notification says so, with the folder to open. */
  g_assert_cmpstr (fb_window_get_toast_message (f->window), ==, "Saved saved.json");
  g_assert_cmpstr (f->window->toast_folder, ==, f->tmpdir);
  g_assert_true (gtk_widget_get_visible (f->window->toast_open_button));
  back = fb_precision_config_load (net, path, &error);
  g_assert_no_error (error);
  g_assert_true (fb_precision_config_equal (back, fb_layer_table_get_config (table)));
  g_assert_true (fb_precision_config_get_weight_pinned (back, 0));
  /* Provenance says it was made by hand in freebits. */
  prov = fb_precision_config_get_provenance (back);
  g_assert_nonnull (prov);
  g_assert_cmpstr (json_object_get_string_member (prov, "method"), ==, "manual");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (prov, "tool"), "freebits "));

  /* A directory that does not exist: an error, no crash. */
  bad = g_build_filename (f->tmpdir, "no-such-dir", "saved.json", NULL);
  g_assert_false (fb_window_save_config (f->window, bad, &error));
  g_assert_nonnull (error);
}

static void
test_open_latency_table (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;
  g_autofree char *latency = NULL;
  FbParetoPlot *plot;
  FbPointSet *points;

  if (f->window == NULL)
    return;
  path = write_latency_table (f, fb_window_get_network (f->window), "fmnist-testcore.json");
  fb_ui_test_open_path (f->window, path);
  /* The next table chooser starts where this one was. */
  g_assert_cmpstr (f->window->latency_folder, ==, f->tmpdir);
  g_assert_null (fb_window_get_info_message (f->window));
  g_assert_nonnull (fb_window_get_latency_table (f->window));

  /* Baselines now have latencies, and the plot shows them. */
  plot = fb_window_get_plot (f->window);
  points = fb_pareto_plot_get_points (plot);
  g_assert_true (fb_point_set_has_metric (points, FB_PLOT_METRIC_LATENCY));
  g_assert_cmpint (fb_pareto_plot_get_y_metric (plot), ==, FB_PLOT_METRIC_LATENCY);
  g_assert_cmpstr (fb_point_set_get_target (points), ==, "testcore");
  latency = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_LATENCY));
  g_assert_nonnull (strstr (latency, "cycles"));

  /* In this table sub-byte weights are slower: w8a8 is on the
   * size/latency front along with smaller configs. */
  {
    guint n;
    const guint *front = fb_plot_view_get_front (fb_pareto_plot_get_view (plot), &n);
    gboolean has_w8 = FALSE;
    g_assert_cmpuint (n, >=, 2);
    for (guint i = 0; i < n; i++)
      if (g_str_has_prefix (fb_point_set_get_point (points, front[i])->label, "w8"))
        has_w8 = TRUE;
    g_assert_true (has_w8);
  }
}

static void
test_open_order (Fixture *f, gconstpointer data)
{
  /* A config for another network given before that network: the network
   * is opened first, the config second. */
  g_autofree char *net_path = fb_ui_test_network_path ("mobilenet-v1-0.25-128");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) other = fb_network_load (net_path, &error);
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autofree char *cfg_path = NULL;
  g_autofree char *table_path = NULL;
  GFile *files[3];

  if (f->window == NULL)
    return;
  g_assert_no_error (error);
  config = fb_precision_config_new_uniform (other, 4, 4, &error);
  g_assert_no_error (error);
  cfg_path = g_build_filename (f->tmpdir, "mbv1-w4a4.json", NULL);
  g_assert_true (fb_precision_config_save (config, cfg_path, &error));
  table_path = write_latency_table (f, other, "mbv1-table.json");

  files[0] = g_file_new_for_path (cfg_path);
  files[1] = g_file_new_for_path (table_path);
  files[2] = g_file_new_for_path (net_path);
  fb_window_open_files (f->window, files, 3);
  fb_ui_test_spin ();
  for (guint i = 0; i < 3; i++)
    g_object_unref (files[i]);

  g_assert_null (fb_window_get_info_message (f->window));
  g_assert_cmpstr (fb_network_get_name (fb_window_get_network (f->window)), ==, "mobilenet-v1-0.25-128");
  g_assert_cmpuint (fb_layer_table_get_n_rows (fb_window_get_layer_table (f->window)), ==, 28);
  g_assert_nonnull (fb_window_get_latency_table (f->window));
  {
    /* Different FbNetwork instances: compare the bits, not the objects. */
    g_autofree char *shown = fb_precision_config_to_string (fb_layer_table_get_config (fb_window_get_layer_table (f->window)));
    g_autofree char *wanted = fb_precision_config_to_string (config);
    g_assert_cmpstr (shown, ==, wanted);
  }

  /* The fmnist table does not fit this network: refused with a reason. */
  {
    g_autofree char *fm_path = fb_ui_test_network_path ("fmnist-mbv1");
    g_autoptr(FbNetwork) fm = fb_network_load (fm_path, NULL);
    g_autofree char *wrong = write_latency_table (f, fm, "fmnist-table.json");
    fb_ui_test_open_path (f->window, wrong);
    assert_info_mentions (f, "fmnist-table.json");
    assert_info_mentions (f, "fmnist-mbv1");
  }
}

static void
test_export_plot (Fixture *f, gconstpointer data)
{
  const struct { const char *name; FbPlotFormat format; const char *magic; gsize len; } files[] = {
    { "plot.png", FB_PLOT_FORMAT_PNG, "\x89PNG", 4 },
    { "plot.svg", FB_PLOT_FORMAT_SVG, "<?xml", 5 },
    { "plot.pdf", FB_PLOT_FORMAT_PDF, "%PDF", 4 },
  };

  if (f->window == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (f->tmpdir, files[i].name, NULL);
      g_autofree char *data_bytes = NULL;
      g_autoptr(GError) error = NULL;
      gsize size = 0;

      g_assert_true (fb_pareto_plot_export (fb_window_get_plot (f->window), path, files[i].format, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (path, &data_bytes, &size, NULL));
      g_assert_cmpuint (size, >, 1000);
      g_assert_cmpmem (data_bytes, files[i].len, files[i].magic, files[i].len);
    }
}

static void
test_screenshot_not_blank (Fixture *f, gconstpointer data)
{
  /* Draws the whole window offscreen: the plot, table and summary paint
   * something other than one flat colour. */
  GtkWidget *widget;
  cairo_surface_t *surface;
  cairo_t *cr;
  int w, h;
  guint32 first;
  guint differing = 0;
  guchar *pixels;
  int stride;

  if (f->window == NULL)
    return;
  widget = GTK_WIDGET (f->window);
  w = gtk_widget_get_allocated_width (widget);
  h = gtk_widget_get_allocated_height (widget);
  g_assert_cmpint (w, >=, 800);
  g_assert_cmpint (h, >=, 500);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cr = cairo_create (surface);
  gtk_widget_draw (widget, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  pixels = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  first = *(guint32 *) pixels;
  for (int y = 0; y < h; y += 7)
    for (int x = 0; x < w; x += 7)
      if (*(guint32 *) (pixels + y * stride + x * 4) != first)
        differing++;
  g_assert_cmpuint (differing, >, (guint) (w / 7) * (h / 7) / 20);
  if (g_getenv ("FB_TEST_SCREENSHOT") != NULL)
    cairo_surface_write_to_png (surface, g_getenv ("FB_TEST_SCREENSHOT"));
  cairo_surface_destroy (surface);
}

/* Luminance (0–1) of the plot widget's top-left pixel, drawn as on screen. */
static double
plot_corner_luminance (FbParetoPlot *plot)
{
  int w = gtk_widget_get_allocated_width (GTK_WIDGET (plot));
  int h = gtk_widget_get_allocated_height (GTK_WIDGET (plot));
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_t *cr = cairo_create (surface);
  guint32 px;
  double lum;

  gtk_widget_draw (GTK_WIDGET (plot), cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  px = *(guint32 *) (cairo_image_surface_get_data (surface) + 2 * cairo_image_surface_get_stride (surface) + 2 * 4);
  lum = (0.299 * (px >> 16 & 0xff) + 0.587 * (px >> 8 & 0xff) + 0.114 * (px & 0xff)) / 255.0;
  cairo_surface_destroy (surface);
  return lum;
}

/* The canvas follows gtk-application-prefer-dark-theme; exports stay light. */
static void
test_dark_theme_plot (Fixture *f, gconstpointer data)
{
  GtkSettings *settings = gtk_settings_get_default ();
  FbParetoPlot *plot;
  g_autofree char *png = NULL;
  g_autoptr(GError) error = NULL;
  cairo_surface_t *exported;
  guint32 px;

  if (f->window == NULL)
    return;
  plot = fb_window_get_plot (f->window);
  g_assert_cmpfloat (plot_corner_luminance (plot), >, 0.8);
  g_object_set (settings, "gtk-application-prefer-dark-theme", TRUE, NULL);
  fb_ui_test_spin ();
  g_assert_cmpfloat (plot_corner_luminance (plot), <, 0.25);

  png = g_build_filename (f->tmpdir, "dark.png", NULL);
  g_assert_true (fb_pareto_plot_export (plot, png, FB_PLOT_FORMAT_PNG, &error));
  g_assert_no_error (error);
  exported = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (exported), ==, CAIRO_STATUS_SUCCESS);
  px = *(guint32 *) (cairo_image_surface_get_data (exported) + 2 * cairo_image_surface_get_stride (exported) + 2 * 4);
  g_assert_cmphex (px & 0xffffff, ==, 0xffffff);
  cairo_surface_destroy (exported);

  g_object_set (settings, "gtk-application-prefer-dark-theme", FALSE, NULL);
  fb_ui_test_spin ();
  g_assert_cmpfloat (plot_corner_luminance (plot), >, 0.8);
}

static void
test_close_cancels (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = NULL;

  if (f->window == NULL)
    return;
  cancellable = g_object_ref (fb_window_get_cancellable (f->window));
  g_assert_false (g_cancellable_is_cancelled (cancellable));
  gtk_window_close (GTK_WINDOW (f->window));
  fb_ui_test_spin ();
  f->window = NULL; /* closed and destroyed by GTK */
  g_assert_true (g_cancellable_is_cancelled (cancellable));
}


/* ---- searches, targets, candidates files, settings ------------------------ */

/* The config of the only point of series @name. */
static FbPrecisionConfig *
single_result (FbPointSet *points, const char *name)
{
  int series = fb_ui_test_find_series (points, name);
  FbPrecisionConfig *config = NULL;

  g_assert_cmpint (series, >=, 0);
  g_assert_cmpuint (fb_point_set_get_series_size (points, series), ==, 1);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    if (fb_point_set_get_point (points, i)->series == (guint) series)
      config = fb_point_set_get_point (points, i)->config;
  g_assert_nonnull (config);
  return config;
}

static void
test_search_uniform_and_free_bits (Fixture *f, gconstpointer data)
{
  FbNetwork *net;
  FbSearchJob *job;
  FbPointSet *points;
  int series;
  FbPrecisionConfig *result;
  g_autoptr(FbPrecisionConfig) w2a2 = NULL;
  g_autoptr(FbCandidate) expected = NULL;
  g_autoptr(GError) error = NULL;
  FbSearchConstraints none;
  FbMetrics m_result, m_start;

  if (f->window == NULL)
    return;
  net = fb_window_get_network (f->window);
  g_assert_nonnull (fb_window_get_latency_table (f->window));

  /* Uniform: the nine wXaY again, as a second series on top of the baselines. */
  job = fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_UNIFORM, "table");
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  series = fb_ui_test_find_series (points, fb_search_method_get_name (FB_SEARCH_METHOD_UNIFORM));
  g_assert_cmpint (series, >=, 0);
  g_assert_cmpuint (fb_point_set_get_series_size (points, series), ==, 9);
  g_assert_cmpuint (fb_point_set_get_n_points (points), ==, 18);
  for (guint i = 9; i < 18; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      int twin = fb_point_set_find_config (points, p->config);
      /* The same config as a baseline, with the same metrics. */
      g_assert_cmpint (twin, >=, 0);
      g_assert_cmpint (twin, <, 9);
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_SIZE], ==, fb_point_set_get_point (points, twin)->values[FB_PLOT_METRIC_SIZE]);
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_LATENCY], ==, fb_point_set_get_point (points, twin)->values[FB_PLOT_METRIC_LATENCY]);
    }
  g_assert_cmpuint (fb_window_get_n_results (f->window), ==, 9);

  /* Free Bits from w2a2: one config, never fewer bits than w2a2 anywhere,
   * and no slower on the target. */
  job = fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_FREE_BITS, "w2a2");
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  g_assert_cmpuint (fb_point_set_get_n_points (points), ==, 19);
  result = single_result (points, fb_search_method_get_name (FB_SEARCH_METHOD_FREE_BITS));
  w2a2 = fb_precision_config_new_uniform (net, 2, 2, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      g_assert_cmpuint (fb_precision_config_get_weight_bits (result, i), >=, 2);
  g_assert_false (fb_precision_config_equal (result, w2a2));
  g_assert_true (fb_metrics_compute (result, fb_window_get_latency_table (f->window), &m_result, NULL, NULL));
  g_assert_true (fb_metrics_compute (w2a2, fb_window_get_latency_table (f->window), &m_start, NULL, NULL));
  g_assert_cmpfloat (m_result.latency, <=, m_start.latency);

  /* The panel reports the change log: raises only. */
  {
    GPtrArray *changes = fb_search_job_get_changes (job);
    g_assert_nonnull (changes);
    g_assert_cmpuint (changes->len, >=, 1);
    for (guint i = 0; i < changes->len; i++)
      {
        const FbFreeBitsChange *c = g_ptr_array_index (changes, i);
        g_assert_cmpuint (c->new_bits, >, c->old_bits);
      }
    g_assert_nonnull (strstr (fb_search_panel_get_status (fb_window_get_search_panel (f->window)), "changed"));
  }

  /* The window ran the library's heuristic on the right inputs. */
  fb_search_constraints_init (&none);
  g_assert_true (fb_search_free_bits (w2a2, fb_window_get_latency_table (f->window), NULL, &none, NULL, NULL, NULL,
                                      NULL, NULL, &expected, &error));
  g_assert_no_error (error);
  g_assert_true (fb_precision_config_equal (result, fb_candidate_get_config (expected)));

  /* Clicking the result loads it into the layer table. */
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    if (fb_point_set_get_point (points, i)->config == result)
      fb_pareto_plot_select (fb_window_get_plot (f->window), (int) i);
  fb_ui_test_spin ();
  g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (fb_window_get_layer_table (f->window)), result));
}

/* A search result selected on the plot is named by its method in the
 * sidebar's subtitle, never "uniform baseline"; a baseline still is one. */
static void
test_result_subtitle_names_method (Fixture *f, gconstpointer data)
{
  FbPointSet *points;
  FbParetoPlot *plot;
  const char *method = fb_search_method_get_name (FB_SEARCH_METHOD_PARETO);
  int series, picked = -1;
  g_autofree char *subtitle = NULL;

  if (f->window == NULL)
    return;
  fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_PARETO, "table");
  fb_ui_test_spin ();
  plot = fb_window_get_plot (f->window);
  points = fb_pareto_plot_get_points (plot);
  series = fb_ui_test_find_series (points, method);
  g_assert_cmpint (series, >=, 0);
  /* A front point that is not also a uniform baseline. */
  for (guint i = 0; i < fb_point_set_get_n_points (points) && picked < 0; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      if ((int) p->series == series && fb_point_set_find_config (points, p->config) == (int) i)
        picked = (int) i;
    }
  g_assert_cmpint (picked, >=, 0);
  fb_pareto_plot_select (plot, picked);
  fb_ui_test_spin ();
  subtitle = label_text (f->window->config_subtitle_label);
  if (strstr (subtitle, method) == NULL || strstr (subtitle, "uniform") != NULL)
    g_error ("subtitle of a %s result says \"%s\"", method, subtitle);
  g_assert_null (strstr (subtitle, "searched for"));

  /* Shown under another target, it says it is stale and which target it
   * was searched for. */
  {
    const char *target = fb_latency_table_get_target (fb_window_get_latency_table (f->window));
    g_autofree char *expected = g_strdup_printf ("stale, searched for %s", target);
    fb_window_select_target (f->window, g_strcmp0 (target, "gap8") == 0 ? "rv32imc" : "gap8");
    fb_ui_test_spin ();
    g_clear_pointer (&subtitle, g_free);
    subtitle = label_text (f->window->config_subtitle_label);
    if (strstr (subtitle, expected) == NULL)
      g_error ("subtitle after a target switch says \"%s\"", subtitle);
  }

  /* A baseline is still called one. */
  g_clear_pointer (&subtitle, g_free);
  fb_pareto_plot_select (plot, 0);
  fb_ui_test_spin ();
  subtitle = label_text (f->window->config_subtitle_label);
  g_assert_nonnull (strstr (subtitle, "uniform baseline"));
}

static void
test_search_budgets (Fixture *f, gconstpointer data)
{
  FbSearchPanel *panel;
  FbPointSet *points;
  FbSearchParams params;
  int series;
  guint n = 0;

  if (f->window == NULL)
    return;
  panel = fb_window_get_search_panel (f->window);
  /* Budgets go from the panel into the job in bytes. */
  fb_search_panel_set_budget (panel, FB_PLOT_METRIC_SIZE, 40000);
  fb_search_panel_set_budget (panel, FB_PLOT_METRIC_PEAK_RAM, 30000);
  fb_search_panel_get_params (panel, &params);
  g_assert_cmpuint (params.constraints.max_size, ==, 40000);
  g_assert_cmpuint (params.constraints.max_ram, ==, 30000);
  g_assert_false (isfinite (params.constraints.max_latency));
  /* No oracle yet: the accuracy minimum cannot be switched on. */
  fb_search_panel_set_budget (panel, FB_PLOT_METRIC_ACCURACY, 0.9);
  fb_search_panel_get_params (panel, &params);
  g_assert_true (isnan (params.constraints.min_accuracy));

  fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_UNIFORM, "table");
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  series = fb_ui_test_find_series (points, fb_search_method_get_name (FB_SEARCH_METHOD_UNIFORM));
  g_assert_cmpint (series, >=, 0);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      if (p->series != (guint) series)
        continue;
      n++;
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_SIZE], <=, 40000);
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_PEAK_RAM], <=, 30000);
    }
  /* Some uniform configs fit and some (w8a8 at 60.9 kB) do not. */
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, 9);

  /* Switched off again: NAN. */
  fb_search_panel_set_budget (panel, FB_PLOT_METRIC_SIZE, NAN);
  fb_search_panel_get_params (panel, &params);
  g_assert_cmpuint (params.constraints.max_size, ==, 0);
}

static void
test_accuracy_oracle_hook (Fixture *f, gconstpointer data)
{
  FbAccuracyOracle *oracle;
  FbSearchPanel *panel;
  FbSearchParams params;
  FbPointSet *points;
  FbPrecisionConfig *result = NULL;
  int series;
  guint n = 0;
  g_autofree char *other = fb_ui_test_network_path ("mobilenet-v1-0.25-128");

  if (f->window == NULL)
    return;
  panel = fb_window_get_search_panel (f->window);
  /* No oracle: the minimum accuracy stays off whatever is asked. */
  fb_search_panel_set_budget (panel, FB_PLOT_METRIC_ACCURACY, 0.8);
  fb_search_panel_get_params (panel, &params);
  g_assert_true (isnan (params.constraints.min_accuracy));

  oracle = fb_ui_test_oracle_new (fb_window_get_network (f->window), 0);
  fb_window_set_accuracy_oracle (f->window, oracle);
  fb_search_panel_set_budget (panel, FB_PLOT_METRIC_ACCURACY, 0.6);
  fb_search_panel_get_params (panel, &params);
  g_assert_cmpfloat_with_epsilon (params.constraints.min_accuracy, 0.6, 1e-9);

  /* Free Bits gets the oracle: its result carries the oracle's accuracy,
   * and the plot can now show accuracy. */
  fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_FREE_BITS, "w2a2");
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  series = fb_ui_test_find_series (points, fb_search_method_get_name (FB_SEARCH_METHOD_FREE_BITS));
  g_assert_cmpint (series, >=, 0);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      if (p->series != (guint) series)
        continue;
      result = p->config;
      n++;
      g_assert_cmpfloat_with_epsilon (p->values[FB_PLOT_METRIC_ACCURACY], fb_ui_test_fake_accuracy (result), 1e-12);
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_ACCURACY], >=, 0.6);
    }
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (fb_point_set_has_metric (points, FB_PLOT_METRIC_ACCURACY));
  /* Selected, the summary shows the measured accuracy. */
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    if (fb_point_set_get_point (points, i)->config == result)
      fb_pareto_plot_select (fb_window_get_plot (f->window), (int) i);
  fb_ui_test_spin ();
  {
    g_autofree char *shown = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_ACCURACY));
    g_autofree char *expected = fb_plot_metric_format (FB_PLOT_METRIC_ACCURACY, FB_LATENCY_UNIT_INSTRUCTIONS,
                                                       fb_ui_test_fake_accuracy (result));
    g_assert_cmpstr (shown, ==, expected);
  }

  /* Another network: the oracle no longer applies. */
  fb_ui_test_open_path (f->window, other);
  fb_search_panel_get_params (panel, &params);
  g_assert_true (isnan (params.constraints.min_accuracy));
  fb_accuracy_oracle_unref (oracle);
}

static void
collect_candidate (FbCandidate *candidate, gpointer user_data)
{
  g_ptr_array_add (user_data, fb_candidate_ref (candidate));
}

/* With the engine the panel's Pareto search offers the accuracy proxy, measures
 * the sensitivities with the window's oracle and finds the front the search
 * library finds with them (the code path of freebits-cli search; tests/app
 * compares the two front ends' fronts point by point). */
static void
test_pareto_accuracy_proxy (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbSensitivity) sensitivity = NULL;
  g_autoptr(GPtrArray) direct = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  FbAccuracyOracle *oracle;
  FbSearchPanel *panel;
  FbSearchParams params;
  FbSearchJob *job;
  GPtrArray *found;
  FbParetoParams pp;

  if (f->window == NULL)
    return;
  panel = fb_window_get_search_panel (f->window);
  fb_search_panel_set_method (panel, FB_SEARCH_METHOD_PARETO);
  /* No engine, no proxy. */
  fb_search_panel_set_pareto_options (panel, "latency,accuracy", 0.01);
  fb_search_panel_get_params (panel, &params);
  g_assert_false (params.objectives & FB_PARETO_ACCURACY);

  oracle = fb_ui_test_oracle_new (fb_window_get_network (f->window), 0);
  fb_window_set_accuracy_oracle (f->window, oracle);
  fb_search_panel_set_pareto_options (panel, "latency,accuracy", 0.01);
  fb_search_panel_get_params (panel, &params);
  g_assert_cmpint (params.objectives, ==, FB_PARETO_LATENCY | FB_PARETO_ACCURACY);

  job = fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_PARETO, "table");
  g_assert_nonnull (fb_search_job_get_run (job)->measured_sensitivity);
  found = fb_search_job_get_found (job);
  g_assert_cmpuint (found->len, >, 0);

  /* The same sensitivities and the same front, computed without the window. */
  sensitivity = fb_sensitivity_measure (oracle, fb_accuracy_oracle_get_default_limit (oracle), NULL, NULL, NULL,
                                        &error);
  g_assert_no_error (error);
  pp = (FbParetoParams) {
    .network = fb_window_get_network (f->window), .table = fb_window_get_latency_table (f->window),
    .sensitivity = sensitivity, .objectives = FB_PARETO_LATENCY | FB_PARETO_ACCURACY,
    .candidate_func = collect_candidate, .user_data = direct,
  };
  g_assert_true (fb_search_pareto_run (&pp, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, direct->len);
  for (guint i = 0; i < found->len; i++)
    {
      FbCandidate *a = g_ptr_array_index (found, i), *b = g_ptr_array_index (direct, i);
      g_assert_true (fb_precision_config_equal (fb_candidate_get_config (a), fb_candidate_get_config (b)));
      g_assert_cmpfloat (json_object_get_double_member (fb_candidate_get_provenance (a), "accuracy_proxy"), ==,
                         json_object_get_double_member (fb_candidate_get_provenance (b), "accuracy_proxy"));
    }

  /* The proxy goes with the engine. */
  fb_window_set_accuracy_oracle (f->window, NULL);
  fb_search_panel_get_params (panel, &params);
  g_assert_false (params.objectives & FB_PARETO_ACCURACY);
  fb_accuracy_oracle_unref (oracle);
}

static void
test_search_respects_pins (Fixture *f, gconstpointer data)
{
  FbNetwork *net;
  FbLayerTable *table;
  FbPrecisionConfig *free_run, *pinned_run;
  const FbLayer *raised = NULL;
  g_autoptr(FbPrecisionConfig) first = NULL;
  g_autoptr(GError) error = NULL;

  if (f->window == NULL)
    return;
  net = fb_window_get_network (f->window);
  table = fb_window_get_layer_table (f->window);

  /* Unpinned, Free Bits raises some layer's 2-bit weights. */
  fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_FREE_BITS, "w2a2");
  free_run = single_result (fb_pareto_plot_get_points (fb_window_get_plot (f->window)),
                            fb_search_method_get_name (FB_SEARCH_METHOD_FREE_BITS));
  first = fb_precision_config_copy (free_run);
  for (guint i = 0; i < fb_network_get_n_layers (net) && raised == NULL; i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)) && fb_precision_config_get_weight_bits (first, i) > 2)
      raised = fb_network_get_layer (net, i);
  g_assert_nonnull (raised);

  /* Pin that layer at 2 bits in the table: the same search keeps it. */
  g_assert_true (fb_layer_table_set_weight_bits (table, raised->index, 2, &error));
  g_assert_no_error (error);
  fb_layer_table_set_pinned (table, raised->index, TRUE);
  fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_FREE_BITS, "w2a2");
  pinned_run = single_result (fb_pareto_plot_get_points (fb_window_get_plot (f->window)),
                              fb_search_method_get_name (FB_SEARCH_METHOD_FREE_BITS));
  g_assert_cmpuint (fb_precision_config_get_weight_bits (pinned_run, raised->index), ==, 2);
  g_assert_true (fb_precision_config_get_weight_pinned (pinned_run, raised->index));
  /* Its output tensor was pinned too, at the table's bits (8 from w8a8). */
  g_assert_true (fb_precision_config_get_tensor_pinned (pinned_run, raised->output));
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (pinned_run, raised->output), ==,
                    fb_precision_config_get_tensor_bits (fb_layer_table_get_config (table), raised->output));
  g_assert_false (fb_precision_config_equal (pinned_run, first));
}

static void
test_cancel_pareto (Fixture *f, gconstpointer data)
{
  g_autofree char *path = fb_ui_test_network_path ("mobilenet-v2-1.0-224");
  FbSearchPanel *panel;
  FbSearchJob *job;
  gint64 cancelled_at;
  double waited;

  if (f->window == NULL)
    return;
  fb_ui_test_open_path (f->window, path);
  g_assert_null (fb_window_get_info_message (f->window));
  g_assert_cmpstr (fb_network_get_name (fb_window_get_network (f->window)), ==, "mobilenet-v2-1.0-224");
  gtk_combo_box_set_active_id (fb_window_get_target_combo (f->window), "gap8");
  fb_ui_test_spin ();
  g_assert_cmpstr (fb_latency_table_get_target (fb_window_get_latency_table (f->window)), ==, "gap8");

  /* The exact three-objective front of MobileNetV2 takes minutes. */
  panel = fb_window_get_search_panel (f->window);
  fb_search_panel_set_pareto_options (panel, "latency,size,bops", 0);
  job = g_object_ref (fb_ui_test_start_search (f->window, FB_SEARCH_METHOD_PARETO, "table"));
  g_assert_true (fb_search_job_is_running (job));
  /* Run has turned into Cancel. */
  {
    GtkWidget *cancel = fb_search_panel_get_cancel_button (panel);
    g_assert_true (gtk_stack_get_visible_child (GTK_STACK (gtk_widget_get_parent (cancel))) == cancel);
  }
  /* Let it get going, then cancel as a user would. */
  {
    gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 5;
    while (g_get_monotonic_time () < until)
      {
        while (gtk_events_pending ())
          gtk_main_iteration_do (FALSE);
        g_usleep (1000);
      }
  }
  g_assert_true (fb_search_job_is_running (job));
  cancelled_at = g_get_monotonic_time ();
  gtk_button_clicked (GTK_BUTTON (fb_search_panel_get_cancel_button (panel)));
  fb_ui_test_wait_for_search (job, FB_UI_TEST_HANG_SECONDS);   /* only catches a hang; the message reports the time */
  waited = (double) (g_get_monotonic_time () - cancelled_at) / G_USEC_PER_SEC;
  g_test_message ("cancel took %.3f s", waited);
  g_assert_error ((GError *) fb_search_job_get_error (job), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (strstr (fb_search_panel_get_status (panel), "Cancelled"));
  /* Not an error for the info bar. */
  g_assert_null (fb_window_get_info_message (f->window));
  g_object_unref (job);
}

static void
test_close_cancels_search (Fixture *f, gconstpointer data)
{
  g_autofree char *path = fb_ui_test_network_path ("mobilenet-v2-1.0-224");
  g_autoptr(FbSearchJob) job = NULL;

  if (f->window == NULL)
    return;
  fb_ui_test_open_path (f->window, path);
  gtk_combo_box_set_active_id (fb_window_get_target_combo (f->window), "gap8");
  fb_search_panel_set_pareto_options (fb_window_get_search_panel (f->window), "latency,size,bops", 0);
  job = g_object_ref (fb_ui_test_start_search (f->window, FB_SEARCH_METHOD_PARETO, "table"));
  fb_ui_test_spin ();
  gtk_widget_destroy (GTK_WIDGET (f->window));
  f->window = NULL;
  /* The worker sees the window's cancellable and stops. */
  fb_ui_test_wait_for_search (job, FB_UI_TEST_HANG_SECONDS);
  g_assert_error ((GError *) fb_search_job_get_error (job), G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

typedef struct {
  gint64 last;
  gint64 max_gap;
} LoopProbe;

static gboolean
probe_tick (gpointer data)
{
  LoopProbe *probe = data;
  gint64 now = g_get_monotonic_time ();

  if (probe->last != 0)
    probe->max_gap = MAX (probe->max_gap, now - probe->last);
  probe->last = now;
  return G_SOURCE_CONTINUE;
}

static void
test_stream_large_front (Fixture *f, gconstpointer data)
{
  g_autofree char *path = fb_ui_test_network_path ("mobilenet-v2-1.0-224");
  g_autoptr(FbSearchJob) job = NULL;
  LoopProbe probe = { 0, 0 };
  guint probe_id;
  FbPointSet *points;
  int series;

  if (f->window == NULL)
    return;
#ifdef __SANITIZE_ADDRESS__
  /* The search alone took over 5 minutes under ASan + UBSan (7 s for the
   * whole test without); the DP runs under them in search-pareto. */
  g_test_skip ("under ASan + UBSan: the exact Pareto search over MobileNetV2 takes minutes");
  return;
#endif
  fb_ui_test_open_path (f->window, path);
  gtk_combo_box_set_active_id (fb_window_get_target_combo (f->window), "gap8");
  fb_ui_test_spin ();
  /* Thousands of configs on the two-objective front, streamed in batches. */
  fb_search_panel_set_pareto_options (fb_window_get_search_panel (f->window), "latency,size", 0);
  probe_id = g_timeout_add (5, probe_tick, &probe);
  job = g_object_ref (fb_ui_test_start_search (f->window, FB_SEARCH_METHOD_PARETO, "table"));
  fb_ui_test_wait_for_search (job, FB_UI_TEST_HANG_SECONDS);
  g_source_remove (probe_id);
  g_assert_null (fb_search_job_get_error (job));
  g_assert_cmpuint (fb_search_job_get_n_results (job), >, 1000);
  /* Every candidate the job produced is in the plot, in its own series. */
  g_assert_cmpuint (fb_window_get_n_results (f->window), ==, fb_search_job_get_n_results (job));
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  series = fb_ui_test_find_series (points, fb_search_method_get_name (FB_SEARCH_METHOD_PARETO));
  g_assert_cmpint (series, >=, 0);
  g_assert_cmpuint (fb_point_set_get_series_size (points, series), ==, fb_search_job_get_n_results (job));
  /* Reported, not asserted (tests check behaviour, not timing). */
  g_test_message ("%u candidates in %.2f s; longest main-loop stall while streaming: %.1f ms",
                  fb_search_job_get_n_results (job), fb_search_job_get_elapsed (job), probe.max_gap / 1000.0);
}

static void
test_switch_target (Fixture *f, gconstpointer data)
{
  GtkComboBox *combo;
  GtkTreeModel *model;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *saved = NULL;
  FbLatencyTable *gap8;
  FbMetrics m;
  g_autoptr(FbWindow) second = NULL;

  if (f->window == NULL)
    return;
  /* Every bundled table of fmnist-mbv1 is a target; rv32imc is the default. */
  combo = fb_window_get_target_combo (f->window);
  model = gtk_combo_box_get_model (combo);
  g_assert_cmpint (gtk_tree_model_iter_n_children (model, NULL), >=, 3);
  g_assert_cmpstr (gtk_combo_box_get_active_id (combo), ==, "rv32imc");
  g_assert_cmpstr (gtk_combo_box_get_active_id (fb_search_panel_get_target_combo (fb_window_get_search_panel (f->window))),
                   ==, "rv32imc");
  before = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_LATENCY));

  gtk_combo_box_set_active_id (combo, "gap8");
  fb_ui_test_spin ();
  gap8 = fb_window_get_latency_table (f->window);
  g_assert_cmpstr (fb_latency_table_get_target (gap8), ==, "gap8");
  after = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_LATENCY));
  g_assert_cmpstr (after, !=, before);
  /* What the core computes for w8a8 on gap8, in the table's unit. */
  g_assert_true (fb_metrics_compute (fb_layer_table_get_config (fb_window_get_layer_table (f->window)), gap8, &m, NULL, NULL));
  expected = fb_plot_metric_format (FB_PLOT_METRIC_LATENCY, fb_latency_table_get_unit (gap8), m.latency);
  g_assert_cmpstr (after, ==, expected);
  /* The search panel's selector follows, and the plot's points moved. */
  g_assert_cmpstr (gtk_combo_box_get_active_id (fb_search_panel_get_target_combo (fb_window_get_search_panel (f->window))),
                   ==, "gap8");
  g_assert_cmpstr (fb_point_set_get_target (fb_pareto_plot_get_points (fb_window_get_plot (f->window))), ==, "gap8");

  /* Remembered: a new window opens on gap8. */
  saved = g_settings_get_string (fb_application_get_settings (app), "last-target");
  g_assert_cmpstr (saved, ==, "gap8");
  second = g_object_ref_sink (fb_window_new (app));
  g_assert_cmpstr (fb_latency_table_get_target (fb_window_get_latency_table (second)), ==, "gap8");
  gtk_widget_destroy (GTK_WIDGET (second));
}

/* Whether the plot has a series named @name, each of its points flagged
 * stale as @stale says, and the results table rows of that method. */
static void
check_stale (Fixture *f, const char *name, gboolean stale)
{
  FbPointSet *points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  int series = fb_ui_test_find_series (points, name);
  GtkTreeModel *model;
  GtkTreeIter iter;
  guint n = 0, rows = 0;

  /* The table fills its view when its page is shown. */
  fb_window_show_results_page (f->window, TRUE);
  fb_ui_test_spin ();
  model = gtk_tree_view_get_model (fb_results_table_get_view (fb_window_get_results_table (f->window)));

  if (!stale)
    {
      /* A name without "stale" may exist; no point may be flagged. */
      for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
        g_assert_false (fb_point_set_get_point (points, i)->flags & FB_PLOT_POINT_STALE);
      return;
    }
  g_assert_cmpint (series, >=, 0);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      g_assert_true (((p->flags & FB_PLOT_POINT_STALE) != 0) == (p->series == (guint) series));
      n += p->series == (guint) series;
    }
  g_assert_cmpuint (n, >, 0);
  for (gboolean ok = gtk_tree_model_get_iter_first (model, &iter); ok; ok = gtk_tree_model_iter_next (model, &iter))
    {
      g_autofree char *method = NULL;
      gtk_tree_model_get (model, &iter, FB_RESULTS_TABLE_COLUMN_METHOD, &method, -1);
      rows += g_strcmp0 (method, name) == 0;
    }
  g_assert_cmpuint (rows, ==, n);
}

static void
test_search_results_follow_target (Fixture *f, gconstpointer data)
{
  FbPointSet *points;
  FbLatencyTable *table;

  if (f->window == NULL)
    return;
  fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_PARETO, "table");
  g_assert_cmpuint (fb_window_get_n_results (f->window), >, 1);

  /* After a switch every result shows its latency on the new target. */
  gtk_combo_box_set_active_id (fb_window_get_target_combo (f->window), "gap8-xpulpnn");
  fb_ui_test_spin ();
  table = fb_window_get_latency_table (f->window);
  g_assert_cmpstr (fb_latency_table_get_target (table), ==, "gap8-xpulpnn");
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  for (guint i = 9; i < fb_point_set_get_n_points (points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      FbMetrics m;
      g_assert_true (fb_metrics_compute (p->config, table, &m, NULL, NULL));
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_LATENCY], ==, m.latency);
    }
  check_stale (f, "Pareto DP (rv32imc, stale)", TRUE);

  /* Run again for this target: fresh, under the method's own name. */
  fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_PARETO, "table");
  check_stale (f, "Pareto DP (rv32imc, stale)", FALSE);
  check_stale (f, fb_search_method_get_name (FB_SEARCH_METHOD_PARETO), FALSE);
  g_assert_cmpint (fb_ui_test_find_series (fb_pareto_plot_get_points (fb_window_get_plot (f->window)),
                                           fb_search_method_get_name (FB_SEARCH_METHOD_PARETO)), >=, 0);
}

static void
test_candidates_files (Fixture *f, gconstpointer data)
{
  guint n;
  g_autofree char *path = NULL;
  g_autofree char *stale = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbCandidateList) back = NULL;
  g_autoptr(JsonNode) root = NULL;
  FbPointSet *points;

  if (f->window == NULL)
    return;
  /* Nothing to save yet. */
  path = g_build_filename (f->tmpdir, "results.json", NULL);
  g_assert_false (fb_window_save_candidates (f->window, path, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  fb_ui_test_run_search (f->window, FB_SEARCH_METHOD_PARETO, "table");
  n = fb_window_get_n_results (f->window);
  g_assert_cmpuint (n, >, 1);
  g_assert_true (fb_window_save_candidates (f->window, path, &error));
  g_assert_no_error (error);
  back = fb_candidate_list_load (fb_window_get_network (f->window), path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fb_candidate_list_get_length (back), ==, n);
  g_assert_cmpstr (fb_candidate_get_method (fb_candidate_list_get (back, 0)), ==, "pareto");

  /* Cleared, then opened from the file: the same candidates, one series. */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "clear-results", NULL);
  fb_ui_test_spin ();
  g_assert_cmpuint (fb_window_get_n_results (f->window), ==, 0);
  g_assert_cmpuint (fb_point_set_get_n_points (fb_pareto_plot_get_points (fb_window_get_plot (f->window))), ==, 9);
  fb_ui_test_open_path (f->window, path);
  g_assert_null (fb_window_get_info_message (f->window));
  g_assert_cmpuint (fb_window_get_n_results (f->window), ==, n);
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  g_assert_cmpint (fb_ui_test_find_series (points, "results.json"), >=, 0);
  g_assert_cmpuint (fb_point_set_get_n_points (points), ==, 9 + n);

  /* A stale file (a size that does not match its config): the info bar
   * names the file, and nothing loaded is lost. */
  {
    JsonObject *first;
    g_autofree char *text = NULL;
    root = fb_candidate_list_to_json (back);
    first = json_array_get_object_element (json_object_get_array_member (json_node_get_object (root), "candidates"), 0);
    json_object_set_int_member (first, "size_bytes", 1);
    text = json_to_string (root, TRUE);
    stale = write_file (f, "stale-candidates.json", text);
  }
  fb_ui_test_open_path (f->window, stale);
  assert_info_mentions (f, "stale-candidates.json");
  g_assert_cmpuint (fb_window_get_n_results (f->window), ==, n);
}

static void
test_settings (Fixture *f, gconstpointer data)
{
  GSettings *settings;
  FbParetoPlot *plot;

  if (f->window == NULL)
    return;
  settings = fb_application_get_settings (app);
  plot = fb_window_get_plot (f->window);
  g_assert_false (g_settings_get_boolean (settings, "log-x"));
  fb_pareto_plot_set_log_x (plot, TRUE);
  fb_ui_test_spin ();
  /* Plot → toggle (binding) → settings. */
  g_assert_true (g_settings_get_boolean (settings, "log-x"));
  fb_search_panel_set_method (fb_window_get_search_panel (f->window), FB_SEARCH_METHOD_FREE_BITS);
  {
    g_autofree char *method = g_settings_get_string (settings, "search-method");
    g_assert_cmpstr (method, ==, "free-bits");
  }

  /* A new window takes them up, and its size from the settings. */
  g_settings_set_int (settings, "window-width", 1111);
  g_settings_set_int (settings, "window-height", 777);
  g_settings_set_string (settings, "x-axis", "bops");
  g_settings_set_string (settings, "y-axis", "peak-ram");
  {
    g_autoptr(FbWindow) second = g_object_ref_sink (fb_window_new (app));
    int w, h;
    gtk_window_get_default_size (GTK_WINDOW (second), &w, &h);
    g_assert_cmpint (w, ==, 1111);
    g_assert_cmpint (h, ==, 777);
    g_assert_true (fb_pareto_plot_get_log_x (fb_window_get_plot (second)));
    g_assert_cmpint (fb_search_panel_get_method (fb_window_get_search_panel (second)), ==, FB_SEARCH_METHOD_FREE_BITS);
    g_assert_cmpint (fb_pareto_plot_get_x_metric (fb_window_get_plot (second)), ==, FB_PLOT_METRIC_BOPS);
    g_assert_cmpint (fb_pareto_plot_get_y_metric (fb_window_get_plot (second)), ==, FB_PLOT_METRIC_PEAK_RAM);
    gtk_widget_destroy (GTK_WIDGET (second));
  }
}

/* ---- accuracy engine and C bundle ------------------------------------------ */

/* Images per evaluation in these tests: enough to be a real measurement,
 * few enough to keep the suite quick. */
#define TEST_ACCURACY_LIMIT 200
/* A Fashion-MNIST directory that does not exist. */
#define NO_DATASET_DIR "/nonexistent/fashion-mnist"

/* @data: the Fashion-MNIST directory the windows use (NULL: the system one). */
static void
accuracy_setup (Fixture *f, gconstpointer data)
{
  fb_window_set_accuracy_defaults (TRUE, TEST_ACCURACY_LIMIT, data);
  fb_ui_test_fixture_setup (f, data);
}

static void
accuracy_teardown (Fixture *f, gconstpointer data)
{
  fb_ui_test_fixture_teardown (f, data);
  fb_window_set_accuracy_defaults (FALSE, 0, NULL);
}

/* fb_ui_test_wait_until() for a condition on the fixture and an argument. */
typedef struct {
  gboolean    (*cond) (Fixture *f, gconstpointer arg);
  Fixture      *f;
  gconstpointer arg;
} Condition;

static gboolean
condition_holds (gpointer data)
{
  Condition *c = data;
  return c->cond (c->f, c->arg);
}

static void
wait_until (gboolean (*cond) (Fixture *f, gconstpointer arg), Fixture *f, gconstpointer arg, int seconds,
            const char *what)
{
  Condition c = { cond, f, arg };

  fb_ui_test_wait_until (condition_holds, &c, seconds, what);
}

static gboolean
has_engine (Fixture *f, gconstpointer arg)
{
  return fb_window_get_accuracy_engine (f->window) != NULL;
}

static gboolean
engine_idle (Fixture *f, gconstpointer arg)
{
  return fb_accuracy_engine_get_n_pending (fb_window_get_accuracy_engine (f->window)) == 0;
}

static gboolean
message_contains (Fixture *f, gconstpointer arg)
{
  const char *msg = fb_window_get_info_message (f->window);
  return msg != NULL && strstr (msg, arg) != NULL;
}

/* Index of the uniform baseline @label in the plot's model, or -1. */
static int
find_baseline (FbPointSet *points, const char *label)
{
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      if ((p->flags & FB_PLOT_POINT_BASELINE) && g_strcmp0 (p->label, label) == 0)
        return (int) i;
    }
  return -1;
}

static gboolean
baseline_measured (Fixture *f, gconstpointer label)
{
  FbPointSet *points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  int i = find_baseline (points, label);

  return i >= 0 && !isnan (fb_point_set_get_point (points, i)->values[FB_PLOT_METRIC_ACCURACY]);
}

static gboolean
summary_measured (Fixture *f, gconstpointer arg)
{
  FbAccuracyEngine *engine = fb_window_get_accuracy_engine (f->window);
  FbPrecisionConfig *config = fb_layer_table_get_config (fb_window_get_layer_table (f->window));

  return fb_accuracy_engine_lookup (engine, config, TEST_ACCURACY_LIMIT, NULL);
}

/* What the oracle itself says for @config, formatted as the summary shows it. */
static char *
oracle_accuracy_text (FbAccuracyOracle *oracle, FbPrecisionConfig *config)
{
  g_autoptr(GError) error = NULL;
  double accuracy = NAN;

  g_assert_true (fb_accuracy_oracle_evaluate (oracle, config, TEST_ACCURACY_LIMIT, NULL, &accuracy, &error));
  g_assert_no_error (error);
  return fb_plot_metric_format (FB_PLOT_METRIC_ACCURACY, FB_LATENCY_UNIT_INSTRUCTIONS, accuracy);
}

static void
test_accuracy_engine (Fixture *f, gconstpointer data)
{
  g_autofree char *images = g_build_filename (FB_FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz", NULL);
  g_autofree char *bundle = NULL;
  g_autofree char *network_c = NULL;
  g_autofree char *readme = NULL;
  FbAccuracyEngine *engine;
  FbAccuracyOracle *oracle;
  FbSearchPanel *panel;
  FbSearchParams params;
  FbPointSet *points;
  FbLayerTable *table;
  FbNetwork *net;
  const FbPlotPoint *p;
  guint n_before;
  int idx;

  if (f->window == NULL)
    return;
  if (!g_file_test (images, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed (Debian package " FB_FASHION_MNIST_PACKAGE ")");
      return;
    }
  /* The network next to its committed float weights only (whatever trained
   * weights the data directory holds today): the engine finds
   * <name>-float.fbw and calibrates it. */
  {
    g_autofree char *source = fb_ui_test_network_path ("fmnist-mbv1");
    g_autofree char *dir = g_path_get_dirname (source);
    g_autofree char *float_src = g_build_filename (dir, "fmnist-mbv1-float.fbw", NULL);
    g_autofree char *float_dst = g_build_filename (f->tmpdir, "fmnist-mbv1-float.fbw", NULL);
    g_autofree char *contents = NULL;
    g_autofree char *blob = NULL;
    g_autofree char *copy = NULL;
    gsize length = 0;

    g_assert_true (g_file_get_contents (source, &contents, NULL, NULL));
    g_assert_true (g_file_get_contents (float_src, &blob, &length, NULL));
    g_assert_true (g_file_set_contents (float_dst, blob, (gssize) length, NULL));
    copy = write_file (f, "fmnist-mbv1.json", contents);
    fb_window_set_accuracy_defaults (TRUE, TEST_ACCURACY_LIMIT, NULL);
    fb_ui_test_open_path (f->window, copy);
  }
  /* Made in a worker thread from the float weights and the data set. */
  fb_ui_test_reset_dispatch ();
  wait_until (has_engine, f, NULL, FB_UI_TEST_WORK_SECONDS, "the accuracy engine");
  engine = fb_window_get_accuracy_engine (f->window);
  oracle = fb_accuracy_engine_get_oracle (engine);
  g_assert_true (fb_nn_oracle_is (oracle));
  g_assert_cmpuint (fb_accuracy_engine_get_default_limit (engine), ==, TEST_ACCURACY_LIMIT);
  g_assert_true (g_str_has_suffix (fb_accuracy_engine_get_weights_path (engine), "fmnist-mbv1-float.fbw"));
  g_assert_null (fb_window_get_info_message (f->window));

  /* The minimum accuracy of the search panel is usable now. */
  panel = fb_window_get_search_panel (f->window);
  fb_search_panel_set_budget (panel, FB_PLOT_METRIC_ACCURACY, 0.5);
  fb_search_panel_get_params (panel, &params);
  g_assert_cmpfloat_with_epsilon (params.constraints.min_accuracy, 0.5, 1e-9);
  fb_search_panel_set_budget (panel, FB_PLOT_METRIC_ACCURACY, NAN);

  /* Baselines are measured in the background and reach the plot's model. */
  wait_until (baseline_measured, f, "w4a8", FB_UI_TEST_WORK_SECONDS, "the accuracy of w4a8");
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  idx = find_baseline (points, "w4a8");
  p = fb_point_set_get_point (points, idx);
  {
    g_autoptr(GError) error = NULL;
    double expected = NAN;
    g_assert_true (fb_accuracy_oracle_evaluate (oracle, p->config, TEST_ACCURACY_LIMIT, NULL, &expected, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat (p->values[FB_PLOT_METRIC_ACCURACY], ==, expected);
    g_assert_cmpfloat (expected, >, 0.1);  /* better than guessing among 10 classes */
  }
  g_assert_true (fb_point_set_has_metric (points, FB_PLOT_METRIC_ACCURACY));

  /* The config in the table (w8a8) is measured too; once every baseline is,
   * the plot shows accuracy. */
  wait_until (engine_idle, f, NULL, FB_UI_TEST_WORK_SECONDS, "the baselines");
  wait_until (summary_measured, f, NULL, FB_UI_TEST_WORK_SECONDS, "the summary's accuracy");
  fb_ui_test_spin ();
  g_assert_cmpint (fb_pareto_plot_get_y_metric (fb_window_get_plot (f->window)), ==, FB_PLOT_METRIC_ACCURACY);
  {
    g_autofree char *shown = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_ACCURACY));
    g_autofree char *expected = oracle_accuracy_text (oracle, fb_layer_table_get_config (fb_window_get_layer_table (f->window)));
    g_assert_cmpstr (shown, ==, expected);
  }

  /* Editing a bit-width: "measuring…" at once, then the new config's own
   * accuracy. */
  table = fb_window_get_layer_table (f->window);
  net = fb_window_get_network (f->window);
  g_assert_true (fb_layer_table_set_weight_bits (table, fb_network_lookup_layer (net, "pw6")->index, 2, NULL));
  {
    g_autofree char *shown = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_ACCURACY));
    g_assert_cmpstr (shown, ==, "measuring…");
  }
  wait_until (summary_measured, f, NULL, FB_UI_TEST_WORK_SECONDS, "the edited config's accuracy");
  fb_ui_test_spin ();
  {
    g_autofree char *shown = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_ACCURACY));
    g_autofree char *expected = oracle_accuracy_text (oracle, fb_layer_table_get_config (table));
    g_assert_cmpstr (shown, ==, expected);
  }

  /* A burst of edits costs one evaluation: only the last config is measured. */
  wait_until (engine_idle, f, NULL, FB_UI_TEST_WORK_SECONDS, "the engine");
  n_before = fb_nn_oracle_get_n_evaluations (oracle);
  g_assert_true (fb_layer_table_set_weight_bits (table, fb_network_lookup_layer (net, "pw5")->index, 4, NULL));
  g_assert_true (fb_layer_table_set_weight_bits (table, fb_network_lookup_layer (net, "pw4")->index, 4, NULL));
  g_assert_true (fb_layer_table_set_weight_bits (table, fb_network_lookup_layer (net, "pw3")->index, 4, NULL));
  wait_until (summary_measured, f, NULL, FB_UI_TEST_WORK_SECONDS, "the last edit's accuracy");
  wait_until (engine_idle, f, NULL, FB_UI_TEST_WORK_SECONDS, "the engine");
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (oracle), ==, n_before + 1);
  fb_ui_test_spin ();
  {
    g_autofree char *shown = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_ACCURACY));
    g_autofree char *expected = oracle_accuracy_text (oracle, fb_layer_table_get_config (table));
    g_assert_cmpstr (shown, ==, expected);
  }

  /* All test images on request: measured anew; back to the default, the
   * known value at once and the full evaluation is dropped. */
  {
    FbPrecisionConfig *config = fb_layer_table_get_config (table);
    g_autofree char *before = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_ACCURACY));
    g_autofree char *during = NULL;
    g_autofree char *after = NULL;

    g_action_group_change_action_state (G_ACTION_GROUP (f->window), "full-test-set", g_variant_new_boolean (TRUE));
    during = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_ACCURACY));
    g_assert_cmpstr (during, ==, "measuring…");
    g_assert_true (fb_accuracy_engine_is_pending (engine, config, 0));
    g_action_group_change_action_state (G_ACTION_GROUP (f->window), "full-test-set", g_variant_new_boolean (FALSE));
    after = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_ACCURACY));
    g_assert_cmpstr (after, ==, before);
    g_assert_false (fb_accuracy_engine_is_pending (engine, config, 0));
    wait_until (engine_idle, f, NULL, FB_UI_TEST_WORK_SECONDS, "the engine");
  }

  /* Export C Bundle through the window's action, into a temporary folder. */
  bundle = g_build_filename (f->tmpdir, "bundle", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "export-bundle-to", g_variant_new_string (bundle));
  wait_until (message_contains, f, bundle, FB_UI_TEST_WORK_SECONDS, "the export");
  g_assert_cmpint (gtk_info_bar_get_message_type (fb_window_get_info_bar (f->window)), ==, GTK_MESSAGE_INFO);
  network_c = g_build_filename (bundle, "network.c", NULL);
  readme = g_build_filename (bundle, "README.md", NULL);
  g_assert_true (g_file_test (network_c, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (readme, G_FILE_TEST_IS_REGULAR));
  fb_ui_test_remove_tree (bundle);
  {
    double wall, cpu;
    fb_ui_test_longest_dispatch (&wall, &cpu);
    g_test_message ("longest main-loop dispatch while loading, measuring and exporting: %.1f ms "
                    "wall clock, %.1f ms main-thread CPU", wall, cpu);
  }
}

/* No weights for the network: an info bar says so, and the rest works. */
static void
test_accuracy_missing_weights (Fixture *f, gconstpointer data)
{
  g_autofree char *source = fb_ui_test_network_path ("fmnist-mbv1");
  g_autofree char *contents = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *size = NULL;
  FbSearchPanel *panel;
  FbSearchParams params;

  if (f->window == NULL)
    return;
  /* The network alone in a folder without any .fbw. */
  g_assert_true (g_file_get_contents (source, &contents, NULL, NULL));
  copy = write_file (f, "fmnist-mbv1.json", contents);
  fb_ui_test_open_path (f->window, copy);
  wait_until (message_contains, f, "no trained weights", FB_UI_TEST_HANG_SECONDS, "the missing-weights message");
  g_assert_cmpint (gtk_info_bar_get_message_type (fb_window_get_info_bar (f->window)), ==, GTK_MESSAGE_INFO);
  g_assert_null (fb_window_get_accuracy_engine (f->window));

  /* No accuracy minimum, but everything else. */
  panel = fb_window_get_search_panel (f->window);
  fb_search_panel_set_budget (panel, FB_PLOT_METRIC_ACCURACY, 0.8);
  fb_search_panel_get_params (panel, &params);
  g_assert_true (isnan (params.constraints.min_accuracy));
  size = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_SIZE));
  g_assert_cmpstr (size, ==, "60.9\u202fkB");

  /* Nothing to export either: the info bar says why, nothing is written. */
  {
    g_autofree char *bundle = g_build_filename (f->tmpdir, "bundle", NULL);
    g_action_group_activate_action (G_ACTION_GROUP (f->window), "export-bundle-to", g_variant_new_string (bundle));
    wait_until (message_contains, f, "no trained weights to export", FB_UI_TEST_HANG_SECONDS, "the export error");
    g_assert_cmpint (gtk_info_bar_get_message_type (fb_window_get_info_bar (f->window)), ==, GTK_MESSAGE_ERROR);
    g_assert_false (g_file_test (bundle, G_FILE_TEST_EXISTS));
  }
}

/* Export C Bundle… asks where (named after network and config), how many
 * test images, whether to replace. */
static void
test_export_dialog (Fixture *f, gconstpointer data)
{
  FbExportDialog *dialog = NULL;
  g_autofree char *path = NULL;
  GList *toplevels;

  if (f->window == NULL)
    return;
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "export-bundle", NULL);
  fb_ui_test_spin ();
  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (FB_IS_EXPORT_DIALOG (l->data) &&
        gtk_window_get_transient_for (GTK_WINDOW (l->data)) == GTK_WINDOW (f->window))
      dialog = l->data;
  g_list_free (toplevels);
  g_assert_nonnull (dialog);
  path = fb_export_dialog_get_path (dialog);
  g_assert_nonnull (path);
  g_assert_true (g_str_has_suffix (path, G_DIR_SEPARATOR_S "fmnist-mbv1-w8a8"));
  g_assert_cmpuint (fb_export_dialog_get_images (dialog), ==, 1000);
  g_assert_false (fb_export_dialog_get_force (dialog));
  /* Cancel closes it and exports nothing. */
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  fb_ui_test_spin ();
  g_assert_null (fb_window_get_info_message (f->window));
}

/* No Fashion-MNIST: the info bar names the package to install. */
static void
test_accuracy_missing_dataset (Fixture *f, gconstpointer data)
{
  if (f->window == NULL)
    return;
  wait_until (message_contains, f, FB_FASHION_MNIST_PACKAGE, FB_UI_TEST_HANG_SECONDS, "the missing-data message");
  g_assert_true (message_contains (f, NO_DATASET_DIR));
  g_assert_null (fb_window_get_accuracy_engine (f->window));
  {
    g_autofree char *value = label_text (fb_window_get_summary_label (f->window, FB_PLOT_METRIC_ACCURACY));
    g_assert_cmpstr (value, !=, "measuring…");
  }
  /* The plot still has its nine baselines. */
  g_assert_cmpuint (fb_point_set_get_n_points (fb_pareto_plot_get_points (fb_window_get_plot (f->window))), ==, 9);
}

int
main (int argc, char **argv)
{
  int status;

  app = fb_ui_test_init (&argc, &argv);

#define ADD(path, fn) g_test_add ("/ui/window/" path, Fixture, NULL, fb_ui_test_fixture_setup, fn, fb_ui_test_fixture_teardown)
  /* First: a theme switch restyles every style context, and an earlier
   * test's stale one (inside GTK) would take it down. */
  ADD ("dark-theme-plot", test_dark_theme_plot);
  ADD ("bundled-network", test_bundled_network);
  ADD ("edit-updates-summary", test_edit_updates_summary);
  ADD ("activation-edit-and-pins", test_activation_edit_and_pins);
  ADD ("select-point", test_select_point);
  ADD ("undo", test_undo);
  ADD ("bad-files", test_bad_files);
  ADD ("open-config", test_open_config);
  ADD ("save-config", test_save_config);
  ADD ("file-stem", test_file_stem);
  ADD ("open-latency-table", test_open_latency_table);
  ADD ("open-order", test_open_order);
  ADD ("export-plot", test_export_plot);
  ADD ("screenshot-not-blank", test_screenshot_not_blank);
  ADD ("close-cancels", test_close_cancels);
  ADD ("search-uniform-and-free-bits", test_search_uniform_and_free_bits);
  ADD ("search-budgets", test_search_budgets);
  ADD ("result-subtitle-names-method", test_result_subtitle_names_method);
  ADD ("search-respects-pins", test_search_respects_pins);
  ADD ("accuracy-oracle-hook", test_accuracy_oracle_hook);
  ADD ("pareto-accuracy-proxy", test_pareto_accuracy_proxy);
  ADD ("cancel-pareto", test_cancel_pareto);
  ADD ("close-cancels-search", test_close_cancels_search);
  ADD ("stream-large-front", test_stream_large_front);
  ADD ("switch-target", test_switch_target);
  ADD ("search-results-follow-target", test_search_results_follow_target);
  ADD ("candidates-files", test_candidates_files);
  ADD ("settings", test_settings);
  ADD ("export-dialog", test_export_dialog);
#undef ADD
#define ADD_ACC(path, dir, fn) \
  g_test_add ("/ui/window/" path, Fixture, dir, accuracy_setup, fn, accuracy_teardown)
  ADD_ACC ("accuracy-missing-dataset", NO_DATASET_DIR, test_accuracy_missing_dataset);
  ADD_ACC ("accuracy-missing-weights", NO_DATASET_DIR, test_accuracy_missing_weights);
  /* Made with the engine off; the test opens its own copy of the network. */
  g_test_add ("/ui/window/accuracy-engine-and-export", Fixture, NULL, fb_ui_test_fixture_setup, test_accuracy_engine,
              accuracy_teardown);
#undef ADD_ACC

  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
