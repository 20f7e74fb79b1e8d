/* test-search-diff.c — the differentiable search in the window's search
 * panel (under Xvfb): the λ list's validation, a tiny sweep on the bundled
 * fmnist-mbv1 supernet streaming "diff" points into the plot, Free Bits from
 * a selected diff point (the paper's two stages), cancelling, closing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fb-ui-test-util.h"
#include "fb-accuracy-engine.h"
#include "fb-application.h"
#include "fb-free-bits.h"
#include "fb-metrics.h"
#include "fb-precision-config.h"
#include "fb-window-private.h"

/* Images per accuracy evaluation here: a real measurement, quickly. */
#define TEST_ACCURACY_LIMIT 200

static FbApplication *app;
static gboolean have_display;

typedef struct {
  FbWindow     *window;
  FbUiTestGate *gate;    /* the engine's oracle holds each λ's measurement here */
} Fixture;

static FbAccuracyOracle *
wrap_in_gate (FbAccuracyOracle *oracle, gpointer data)
{
  return fb_ui_test_gated_oracle_new (data, fb_accuracy_oracle_get_network (oracle), oracle);
}

/* @data: whether the window loads its accuracy engine (the network's trained
 * weights and Fashion-MNIST). */
static void
fixture_setup (Fixture *f, gconstpointer data)
{
  if (!have_display)
    {
      fb_ui_test_setup_window (NULL);
      return;
    }
  if (data != NULL)
    {
      g_autofree char *train = g_build_filename (fb_accuracy_engine_get_dataset_dir (NULL),
                                                 "train-images-idx3-ubyte.gz", NULL);
      if (!g_file_test (train, G_FILE_TEST_EXISTS))
        {
          g_test_skip ("Fashion-MNIST is not installed (Debian package " FB_FASHION_MNIST_PACKAGE
                       "): the differentiable search trains on its training images");
          return;
        }
    }
  if (data != NULL)
    {
      /* Closed: a test lets the sweep's measurements through (or opens it). */
      f->gate = fb_ui_test_gate_new (FB_UI_TEST_GATE_DIFF);
      fb_accuracy_engine_set_load_wrap (wrap_in_gate, f->gate);
    }
  fb_window_set_accuracy_defaults (data != NULL, TEST_ACCURACY_LIMIT, NULL);
  f->window = fb_ui_test_window_new (app);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->gate != NULL)
    fb_ui_test_gate_open (f->gate);
  fb_ui_test_teardown_window (f->window);
  fb_accuracy_engine_set_load_wrap (NULL, NULL);
  g_clear_pointer (&f->gate, fb_ui_test_gate_unref);
}

static gboolean
has_engine (gpointer data)
{
  Fixture *f = data;
  FbAccuracyEngine *engine = fb_window_get_accuracy_engine (f->window);
  return engine != NULL && fb_accuracy_engine_get_train_set (engine) != NULL;
}

static gboolean
has_message (gpointer data)
{
  Fixture *f = data;
  return fb_window_get_info_message (f->window) != NULL;
}

static gboolean
has_job (gpointer data)
{
  Fixture *f = data;
  return fb_window_get_search_job (f->window) != NULL;
}

static FbSearchJob *
click_run (Fixture *f, FbSearchMethod method)
{
  FbSearchPanel *panel = fb_window_get_search_panel (f->window);

  fb_search_panel_set_method (panel, method);
  fb_search_panel_set_start (panel, "table");
  gtk_button_clicked (GTK_BUTTON (fb_search_panel_get_run_button (panel)));
  return fb_window_get_search_job (f->window);
}

/* ---- the λ list ---------------------------------------------------------- */

