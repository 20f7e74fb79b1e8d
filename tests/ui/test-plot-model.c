/* test-plot-model.c — the plot's pure parts: Pareto front, axis ticks, units,
 * number formats and the reference-counted point sets. No display needed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <locale.h>
#include <math.h>
#include <string.h>

#include "fb-plot-axis.h"
#include "fb-plot-metric.h"
#include "fb-point-set.h"
#include "fb-precision-config.h"
#include "fb-ui-format.h"

static void
assert_front (const double *x, const double *y, guint n, gboolean max_x, gboolean max_y,
              const guint *expected, guint n_expected)
{
  g_autofree guint *out = g_new (guint, MAX (n, 1));
  guint n_out = fb_pareto_front (x, y, n, max_x, max_y, out);

  g_assert_cmpuint (n_out, ==, n_expected);
  for (guint i = 0; i < n_out; i++)
    g_assert_cmpuint (out[i], ==, expected[i]);
}

static void
test_front_minimize (void)
{
  /*   y
   *  5 a
   *  4     c
   *  3   b
   *  2         e
   *  1       d   f
   *    1 2 3 4 5 6  x      front: a, b, d (f is beaten by d on x, ties on y) */
  const double x[] = { 1, 2, 3, 4, 5, 6 };
  const double y[] = { 5, 3, 4, 1, 2, 1 };
  const guint expected[] = { 0, 1, 3 };

  assert_front (x, y, G_N_ELEMENTS (x), FALSE, FALSE, expected, G_N_ELEMENTS (expected));
}

static void
test_front_ties (void)
{
  /* Exact duplicates of a front point are both non-dominated; a point with
   * the same x but worse y, or the same y but worse x, is dominated. Input
   * order must not matter. */
  const double x[] = { 2, 1, 1, 2, 3, 1 };
  const double y[] = { 2, 3, 4, 2, 2, 3 };
  /* (1,3) twice [1, 5], (2,2) twice [0, 3]; (1,4) and (3,2) dominated. */
  const guint expected[] = { 1, 5, 0, 3 };

  assert_front (x, y, G_N_ELEMENTS (x), FALSE, FALSE, expected, G_N_ELEMENTS (expected));
}

static void
test_front_maximize_accuracy (void)
{
  /* x = size (minimize), y = accuracy (maximize). */
  const double size[] = { 10, 20, 30, 15, 40, 20 };
  const double acc[] = { 0.80, 0.85, 0.90, 0.78, 0.90, 0.84 };
  /* 10/.80, 20/.85, 30/.90 on the front; 15/.78 beaten by 10/.80;
   * 40/.90 ties accuracy with a smaller model; 20/.84 beaten by 20/.85. */
  const guint expected[] = { 0, 1, 2 };

  assert_front (size, acc, G_N_ELEMENTS (size), FALSE, TRUE, expected, G_N_ELEMENTS (expected));
}

static void
test_front_maximize_both (void)
{
  const double x[] = { 1, 2, 3 };
  const double y[] = { 3, 2, 1 };
  const guint expected_max_both[] = { 2, 1, 0 };   /* best x first */
  const guint expected_max_x[] = { 2 };            /* x max, y min: (3,1) dominates */

  assert_front (x, y, 3, TRUE, TRUE, expected_max_both, 3);
  assert_front (x, y, 3, TRUE, FALSE, expected_max_x, 1);
}

static void
test_front_nan_and_empty (void)
{
  const double x[] = { 1, NAN, 3, 2 };
  const double y[] = { NAN, 0, 1, 2 };
  const guint expected[] = { 3, 2 };
  guint out[1];

  assert_front (x, y, G_N_ELEMENTS (x), FALSE, FALSE, expected, G_N_ELEMENTS (expected));
  g_assert_cmpuint (fb_pareto_front (x, y, 0, FALSE, FALSE, out), ==, 0);
}

