/* test-window.c — the main window in-process (under Xvfb): bundled network,
 * layer table edits, plot selection, files good and bad, export, closing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "fb-application.h"
#include "fb-error.h"
#include "fb-latency-table.h"
#include "fb-metrics.h"
#include "fb-plot-view.h"
#include "fb-precision-config.h"
#include "fb-window-private.h"

static FbApplication *app;
static gboolean have_display;

typedef struct {
  FbWindow *window;
  char     *tmpdir;
} Fixture;

static void
spin (void)
{
  /* Let the window map, lay out and draw. */
  for (guint i = 0; i < 5; i++)
    {
      while (gtk_events_pending ())
        gtk_main_iteration_do (FALSE);
      g_usleep (2000);
    }
}

static char *
network_path (const char *name)
{
  const char *root = g_getenv ("FB_SOURCE_ROOT");
  g_autofree char *file = g_strconcat (name, ".json", NULL);

  if (root != NULL)
    return g_build_filename (root, "data", "networks", file, NULL);
  return g_test_build_filename (G_TEST_DIST, "..", "..", "data", "networks", file, NULL);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run (meson does when it finds xvfb-run)");
      return;
    }
  f->tmpdir = g_dir_make_tmp ("fb-window-XXXXXX", NULL);
  f->window = fb_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_widget_show (GTK_WIDGET (f->window));
  spin ();
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->window != NULL)
    gtk_widget_destroy (GTK_WIDGET (f->window));
  spin ();
  if (f->tmpdir != NULL)
    remove_tree (f->tmpdir);
  g_free (f->tmpdir);
}

static char *
write_file (Fixture *f, const char *name, const char *contents)
{
  char *path = g_build_filename (f->tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
open_path (Fixture *f, const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  fb_window_open_file (f->window, file);
  spin ();
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
  spin ();
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
  spin ();
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
  spin ();
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
      open_path (f, path);
      assert_info_mentions (f, cases[i].name);
      assert_info_mentions (f, cases[i].mention);
      dismiss_info (f);
    }
  /* A file that does not exist. */
  {
    g_autofree char *path = g_build_filename (f->tmpdir, "missing.json", NULL);
    open_path (f, path);
    assert_info_mentions (f, "missing.json");
  }
  /* Several bad files at once: all are reported. */
  {
    g_autofree char *a = write_file (f, "one.json", "{");
    g_autofree char *b = write_file (f, "two.json", "{");
    GFile *files[2] = { g_file_new_for_path (a), g_file_new_for_path (b) };
    dismiss_info (f);
    fb_window_open_files (f->window, files, 2);
    spin ();
    assert_info_mentions (f, "one.json");
    assert_info_mentions (f, "two.json");
    g_object_unref (files[0]);
    g_object_unref (files[1]);
  }
  /* Nothing was replaced. */
  g_assert_true (fb_window_get_network (f->window) == before);
  g_assert_cmpuint (fb_layer_table_get_n_rows (fb_window_get_layer_table (f->window)), ==, 14);
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

  open_path (f, path);
  g_assert_null (fb_window_get_info_message (f->window));
  shown = fb_layer_table_get_config (fb_window_get_layer_table (f->window));
  g_assert_true (fb_precision_config_equal (shown, config));
  g_assert_true (fb_precision_config_get_weight_pinned (shown, 0));
  name = label_text (fb_window_get_config_label (f->window));
  g_assert_cmpstr (name, ==, "mixed.json");
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
  g_assert_true (fb_window_save_config (f->window, path, &error));
  g_assert_no_error (error);
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
  open_path (f, path);
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
  g_autofree char *net_path = network_path ("mobilenet-v1-0.25-128");
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
  spin ();
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
    g_autofree char *fm_path = network_path ("fmnist-mbv1");
    g_autoptr(FbNetwork) fm = fb_network_load (fm_path, NULL);
    g_autofree char *wrong = write_latency_table (f, fm, "fmnist-table.json");
    open_path (f, wrong);
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

static void
test_close_cancels (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = NULL;

  if (f->window == NULL)
    return;
  cancellable = g_object_ref (fb_window_get_cancellable (f->window));
  g_assert_false (g_cancellable_is_cancelled (cancellable));
  gtk_window_close (GTK_WINDOW (f->window));
  spin ();
  f->window = NULL; /* closed and destroyed by GTK */
  g_assert_true (g_cancellable_is_cancelled (cancellable));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  /* Recent files go to a throwaway home, not the user's. (Not
   * G_TEST_OPTION_ISOLATE_DIRS: it also hides XDG_DATA_DIRS, and with it
   * the MIME database GTK needs to load its icons.) */
  {
    g_autofree char *home = g_dir_make_tmp ("fb-test-home-XXXXXX", NULL);
    g_autofree char *data = g_build_filename (home, "data", NULL);
    g_autofree char *config = g_build_filename (home, "config", NULL);
    g_autofree char *cache = g_build_filename (home, "cache", NULL);
    g_setenv ("HOME", home, TRUE);
    g_setenv ("XDG_DATA_HOME", data, TRUE);
    g_setenv ("XDG_CONFIG_HOME", config, TRUE);
    g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  }
  g_test_init (&argc, &argv, NULL);
  g_set_application_name ("freebits");
  have_display = gtk_init_check (&argc, &argv);

  if (have_display)
    {
      app = fb_application_new ();
      /* Tests may run next to a real instance; never hand over to it. */
      g_application_set_flags (G_APPLICATION (app), G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
      g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
      g_assert_no_error (error);
    }

#define ADD(path, fn) g_test_add ("/ui/window/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("bundled-network", test_bundled_network);
  ADD ("edit-updates-summary", test_edit_updates_summary);
  ADD ("activation-edit-and-pins", test_activation_edit_and_pins);
  ADD ("select-point", test_select_point);
  ADD ("bad-files", test_bad_files);
  ADD ("open-config", test_open_config);
  ADD ("save-config", test_save_config);
  ADD ("open-latency-table", test_open_latency_table);
  ADD ("open-order", test_open_order);
  ADD ("export-plot", test_export_plot);
  ADD ("screenshot-not-blank", test_screenshot_not_blank);
  ADD ("close-cancels", test_close_cancels);
#undef ADD

  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
