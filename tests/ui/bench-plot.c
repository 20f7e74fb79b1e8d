/* bench-plot.c — how long the Pareto plot takes to draw 100 000 points.
 *
 * Renders into an offscreen 1000×700 ARGB32 image surface (the acceptance
 * setup of issue 8) and prints the median of many runs for:
 *   - a redraw after a pan or zoom (the point layer is re-rasterized),
 *   - a redraw of the same view (hover, selection: the point layer is reused),
 *   - a first draw after a new point set (axis transform of every point and
 *     the Pareto front included),
 *   - the Pareto front alone.
 * Not a test: the numbers depend on the machine. Exit status 0 always.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <locale.h>
#include <math.h>
#include <stdlib.h>

#include "fb-plot-view.h"
#include "fb-point-set.h"

static int n_points = 100000;
static int n_runs = 31;
static int width = 1000;
static int height = 700;
static gboolean log_axes = FALSE;
static char *png = NULL;

static const GOptionEntry entries[] = {
  { "points", 'n', 0, G_OPTION_ARG_INT, &n_points, "Points to draw (default 100000)", "N" },
  { "runs", 'r', 0, G_OPTION_ARG_INT, &n_runs, "Timed runs (default 31)", "N" },
  { "width", 0, 0, G_OPTION_ARG_INT, &width, "Surface width (default 1000)", "PX" },
  { "height", 0, 0, G_OPTION_ARG_INT, &height, "Surface height (default 700)", "PX" },
  { "log", 0, 0, G_OPTION_ARG_NONE, &log_axes, "Logarithmic axes", NULL },
  { "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "Also write the picture to FILE", "FILE" },
  { NULL }
};

/* A search-like cloud: sizes between the w2 and w8 baselines, latency
 * growing with size plus noise, three methods, nine labelled baselines. */