/* The O(n²) definition, to check the binned pre-filter of large inputs. */
static void
test_front_against_definition (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20231);

  for (guint round = 0; round < 6; round++)
    {
      guint n = round < 3 ? 3000 : 800;
      g_autofree double *x = g_new (double, n);
      g_autofree double *y = g_new (double, n);
      g_autofree guint *out = g_new (guint, n);
      g_autofree gboolean *on = g_new0 (gboolean, n);
      gboolean max_y = round % 2 == 1;
      guint n_out, n_expected = 0;

      for (guint i = 0; i < n; i++)
        {
          /* Coarse values make many exact ties; round 2 is an anti-diagonal
           * where most points are on the front. */
          x[i] = g_rand_int_range (rand, 0, 200);
          y[i] = round == 2 ? 200 - x[i] : g_rand_int_range (rand, 0, 200);
          if (g_rand_int_range (rand, 0, 50) == 0)
            y[i] = NAN;
        }
      n_out = fb_pareto_front (x, y, n, FALSE, max_y, out);
      for (guint i = 0; i < n_out; i++)
        on[out[i]] = TRUE;
      for (guint i = 0; i < n; i++)
        {
          gboolean dominated = FALSE;
          if (isnan (y[i]))
            {
              g_assert_false (on[i]);
              continue;
            }
          for (guint j = 0; j < n && !dominated; j++)
            {
              double yi = max_y ? -y[i] : y[i], yj = max_y ? -y[j] : y[j];
              if (j == i || isnan (y[j]))
                continue;
              dominated = x[j] <= x[i] && yj <= yi && (x[j] < x[i] || yj < yi);
            }
          g_assert_cmpint (on[i], ==, !dominated);
          n_expected += !dominated;
        }
      g_assert_cmpuint (n_out, ==, n_expected);
      /* Step-line order: x never decreases. */
      for (guint i = 1; i < n_out; i++)
        g_assert_cmpfloat (x[out[i - 1]], <=, x[out[i]]);
    }
}

static void
fill_values (double *v, double size, double bops, double lat, double acc)
{
  v[FB_PLOT_METRIC_SIZE] = size;
  v[FB_PLOT_METRIC_BOPS] = bops;
  v[FB_PLOT_METRIC_LATENCY] = lat;
  v[FB_PLOT_METRIC_PEAK_RAM] = 1000;
  v[FB_PLOT_METRIC_ACCURACY] = acc;
}