static void
test_lambdas_validation (Fixture *f, gconstpointer data)
{
  FbSearchPanel *panel;
  GtkEntry *entry;
  FbSearchParams params;
  static const char *bad[] = { "abc", "-1", "", "0,,1", "1,x", "nan", "inf" };

  if (f->window == NULL)
    return;
  panel = fb_window_get_search_panel (f->window);
  entry = fb_search_panel_get_lambdas_entry (panel);

  /* The default sweep. */
  fb_search_panel_set_method (panel, FB_SEARCH_METHOD_DIFF);
  g_assert_null (fb_search_panel_get_lambdas_error (panel));
  fb_search_panel_get_params (panel, &params);
  g_assert_cmpint (params.method, ==, FB_SEARCH_METHOD_DIFF);
  g_assert_cmpint (params.diff_cost, ==, FB_DIFF_COST_SIZE);
  g_assert_cmpuint (params.diff_steps, ==, 300);
  g_assert_cmpuint (params.n_lambdas, ==, 7);
  g_assert_cmpfloat (params.lambdas[0], ==, 0);
  g_assert_cmpfloat (params.lambdas[1], ==, 0.02);
  g_assert_cmpfloat (params.lambdas[6], ==, 1);
  g_assert_cmpstr (fb_search_params_get_series_name (&params), ==, "diff");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gtk_entry_set_text (entry, bad[i]);
      g_test_message ("λ list \"%s\": %s", bad[i], fb_search_panel_get_lambdas_error (panel));
      g_assert_nonnull (fb_search_panel_get_lambdas_error (panel));
      g_assert_true (gtk_style_context_has_class (gtk_widget_get_style_context (GTK_WIDGET (entry)),
                                                  GTK_STYLE_CLASS_ERROR));
      fb_search_panel_get_params (panel, &params);
      g_assert_cmpuint (params.n_lambdas, ==, 0);
    }
  /* The message quotes what is wrong. */
  gtk_entry_set_text (entry, "0.5, -1");
  g_assert_nonnull (strstr (fb_search_panel_get_lambdas_error (panel), "-1"));

  /* Run with a bad list: an error in the info bar, no search. */
  gtk_entry_set_text (entry, "abc");
  g_assert_null (click_run (f, FB_SEARCH_METHOD_DIFF));
  g_assert_nonnull (strstr (fb_window_get_info_message (f->window), "λ list"));
  g_assert_nonnull (strstr (fb_window_get_info_message (f->window), "abc"));

  /* Spaces and a trailing comma are fine; BOPs and the steps reach the params. */
  fb_search_panel_set_diff_options (panel, FB_DIFF_COST_BOPS, " 0, 2.5 ,10,", 7);
  g_assert_null (fb_search_panel_get_lambdas_error (panel));
  g_assert_false (gtk_style_context_has_class (gtk_widget_get_style_context (GTK_WIDGET (entry)),
                                               GTK_STYLE_CLASS_ERROR));
  fb_search_panel_get_params (panel, &params);
  g_assert_cmpuint (params.n_lambdas, ==, 3);
  g_assert_cmpfloat (params.lambdas[1], ==, 2.5);
  g_assert_cmpfloat (params.lambdas[2], ==, 10);
  g_assert_cmpint (params.diff_cost, ==, FB_DIFF_COST_BOPS);
  g_assert_cmpuint (params.diff_steps, ==, 7);
  g_assert_cmpstr (fb_search_params_get_series_name (&params), ==, "diff-bops");
}

/* Without the trained weights and the data set (no accuracy engine): Run
 * says why and starts nothing. */
static void
test_unavailable (Fixture *f, gconstpointer data)
{
  if (f->window == NULL)
    return;
  g_assert_null (fb_window_get_accuracy_engine (f->window));
  g_assert_null (click_run (f, FB_SEARCH_METHOD_DIFF));
  fb_ui_test_wait_until (has_message, f, FB_UI_TEST_HANG_SECONDS, "the error");
  g_assert_nonnull (strstr (fb_window_get_info_message (f->window), "trained weights"));
  g_assert_cmpint (gtk_info_bar_get_message_type (fb_window_get_info_bar (f->window)), ==, GTK_MESSAGE_ERROR);
}

/* ---- a sweep ------------------------------------------------------------- */

typedef struct {
  guint  batches;
  guint  first_batch;
  double first_accuracy;
  guint  progress_updates;
  double last_fraction;
  double largest_step_back;
} Streamed;

/* One bar for training and measuring: it never goes back. */
static void
on_progress (FbSearchJob *job, Streamed *s)
{
  double fraction = fb_search_job_get_fraction (job);

  s->largest_step_back = MAX (s->largest_step_back, s->last_fraction - fraction);
  s->last_fraction = fraction;
  s->progress_updates++;
}