static FbPointSet *
make_points (guint n)
{
  static const guint bits[] = { 8, 4, 2 };
  FbPointSet *set = fb_point_set_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  guint uniform = fb_point_set_add_series (set, "uniform");
  guint series[3];
  double v[FB_PLOT_N_METRICS];

  series[0] = fb_point_set_add_series (set, "free-bits");
  series[1] = fb_point_set_add_series (set, "differentiable");
  series[2] = fb_point_set_add_series (set, "random");
  fb_point_set_set_latency_unit (set, FB_LATENCY_UNIT_INSTRUCTIONS, "rv32imc");
  for (guint i = 0; i < 3; i++)
    for (guint j = 0; j < 3; j++)
      {
        g_autofree char *label = g_strdup_printf ("w%ua%u", bits[i], bits[j]);
        v[FB_PLOT_METRIC_SIZE] = 7000.0 * bits[i] + 4000;
        v[FB_PLOT_METRIC_BOPS] = 4.15e6 * bits[i] * bits[j];
        v[FB_PLOT_METRIC_LATENCY] = 2.0e6 + 0.2e6 * bits[i] + 0.1e6 * bits[j];
        v[FB_PLOT_METRIC_PEAK_RAM] = 4700.0 * bits[j];
        v[FB_PLOT_METRIC_ACCURACY] = 0.80 + 0.012 * (bits[i] + bits[j]);
        fb_point_set_append (set, v, uniform, FB_PLOT_POINT_BASELINE, label, NULL);
      }
  for (guint i = 0; i < n; i++)
    {
      double t = g_rand_double (rand);
      double size = 18000 + t * 42000;
      v[FB_PLOT_METRIC_SIZE] = size;
      v[FB_PLOT_METRIC_BOPS] = size * g_rand_double_range (rand, 800, 4500);
      v[FB_PLOT_METRIC_LATENCY] = 2.3e6 + 1.2e6 * (1 - t) * g_rand_double_range (rand, 0.2, 1.0)
                                  + 0.3e6 * g_rand_double (rand);
      v[FB_PLOT_METRIC_PEAK_RAM] = g_rand_double_range (rand, 9000, 38000);
      v[FB_PLOT_METRIC_ACCURACY] = 0.80 + 0.11 * t * g_rand_double_range (rand, 0.6, 1.0);
      fb_point_set_append (set, v, series[i % 3], 0, NULL, NULL);
    }
  fb_point_set_seal (set);
  return set;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

typedef struct {
  double median, min, max;
} Stats;

static Stats
stats (double *ms, int n)
{
  Stats s;

  qsort (ms, n, sizeof *ms, compare_double);
  s.median = ms[n / 2];
  s.min = ms[0];
  s.max = ms[n - 1];
  return s;
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— time the Pareto plot's drawing");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPointSet) set = NULL;
  g_autofree double *ms = NULL;
  FbPlotView *view;
  cairo_surface_t *surface;
  cairo_t *cr;
  Stats redraw, same, first, front;
  guint n_front = 0;

  setlocale (LC_ALL, "C.UTF-8");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-plot: %s\n", error->message);
      return 2;
    }
  n_runs = MAX (n_runs, 1);
  ms = g_new (double, n_runs);

  set = make_points ((guint) MAX (n_points, 0));
  view = fb_plot_view_new ();
  fb_plot_view_set_axes (view, FB_PLOT_METRIC_SIZE, FB_PLOT_METRIC_LATENCY);
  fb_plot_view_set_log (view, log_axes, log_axes);
  fb_plot_view_set_points (view, set);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cr = cairo_create (surface);

  /* Warm up fonts, caches and the allocator. */
  for (int i = 0; i < 3; i++)
    fb_plot_view_render (view, cr, width, height);

  for (int i = 0; i < n_runs; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      /* A one-pixel pan: every point is placed and written again. */
      fb_plot_view_pan (view, i % 2 ? 1 : -1, 0);
      fb_plot_view_render (view, cr, width, height);
      cairo_surface_flush (surface);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  redraw = stats (ms, n_runs);
  fb_plot_view_reset (view);

  for (int i = 0; i < n_runs; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      fb_plot_view_set_hover (view, i % 2 ? 5 : 7);
      fb_plot_view_render (view, cr, width, height);
      cairo_surface_flush (surface);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  same = stats (ms, n_runs);
  fb_plot_view_set_hover (view, -1);

  for (int i = 0; i < n_runs; i++)
    {
      gint64 t0;
      /* set_points drops the caches, as a new batch from a worker would. */
      fb_plot_view_set_points (view, NULL);
      t0 = g_get_monotonic_time ();
      fb_plot_view_set_points (view, set);
      fb_plot_view_render (view, cr, width, height);
      cairo_surface_flush (surface);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  first = stats (ms, n_runs);

  for (int i = 0; i < n_runs; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autofree guint *f G_GNUC_UNUSED = fb_point_set_compute_front (set, FB_PLOT_METRIC_SIZE, FB_PLOT_METRIC_LATENCY, &n_front);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  front = stats (ms, n_runs);

  g_print ("bench-plot: %u points (%d + 9 labelled baselines, 4 series), %dx%d ARGB32 image surface, %s axes\n",
           fb_point_set_get_n_points (set), n_points, width, height, log_axes ? "log" : "linear");
  g_print ("  redraw after zoom or pan       median %6.2f ms  (min %.2f, max %.2f; %d runs)\n",
           redraw.median, redraw.min, redraw.max, n_runs);
  g_print ("  redraw of the same view (hover) median %5.2f ms  (min %.2f, max %.2f; %d runs)\n",
           same.median, same.min, same.max, n_runs);
  g_print ("  first draw of a new point set  median %6.2f ms  (min %.2f, max %.2f; %d runs)\n",
           first.median, first.min, first.max, n_runs);
  g_print ("  Pareto front alone             median %6.2f ms  (%u points on the front)\n",
           front.median, n_front);
  g_print ("  16 ms frame budget for a redraw after zoom or pan: %s\n", redraw.median < 16 ? "met" : "NOT met");

  if (png != NULL)
    {
      cairo_status_t status = cairo_surface_write_to_png (surface, png);
      if (status != CAIRO_STATUS_SUCCESS)
        g_printerr ("bench-plot: %s: %s\n", png, cairo_status_to_string (status));
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  fb_plot_view_free (view);
  g_free (png);
  return 0;
}