static void
test_point_set_front (void)
{
  g_autoptr(FbPointSet) set = fb_point_set_new ();
  double v[FB_PLOT_N_METRICS];
  guint s = fb_point_set_add_series (set, "uniform");
  guint t = fb_point_set_add_series (set, "free-bits");
  g_autofree guint *front = NULL;
  guint n;

  fill_values (v, 100, 10, NAN, 0.90); fb_point_set_append (set, v, s, FB_PLOT_POINT_BASELINE, "w8a8", NULL);
  fill_values (v, 50, 5, NAN, NAN);    fb_point_set_append (set, v, s, FB_PLOT_POINT_BASELINE, "w4a4", NULL);
  fill_values (v, 70, 7, NAN, 0.91);   fb_point_set_append (set, v, t, 0, NULL, NULL);
  fill_values (v, 60, 8, NAN, 0.88);   fb_point_set_append (set, v, t, 0, NULL, NULL);
  fb_point_set_seal (set);

  g_assert_cmpuint (fb_point_set_get_n_points (set), ==, 4);
  g_assert_cmpuint (fb_point_set_get_series_size (set, s), ==, 2);
  g_assert_cmpuint (fb_point_set_get_series_size (set, t), ==, 2);
  g_assert_cmpstr (fb_point_set_get_point (set, 0)->label, ==, "w8a8");
  g_assert_true (fb_point_set_has_metric (set, FB_PLOT_METRIC_ACCURACY));
  g_assert_false (fb_point_set_has_metric (set, FB_PLOT_METRIC_LATENCY));

  /* Size vs accuracy: the unmeasured w4a4 takes no part; 60/.88 and
   * 70/.91 are on the front, 100/.90 is beaten by 70/.91. */
  front = fb_point_set_compute_front (set, FB_PLOT_METRIC_SIZE, FB_PLOT_METRIC_ACCURACY, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (front[0], ==, 3);
  g_assert_cmpuint (front[1], ==, 2);
  g_clear_pointer (&front, g_free);

  /* Size vs BOPs: w4a4 dominates everything. */
  front = fb_point_set_compute_front (set, FB_PLOT_METRIC_SIZE, FB_PLOT_METRIC_BOPS, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (front[0], ==, 1);
}

static gpointer
build_in_thread (gpointer data)
{
  FbPointSet *set = fb_point_set_new ();
  guint s = fb_point_set_add_series (set, "worker");
  double v[FB_PLOT_N_METRICS];

  for (guint i = 0; i < 1000; i++)
    {
      fill_values (v, i, 1000 - i, NAN, NAN);
      fb_point_set_append (set, v, s, 0, NULL, NULL);
    }
  fb_point_set_seal (set);
  return set;
}

static void
test_point_set_threads (void)
{
  /* Built by a worker, handed over sealed, shared by reference. */
  GThread *thread = g_thread_new ("worker", build_in_thread, NULL);
  FbPointSet *set = g_thread_join (thread);
  FbPointSet *other = fb_point_set_ref (set);
  g_autofree guint *front = NULL;
  guint n;

  g_assert_true (fb_point_set_is_sealed (set));
  fb_point_set_unref (set);
  g_assert_cmpuint (fb_point_set_get_n_points (other), ==, 1000);
  /* x = i, y = 1000 − i: every point is non-dominated. */
  front = fb_point_set_compute_front (other, FB_PLOT_METRIC_SIZE, FB_PLOT_METRIC_BOPS, &n);
  g_assert_cmpuint (n, ==, 1000);
  fb_point_set_unref (other);
}

static void
test_point_set_find_config (void)
{
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbPointSet) set = fb_point_set_new ();
  g_autoptr(FbPrecisionConfig) probe = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const char *root = g_getenv ("FB_SOURCE_ROOT");
  double v[FB_PLOT_N_METRICS];
  guint s;

  path = root ? g_build_filename (root, "data", "networks", "fmnist-mbv1.json", NULL)
              : g_test_build_filename (G_TEST_DIST, "..", "..", "data", "networks", "fmnist-mbv1.json", NULL);
  net = fb_network_load (path, &error);
  g_assert_no_error (error);
  s = fb_point_set_add_series (set, "uniform");
  fill_values (v, 1, 1, NAN, NAN);
  fb_point_set_append (set, v, s, 0, "w8a8", fb_precision_config_new_uniform (net, 8, 8, NULL));
  fb_point_set_append (set, v, s, 0, "w4a8", fb_precision_config_new_uniform (net, 4, 8, NULL));
  fb_point_set_seal (set);

  probe = fb_precision_config_new_uniform (net, 4, 8, NULL);
  g_assert_cmpint (fb_point_set_find_config (set, probe), ==, 1);
  /* Pins do not change what a config computes. */
  fb_precision_config_set_weight_pinned (probe, 0, TRUE);
  g_assert_cmpint (fb_point_set_find_config (set, probe), ==, 1);
  fb_precision_config_set_weight_bits (probe, 0, 2);
  g_assert_cmpint (fb_point_set_find_config (set, probe), ==, -1);
}

static void
test_nice_step (void)
{
  g_assert_cmpfloat_with_epsilon (fb_plot_nice_step (0.7), 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (fb_plot_nice_step (1.0), 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (fb_plot_nice_step (1.1), 2, 1e-12);
  g_assert_cmpfloat_with_epsilon (fb_plot_nice_step (2.2), 2.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (fb_plot_nice_step (3), 5, 1e-12);
  g_assert_cmpfloat_with_epsilon (fb_plot_nice_step (54), 100, 1e-9);
  g_assert_cmpfloat_with_epsilon (fb_plot_nice_step (0.03), 0.05, 1e-12);
  g_assert_cmpfloat_with_epsilon (fb_plot_nice_step (4.2e6), 5e6, 1e-3);
}

static void
assert_even_ticks (const FbPlotTick *t, guint n, double lo, double hi)
{
  g_assert_cmpuint (n, >=, 2);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpfloat (t[i].pos, >=, lo - 1e-9 * fabs (hi - lo));
      g_assert_cmpfloat (t[i].pos, <=, hi + 1e-9 * fabs (hi - lo));
      if (i >= 2)
        g_assert_cmpfloat_with_epsilon (t[i].value - t[i - 1].value, t[1].value - t[0].value,
                                        1e-9 * fabs (hi - lo));
    }
}

static void
test_linear_ticks (void)
{
  FbPlotTick t[FB_PLOT_MAX_TICKS];
  guint n;

  n = fb_plot_axis_ticks (0, 100, FALSE, 6, t);
  assert_even_ticks (t, n, 0, 100);
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpfloat (t[0].value, ==, 0);
  g_assert_cmpfloat (t[1].value, ==, 20);
  g_assert_cmpfloat (t[5].value, ==, 100);

  /* An odd range: ticks at multiples of a nice step, never more than asked. */
  for (guint max = 2; max <= 12; max++)
    {
      n = fb_plot_axis_ticks (18.7, 63.2, FALSE, max, t);
      g_assert_cmpuint (n, <=, max);
      assert_even_ticks (t, n, 18.7, 63.2);
      g_assert_cmpfloat (fmod (t[0].value, t[1].value - t[0].value), <, 1e-9);
    }

  /* Negative to positive includes an exact zero (no "-0"). */
  n = fb_plot_axis_ticks (-0.3, 0.7, FALSE, 6, t);
  assert_even_ticks (t, n, -0.3, 0.7);
  {
    gboolean zero = FALSE;
    for (guint i = 0; i < n; i++)
      if (t[i].value == 0 && !signbit (t[i].value))
        zero = TRUE;
    g_assert_true (zero);
  }

  /* Reversed bounds are accepted; an empty range gives no ticks. */
  g_assert_cmpuint (fb_plot_axis_ticks (100, 0, FALSE, 6, t), ==, 6);
  g_assert_cmpuint (fb_plot_axis_ticks (5, 5, FALSE, 6, t), ==, 0);
  g_assert_cmpuint (fb_plot_axis_ticks (NAN, 5, FALSE, 6, t), ==, 0);
}

static void
test_log_ticks (void)
{
  FbPlotTick t[FB_PLOT_MAX_TICKS];
  guint n;

  /* Three decades with room: 1, 2, 5 per decade. */
  n = fb_plot_axis_ticks (3, 6, TRUE, 12, t);
  g_assert_cmpuint (n, ==, 10);
  g_assert_cmpfloat_with_epsilon (t[0].value, 1e3, 1e-6);
  g_assert_cmpfloat_with_epsilon (t[1].value, 2e3, 1e-6);
  g_assert_cmpfloat_with_epsilon (t[2].value, 5e3, 1e-6);
  g_assert_cmpfloat_with_epsilon (t[9].value, 1e6, 1e-3);
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (t[i].pos, log10 (t[i].value), 1e-12);

  /* Tight room: decades only. */
  n = fb_plot_axis_ticks (3, 6, TRUE, 4, t);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpfloat_with_epsilon (t[3].pos, 6, 1e-12);

  /* Log axes always get two ticks, even with little room. */
  for (guint max = 2; max <= 4; max++)
    {
      g_assert_cmpuint (fb_plot_axis_ticks (0.5, 1.6, TRUE, max, t), >=, 2);
      g_assert_cmpuint (fb_plot_axis_ticks (0.5, 1.6, TRUE, max, t), <=, max);
    }

  /* Many decades, few ticks: every k-th decade. */
  n = fb_plot_axis_ticks (0, 12, TRUE, 5, t);
  g_assert_cmpuint (n, <=, 5);
  g_assert_cmpuint (n, >=, 2);
  for (guint i = 0; i < n; i++)
    g_assert_cmpfloat (t[i].pos, ==, floor (t[i].pos));

  /* Inside one decade: linear steps of the values, positions still log. */
  n = fb_plot_axis_ticks (log10 (20e3), log10 (60e3), TRUE, 6, t);
  g_assert_cmpuint (n, >=, 2);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpfloat (t[i].value, >=, 20e3 - 1e-6);
      g_assert_cmpfloat (t[i].value, <=, 60e3 + 1e-6);
      g_assert_cmpfloat_with_epsilon (t[i].pos, log10 (t[i].value), 1e-12);
    }
  g_assert_cmpfloat_with_epsilon (t[1].value - t[0].value, 10e3, 1e-6);
}

static void
test_tick_labels (void)
{
  const struct { double value, step; const char *expected; } cases[] = {
    { 20, 5, "20" },
    { 0.25, 0.25, "0.25" },
    { 0.5, 0.25, "0.50" },
    { 1.5, 0.5, "1.5" },
    { 1e-17, 0.1, "0.0" },
    { -0.2, 0.1, "-0.2" },
    { 200, 0, "200" },
    { 0.02, 0, "0.02" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = fb_plot_axis_format (cases[i].value, cases[i].step);
      g_assert_cmpstr (s, ==, cases[i].expected);
    }
}

static void
test_axis_units (void)
{
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL, *t5 = NULL, *t6 = NULL;

  g_assert_cmpfloat (fb_plot_metric_axis_scale (FB_PLOT_METRIC_SIZE, 0, NULL, 60904, &t1), ==, 1e3);
  g_assert_cmpstr (t1, ==, "Weight memory (Flash), kB");
  g_assert_cmpfloat (fb_plot_metric_axis_scale (FB_PLOT_METRIC_PEAK_RAM, 0, NULL, 812, &t2), ==, 1);
  g_assert_cmpstr (t2, ==, "RAM of the bundle, B");
  g_assert_cmpfloat (fb_plot_metric_axis_scale (FB_PLOT_METRIC_BOPS, 0, NULL, 266e6, &t3), ==, 1e6);
  g_assert_cmpstr (t3, ==, "BOPs, millions");
  g_assert_cmpfloat (fb_plot_metric_axis_scale (FB_PLOT_METRIC_LATENCY, FB_LATENCY_UNIT_INSTRUCTIONS,
                                                "rv32imc", 1.2e6, &t4), ==, 1e6);
  g_assert_cmpstr (t4, ==, "Latency on rv32imc, M instructions");
  g_assert_cmpfloat (fb_plot_metric_axis_scale (FB_PLOT_METRIC_LATENCY, FB_LATENCY_UNIT_US,
                                                "host", 4500, &t5), ==, 1e3);
  g_assert_cmpstr (t5, ==, "Latency on host, ms");
  g_assert_cmpfloat (fb_plot_metric_axis_scale (FB_PLOT_METRIC_ACCURACY, 0, NULL, 0.9, &t6), ==, 0.01);
  g_assert_cmpstr (t6, ==, "Accuracy, %");

  g_assert_true (fb_plot_metric_maximize (FB_PLOT_METRIC_ACCURACY));
  g_assert_false (fb_plot_metric_maximize (FB_PLOT_METRIC_LATENCY));
  for (guint m = 0; m < FB_PLOT_N_METRICS; m++)
    {
      FbPlotMetric back;
      g_assert_true (fb_plot_metric_from_nick (fb_plot_metric_to_nick (m), &back));
      g_assert_cmpuint (back, ==, m);
    }
  {
    FbPlotMetric dummy;
    g_assert_false (fb_plot_metric_from_nick ("speed", &dummy));
  }
}

#define NN "\u202f"

static void
test_number_formats (void)
{
  const struct { char *got; const char *expected; } cases[] = {
    { fb_ui_format_count (0), "0" },
    { fb_ui_format_count (999), "999" },
    { fb_ui_format_count (4150208), "4" NN "150" NN "208" },
    { fb_ui_format_bytes (812), "812" NN "B" },
    { fb_ui_format_bytes (60904), "60.9" NN "kB" },
    { fb_ui_format_bytes (999999), "1.00" NN "MB" },
    { fb_ui_format_bytes (1.234e6), "1.23" NN "MB" },
    { fb_ui_format_si (266e6), "266" NN "M" },
    { fb_ui_format_si (4.15e6), "4.15" NN "M" },
    { fb_ui_format_si (999.6e3), "1.00" NN "M" },
    { fb_ui_format_si (12), "12.0" },
    { fb_ui_format_si (NAN), "—" },
    { fb_ui_format_latency (1.23e6, FB_LATENCY_UNIT_INSTRUCTIONS), "1.23" NN "M instr." },
    { fb_ui_format_latency (4560, FB_LATENCY_UNIT_US), "4.56" NN "ms" },
    { fb_ui_format_latency (812e3, FB_LATENCY_UNIT_CYCLES), "812" NN "k cycles" },
    { fb_ui_format_change (25, 100), "−75" NN "%" },
    { fb_ui_format_change (103.1, 100), "+3.1" NN "%" },
    { fb_ui_format_change (100, 100), "±0" NN "%" },
    { fb_plot_metric_format (FB_PLOT_METRIC_ACCURACY, 0, 0.9134), "91.34" NN "%" },
    { fb_plot_metric_format (FB_PLOT_METRIC_ACCURACY, 0, NAN), "not measured" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpstr (cases[i].got, ==, cases[i].expected);
      g_free (cases[i].got);
    }
}

int
main (int argc, char **argv)
{
  /* Messages are checked in English. */
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/pareto/minimize-both", test_front_minimize);
  g_test_add_func ("/ui/pareto/ties", test_front_ties);
  g_test_add_func ("/ui/pareto/maximize-accuracy", test_front_maximize_accuracy);
  g_test_add_func ("/ui/pareto/maximize-both", test_front_maximize_both);
  g_test_add_func ("/ui/pareto/nan-and-empty", test_front_nan_and_empty);
  g_test_add_func ("/ui/pareto/against-definition", test_front_against_definition);
  g_test_add_func ("/ui/point-set/front", test_point_set_front);
  g_test_add_func ("/ui/point-set/threads", test_point_set_threads);
  g_test_add_func ("/ui/point-set/find-config", test_point_set_find_config);
  g_test_add_func ("/ui/axis/nice-step", test_nice_step);
  g_test_add_func ("/ui/axis/linear-ticks", test_linear_ticks);
  g_test_add_func ("/ui/axis/log-ticks", test_log_ticks);
  g_test_add_func ("/ui/axis/tick-labels", test_tick_labels);
  g_test_add_func ("/ui/axis/units", test_axis_units);
  g_test_add_func ("/ui/format/numbers", test_number_formats);
  return g_test_run ();
}