static void
on_candidates (FbSearchJob *job, GPtrArray *batch, Streamed *s)
{
  if (s->batches++ == 0)
    {
      s->first_batch = batch->len;
      s->first_accuracy = batch->len > 0 ? fb_candidate_get_accuracy (g_ptr_array_index (batch, 0)) : NAN;
    }
}

static gboolean
has_batch (gpointer data)
{
  return ((Streamed *) data)->batches > 0;
}

/* The λ of a result, from the provenance the library wrote. */
static double
result_lambda (FbPrecisionConfig *config)
{
  JsonObject *prov = fb_precision_config_get_provenance (config);

  g_assert_nonnull (prov);
  g_assert_cmpstr (json_object_get_string_member (prov, "method"), ==, "diff");
  g_assert_cmpstr (json_object_get_string_member (prov, "cost"), ==, "size");
  /* The steps of the panel reached the library. */
  g_assert_cmpint (json_object_get_int_member (prov, "steps"), ==, 3);
  return json_object_get_double_member (prov, "lambda");
}

static void
test_sweep_then_free_bits (Fixture *f, gconstpointer data)
{
  FbSearchPanel *panel;
  FbSearchJob *job;
  FbPointSet *points;
  FbAccuracyOracle *oracle;
  FbLatencyTable *table;
  FbNetwork *net;
  Streamed streamed = { 0 };
  const FbPlotPoint *big = NULL, *small = NULL;
  int series, small_index = -1;
  FbPrecisionConfig *small_config, *result = NULL;
  g_autoptr(FbCandidate) expected = NULL;
  g_autoptr(GError) error = NULL;
  FbFreeBitsOptions options;
  FbSearchConstraints none;
  FbMetrics m_start, m_result;

  if (f->window == NULL)
    return;
  panel = fb_window_get_search_panel (f->window);
  fb_search_panel_set_diff_options (panel, FB_DIFF_COST_SIZE, "0,50", 3);
  /* Run while the engine is still loading (as --search=diff does): the
   * search waits for it. */
  job = click_run (f, FB_SEARCH_METHOD_DIFF);
  if (job == NULL)
    {
      g_assert_nonnull (strstr (fb_window_get_info_message (f->window), "starts once"));
      fb_ui_test_wait_until (has_job, f, FB_UI_TEST_WORK_SECONDS, "the search to start");
      job = fb_window_get_search_job (f->window);
    }
  else
    g_test_message ("the engine was loaded before Run");
  g_assert_true (has_engine (f));
  oracle = fb_accuracy_engine_get_oracle (fb_window_get_accuracy_engine (f->window));
  net = fb_window_get_network (f->window);
  g_assert_cmpstr (fb_network_get_name (net), ==, "fmnist-mbv1");
  table = fb_window_get_latency_table (f->window);
  g_assert_nonnull (table);

  g_assert_nonnull (job);
  g_assert_cmpint (fb_search_job_get_method (job), ==, FB_SEARCH_METHOD_DIFF);
  g_assert_cmpuint (fb_search_job_get_params (job)->n_lambdas, ==, 2);
  g_signal_connect (job, "candidates", G_CALLBACK (on_candidates), &streamed);
  g_signal_connect (job, "progress", G_CALLBACK (on_progress), &streamed);
  /* One result per λ, measured, then handed over as each λ finished: λ 0's
   * measurement waits at the gate with nothing handed over yet; let through,
   * its result arrives alone while λ 50's waits in turn. */
  fb_ui_test_gate_wait (f->gate, 1, "λ 0's result to be measured");
  fb_ui_test_spin ();
  g_assert_cmpuint (streamed.batches, ==, 0);
  g_assert_true (fb_search_job_is_running (job));
  fb_ui_test_gate_release (f->gate, 1);
  fb_ui_test_wait_until (has_batch, &streamed, FB_UI_TEST_WORK_SECONDS, "λ 0's result");
  g_assert_cmpuint (streamed.first_batch, ==, 1);
  /* Measured before it was handed over, not after the sweep. */
  g_assert_false (isnan (streamed.first_accuracy));
  fb_ui_test_gate_wait (f->gate, 1, "λ 50's result to be measured");
  fb_ui_test_spin ();
  g_assert_cmpuint (streamed.batches, ==, 1);
  g_assert_true (fb_search_job_is_running (job));
  /* The rest of the test measures freely. */
  fb_ui_test_gate_open (f->gate);
  fb_ui_test_wait_for_search (job, FB_UI_TEST_WORK_SECONDS);
  g_assert_no_error ((GError *) fb_search_job_get_error (job));
  g_test_message ("status: %s", fb_search_panel_get_status (panel));
  g_test_message ("%u batches of candidates, the first of %u", streamed.batches, streamed.first_batch);
  g_assert_cmpuint (streamed.batches, ==, 2);
  g_assert_cmpuint (fb_ui_test_gate_get_passed (f->gate), >=, 2);
  g_test_message ("%u progress updates, the bar went back by at most %g", streamed.progress_updates,
                  streamed.largest_step_back);
  g_assert_cmpuint (streamed.progress_updates, >, 0);
  g_assert_cmpfloat (streamed.largest_step_back, ==, 0);
  g_assert_nonnull (strstr (fb_search_panel_get_status (panel), "2 candidates"));

  /* Two "diff" points, measured by the oracle on the same images as the rest. */
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  series = fb_ui_test_find_series (points, "diff");
  g_assert_cmpint (series, >=, 0);
  g_assert_cmpuint (fb_point_set_get_series_size (points, series), ==, 2);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (points, i);
      double lambda, accuracy = NAN;

      if (p->series != (guint) series)
        continue;
      lambda = result_lambda (p->config);
      g_assert_true (lambda == 0 || lambda == 50);
      if (lambda == 0)
        big = p;
      else
        small = p, small_index = (int) i;
      g_assert_true (fb_accuracy_oracle_evaluate (oracle, p->config, TEST_ACCURACY_LIMIT, NULL, &accuracy, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (p->values[FB_PLOT_METRIC_ACCURACY], ==, accuracy);
      g_test_message ("λ %g: %.0f bytes, latency %.0f, accuracy %.3f", lambda, p->values[FB_PLOT_METRIC_SIZE],
                      p->values[FB_PLOT_METRIC_LATENCY], accuracy);
    }
  g_assert_nonnull (big);
  g_assert_nonnull (small);
  /* The size regularizer did its job. */
  g_assert_cmpfloat (small->values[FB_PLOT_METRIC_SIZE], <, big->values[FB_PLOT_METRIC_SIZE]);

  /* Stage two: click the small diff point, run Free Bits from the table's config. */
  small_config = fb_precision_config_copy (small->config);
  fb_pareto_plot_select (fb_window_get_plot (f->window), small_index);
  fb_ui_test_spin ();
  g_assert_true (fb_precision_config_equal (fb_layer_table_get_config (fb_window_get_layer_table (f->window)),
                                            small_config));
  job = click_run (f, FB_SEARCH_METHOD_FREE_BITS);
  g_assert_nonnull (job);
  fb_ui_test_wait_for_search (job, FB_UI_TEST_WORK_SECONDS);
  g_assert_no_error ((GError *) fb_search_job_get_error (job));
  points = fb_pareto_plot_get_points (fb_window_get_plot (f->window));
  series = fb_ui_test_find_series (points, fb_search_method_get_name (FB_SEARCH_METHOD_FREE_BITS));
  g_assert_cmpint (series, >=, 0);
  g_assert_cmpuint (fb_point_set_get_series_size (points, series), ==, 1);
  /* The diff results stay. */
  g_assert_cmpuint (fb_point_set_get_series_size (points, fb_ui_test_find_series (points, "diff")), ==, 2);
  for (guint i = 0; i < fb_point_set_get_n_points (points); i++)
    if (fb_point_set_get_point (points, i)->series == (guint) series)
      result = fb_point_set_get_point (points, i)->config;
  g_assert_nonnull (result);
  /* What the library gives from the diff config with the window's options. */
  fb_free_bits_options_init (&options);
  options.oracle = oracle;
  options.limit = TEST_ACCURACY_LIMIT;
  fb_search_constraints_init (&none);
  g_assert_true (fb_search_free_bits (small_config, table, &options, &none, NULL, NULL, NULL, NULL, NULL,
                                      &expected, &error));
  g_assert_no_error (error);
  g_assert_true (fb_precision_config_equal (result, fb_candidate_get_config (expected)));
  g_assert_true (fb_metrics_compute (small_config, table, &m_start, NULL, NULL));
  g_assert_true (fb_metrics_compute (result, table, &m_result, NULL, NULL));
  g_assert_cmpfloat (m_result.latency, <=, m_start.latency);
  g_test_message ("Free Bits from the λ 50 config: latency %.0f → %.0f", m_start.latency, m_result.latency);
  fb_precision_config_free (small_config);
}

/* ---- cancelling ---------------------------------------------------------- */

static void
test_cancel_and_close (Fixture *f, gconstpointer data)
{
  FbSearchPanel *panel;
  g_autoptr(FbSearchJob) job = NULL;
  gint64 cancelled_at;

  if (f->window == NULL)
    return;
  /* Nothing here waits on a measurement. */
  fb_ui_test_gate_open (f->gate);
  fb_ui_test_wait_until (has_engine, f, FB_UI_TEST_WORK_SECONDS, "the accuracy engine");
  panel = fb_window_get_search_panel (f->window);
  /* Hours of work. */
  fb_search_panel_set_diff_options (panel, FB_DIFF_COST_BOPS, "0,1,2,3", 100000);
  job = g_object_ref (click_run (f, FB_SEARCH_METHOD_DIFF));
  g_assert_true (fb_search_job_is_running (job));
  {
    GtkWidget *cancel = fb_search_panel_get_cancel_button (panel);
    g_assert_true (gtk_stack_get_visible_child (GTK_STACK (gtk_widget_get_parent (cancel))) == cancel);
  }
  /* Let it take some steps (progress comes every ten). */
  while (fb_search_job_get_fraction (job) <= 0 && fb_search_job_is_running (job))
    {
      while (gtk_events_pending ())
        gtk_main_iteration_do (FALSE);
      g_usleep (1000);
    }
  g_assert_true (fb_search_job_is_running (job));
  g_assert_nonnull (strstr (fb_search_job_get_message (job), "step"));
  cancelled_at = g_get_monotonic_time ();
  gtk_button_clicked (GTK_BUTTON (fb_search_panel_get_cancel_button (panel)));
  /* Stops between steps; the bound only catches a hang. */
  fb_ui_test_wait_for_search (job, FB_UI_TEST_HANG_SECONDS);
  g_test_message ("cancel took %.3f s", (g_get_monotonic_time () - cancelled_at) / 1e6);
  g_assert_error ((GError *) fb_search_job_get_error (job), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_nonnull (strstr (fb_search_panel_get_status (panel), "Cancelled"));
  g_assert_null (fb_window_get_info_message (f->window));
  g_clear_object (&job);

  /* Closing the window stops a running sweep too. */
  job = g_object_ref (click_run (f, FB_SEARCH_METHOD_DIFF));
  g_assert_true (fb_search_job_is_running (job));
  fb_ui_test_spin ();
  gtk_widget_destroy (GTK_WIDGET (f->window));
  f->window = NULL;
  fb_ui_test_wait_for_search (job, FB_UI_TEST_HANG_SECONDS);
  g_assert_error ((GError *) fb_search_job_get_error (job), G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  int status;

  app = fb_ui_test_init (&argc, &argv);
  have_display = app != NULL;

  g_test_add ("/ui/search-diff/lambdas-validation", Fixture, NULL, fixture_setup, test_lambdas_validation,
              fixture_teardown);
  g_test_add ("/ui/search-diff/unavailable", Fixture, NULL, fixture_setup, test_unavailable, fixture_teardown);
  g_test_add ("/ui/search-diff/sweep-then-free-bits", Fixture, "engine", fixture_setup, test_sweep_then_free_bits,
              fixture_teardown);
  g_test_add ("/ui/search-diff/cancel-and-close", Fixture, "engine", fixture_setup, test_cancel_and_close,
              fixture_teardown);

  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
