/* test-plot-render.c — the plot's drawing, hit testing, zoom and export,
 * rendered into image, SVG and PDF surfaces. No display needed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "fb-plot-view.h"
#include "fb-point-set.h"

#define W 800
#define H 500

static void
values (double *v, double size, double bops, double acc)
{
  v[FB_PLOT_METRIC_SIZE] = size;
  v[FB_PLOT_METRIC_BOPS] = bops;
  v[FB_PLOT_METRIC_LATENCY] = NAN;
  v[FB_PLOT_METRIC_PEAK_RAM] = 4096;
  v[FB_PLOT_METRIC_ACCURACY] = acc;
}

/* Nine uniform-like points: size ∝ w, BOPs ∝ w·a; @skip (0–8) leaves one
 * out, any other value none. */
static FbPointSet *
make_uniform_set_skip (guint skip)
{
  static const guint bits[] = { 8, 4, 2 };
  FbPointSet *set = fb_point_set_new ();
  guint s = fb_point_set_add_series (set, "uniform");
  double v[FB_PLOT_N_METRICS];

  for (guint i = 0; i < 3; i++)
    for (guint j = 0; j < 3; j++)
      {
        g_autofree char *label = g_strdup_printf ("w%ua%u", bits[i], bits[j]);
        if (3 * i + j == skip)
          continue;
        values (v, 7500.0 * bits[i] + 1000, 4.15e6 * bits[i] * bits[j], NAN);
        fb_point_set_append (set, v, s, FB_PLOT_POINT_BASELINE, label, NULL);
      }
  fb_point_set_seal (set);
  return set;
}

static FbPointSet *
make_uniform_set (void)
{
  return make_uniform_set_skip (G_MAXUINT);
}

static FbPointSet *
make_random_set (guint n, guint32 seed)
{
  FbPointSet *set = fb_point_set_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint s[3];
  double v[FB_PLOT_N_METRICS];

  s[0] = fb_point_set_add_series (set, "uniform");
  s[1] = fb_point_set_add_series (set, "free-bits");
  s[2] = fb_point_set_add_series (set, "random");
  for (guint i = 0; i < n; i++)
    {
      double size = g_rand_double_range (rand, 15e3, 61e3);
      values (v, size, size * g_rand_double_range (rand, 1500, 4500), g_rand_double_range (rand, 0.7, 0.92));
      fb_point_set_append (set, v, s[1 + i % 2], 0, NULL, NULL);
    }
  fb_point_set_seal (set);
  return set;
}

typedef struct {
  cairo_surface_t *surface;
  cairo_t         *cr;
} Canvas;

static void
canvas_render (Canvas *c, FbPlotView *view)
{
  c->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  c->cr = cairo_create (c->surface);
  fb_plot_view_render (view, c->cr, W, H);
  g_assert_cmpint (cairo_status (c->cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_flush (c->surface);
}

static void
canvas_clear (Canvas *c)
{
  cairo_destroy (c->cr);
  cairo_surface_destroy (c->surface);
}

static guint32
pixel (Canvas *c, double x, double y)
{
  guchar *data = cairo_image_surface_get_data (c->surface);
  int stride = cairo_image_surface_get_stride (c->surface);
  int ix = (int) floor (x), iy = (int) floor (y);

  g_assert_cmpint (ix, >=, 0);
  g_assert_cmpint (iy, >=, 0);
  g_assert_cmpint (ix, <, W);
  g_assert_cmpint (iy, <, H);
  return *(guint32 *) (data + iy * stride + ix * 4) & 0xffffffu;
}

static void
test_render_points (void)
{
  FbPlotView *view = fb_plot_view_new ();
  g_autoptr(FbPointSet) set = make_uniform_set ();
  Canvas empty, full;
  double px, py;
  const FbPlotPoint *w4a4;

  /* The same range with and without points: compare pixel by pixel. */
  fb_plot_view_set_axes (view, FB_PLOT_METRIC_SIZE, FB_PLOT_METRIC_BOPS);
  fb_plot_view_set_points (view, set);
  w4a4 = fb_point_set_get_point (set, 4);
  g_assert_cmpstr (w4a4->label, ==, "w4a4");
  canvas_render (&full, view);
  g_assert_true (fb_plot_view_to_pixel (view, w4a4->values, &px, &py));

  {
    FbPlotArea area;
    fb_plot_view_set_size (view, W, H);
    fb_plot_view_get_area (view, &area);
    g_assert_cmpfloat (px, >, area.left);
    g_assert_cmpfloat (px, <, area.left + area.width);
    g_assert_cmpfloat (py, >, area.top);
    g_assert_cmpfloat (py, <, area.top + area.height);
  }

  /* The marker's centre is the series colour (blue), not the white plot. */
  g_assert_cmpuint (pixel (&full, px, py), !=, 0xffffff);
  {
    guint32 c = pixel (&full, px, py);
    g_assert_cmpuint (c & 0xff, >, (c >> 16) & 0xff); /* more blue than red */
  }

  /* The same picture without w4a4 (an interior point, so the fitted range
   * is the same): that pixel is background or a grid line now. */
  {
    g_autoptr(FbPointSet) without = make_uniform_set_skip (4);
    double ex, ey;
    guint32 c;

    fb_plot_view_set_points (view, without);
    canvas_render (&empty, view);
    g_assert_true (fb_plot_view_to_pixel (view, w4a4->values, &ex, &ey));
    g_assert_cmpfloat_with_epsilon (ex, px, 1e-9);
    g_assert_cmpfloat_with_epsilon (ey, py, 1e-9);
    c = pixel (&empty, px, py);
    g_assert_cmpuint ((c >> 16) & 0xff, >=, 0xe0);
    g_assert_cmpuint ((c >> 8) & 0xff, >=, 0xe0);
    g_assert_cmpuint (c & 0xff, >=, 0xe0);
  }
  canvas_clear (&empty);
  canvas_clear (&full);
  fb_plot_view_free (view);
}

static void
test_render_raster (void)
{
  FbPlotView *view = fb_plot_view_new ();
  g_autoptr(FbPointSet) set = make_random_set (20000, 7);
  Canvas c;
  double px, py;
  guint changed = 0;

  g_assert_cmpuint (fb_point_set_get_n_points (set), >, FB_PLOT_VECTOR_MAX_POINTS);
  fb_plot_view_set_points (view, set);
  canvas_render (&c, view);
  /* Every sampled point's pixel is painted (direct writes, no blending). */
  for (guint i = 0; i < 20000; i += 997)
    {
      const FbPlotPoint *p = fb_point_set_get_point (set, i);
      g_assert_true (fb_plot_view_to_pixel (view, p->values, &px, &py));
      if (pixel (&c, px, py) != 0xffffff)
        changed++;
    }
  g_assert_cmpuint (changed, ==, (20000 + 996) / 997);
  canvas_clear (&c);
  fb_plot_view_free (view);
}

static void
test_render_current_and_empty_axes (void)
{
  FbPlotView *view = fb_plot_view_new ();
  g_autoptr(FbPointSet) set = make_uniform_set ();
  double current[FB_PLOT_N_METRICS];
  double px, py;
  Canvas c;
  guint32 ring;

  values (current, 30000, 100e6, NAN);
  fb_plot_view_set_points (view, set);
  fb_plot_view_set_current (view, current, "custom");
  canvas_render (&c, view);
  g_assert_true (fb_plot_view_to_pixel (view, current, &px, &py));
  /* The ring (radius 8) is red. */
  ring = pixel (&c, px + 8, py);
  g_assert_cmpuint ((ring >> 16) & 0xff, >, 0xb0);
  g_assert_cmpuint (ring & 0xff, <, 0x80);
  canvas_clear (&c);

  /* No point has an accuracy: nothing plotted, no front, no crash. */
  fb_plot_view_set_axes (view, FB_PLOT_METRIC_SIZE, FB_PLOT_METRIC_ACCURACY);
  {
    guint n;
    fb_plot_view_get_front (view, &n);
    g_assert_cmpuint (n, ==, 0);
    g_assert_false (fb_plot_view_to_pixel (view, fb_point_set_get_point (set, 0)->values, &px, &py));
  }
  canvas_render (&c, view);
  canvas_clear (&c);
  fb_plot_view_free (view);
}

static void
test_zoom_pan_reset (void)
{
  FbPlotView *view = fb_plot_view_new ();
  g_autoptr(FbPointSet) set = make_uniform_set ();
  const FbPlotPoint *p = fb_point_set_get_point (set, 4);
  double x0, x1, y0, y1, ax0, ax1, ay0, ay1, px, py, qx, qy;

  fb_plot_view_set_points (view, set);
  fb_plot_view_set_size (view, W, H);
  fb_plot_view_get_range (view, &ax0, &ax1, &ay0, &ay1);
  g_assert_true (fb_plot_view_to_pixel (view, p->values, &px, &py));

  /* Zooming in around a point keeps that point where it was. */
  fb_plot_view_zoom (view, 0.5, px, py);
  g_assert_true (fb_plot_view_is_zoomed (view));
  fb_plot_view_get_range (view, &x0, &x1, &y0, &y1);
  g_assert_cmpfloat_with_epsilon (x1 - x0, (ax1 - ax0) / 2, 1e-9 * (ax1 - ax0));
  g_assert_true (fb_plot_view_to_pixel (view, p->values, &qx, &qy));
  g_assert_cmpfloat_with_epsilon (qx, px, 1e-6);
  g_assert_cmpfloat_with_epsilon (qy, py, 1e-6);

  /* Panning moves the data with the pointer. */
  fb_plot_view_pan (view, 40, -25);
  g_assert_true (fb_plot_view_to_pixel (view, p->values, &qx, &qy));
  g_assert_cmpfloat_with_epsilon (qx, px + 40, 1e-6);
  g_assert_cmpfloat_with_epsilon (qy, py - 25, 1e-6);

  fb_plot_view_reset (view);
  g_assert_false (fb_plot_view_is_zoomed (view));
  fb_plot_view_get_range (view, &x0, &x1, &y0, &y1);
  g_assert_cmpfloat (x0, ==, ax0);
  g_assert_cmpfloat (y1, ==, ay1);

  /* Log scale: ranges in decades, and points still land where they were picked. */
  fb_plot_view_set_log (view, TRUE, TRUE);
  fb_plot_view_get_range (view, &x0, &x1, &y0, &y1);
  g_assert_cmpfloat (x0, <, log10 (p->values[FB_PLOT_METRIC_SIZE]));
  g_assert_cmpfloat (x1, >, log10 (p->values[FB_PLOT_METRIC_SIZE]));
  g_assert_true (fb_plot_view_to_pixel (view, p->values, &qx, &qy));
  g_assert_cmpint (fb_plot_view_pick (view, qx + 2, qy - 2, 8), ==, 4);
  fb_plot_view_free (view);
}

static void
test_pick_and_describe (void)
{
  FbPlotView *view = fb_plot_view_new ();
  g_autoptr(FbPointSet) set = make_uniform_set ();
  g_autofree char *markup = NULL;
  double px, py;

  fb_plot_view_set_points (view, set);
  fb_plot_view_set_size (view, W, H);
  g_assert_true (fb_plot_view_to_pixel (view, fb_point_set_get_point (set, 8)->values, &px, &py));
  g_assert_cmpint (fb_plot_view_pick (view, px + 3, py + 3, 8), ==, 8);
  g_assert_cmpint (fb_plot_view_pick (view, px + 30, py + 30, 8), ==, -1);
  g_assert_cmpint (fb_plot_view_pick (view, -100, -100, 8), ==, -1);

  markup = fb_plot_view_describe_point (view, 8);
  g_assert_true (pango_parse_markup (markup, -1, 0, NULL, NULL, NULL, NULL));
  g_assert_nonnull (strstr (markup, "w2a2"));
  g_assert_nonnull (strstr (markup, "uniform"));
  g_assert_nonnull (strstr (markup, "kB"));
  g_assert_nonnull (strstr (markup, "not measured"));
  fb_plot_view_free (view);
}

static void
assert_magic (const char *path, const char *magic, gsize len)
{
  g_autofree char *data = NULL;
  gsize size = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &data, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (size, >, 1000);
  g_assert_cmpmem (data, len, magic, len);
}

static void
test_export (void)
{
  FbPlotView *view = fb_plot_view_new ();
  g_autoptr(FbPointSet) small = make_uniform_set ();
  g_autoptr(FbPointSet) many = make_random_set (5000, 3);
  g_autofree char *dir = g_dir_make_tmp ("fb-plot-XXXXXX", NULL);
  const struct { const char *name; const char *magic; gsize len; } files[] = {
    { "plot.png", "\x89PNG\r\n\x1a\n", 8 },
    { "plot.svg", "<?xml", 5 },
    { "plot.pdf", "%PDF-", 5 },
  };

  g_assert_nonnull (dir);
  for (guint round = 0; round < 2; round++)
    {
      /* Vector markers and the raster layer both export. */
      fb_plot_view_set_points (view, round == 0 ? small : many);
      for (guint i = 0; i < G_N_ELEMENTS (files); i++)
        {
          g_autofree char *path = g_build_filename (dir, files[i].name, NULL);
          g_autoptr(GError) error = NULL;
          FbPlotFormat format;

          g_assert_true (fb_plot_format_from_path (path, &format));
          g_assert_true (fb_plot_view_export (view, path, format, 900, 600, &error));
          g_assert_no_error (error);
          assert_magic (path, files[i].magic, files[i].len);
          if (format == FB_PLOT_FORMAT_SVG)
            {
              g_autofree char *svg = NULL;
              g_file_get_contents (path, &svg, NULL, NULL);
              g_assert_nonnull (strstr (svg, "<svg"));
            }
          g_unlink (path);
        }
    }

  {
    FbPlotFormat f;
    g_assert_false (fb_plot_format_from_path ("plot.jpg", &f));
    g_assert_true (fb_plot_format_from_path ("PLOT.PDF", &f));
    g_assert_cmpint (f, ==, FB_PLOT_FORMAT_PDF);
  }

  /* An unwritable place: an error naming the file, and no stray temp file. */
  {
    g_autofree char *bad = g_build_filename (dir, "missing-dir", "plot.png", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_false (fb_plot_view_export (view, bad, FB_PLOT_FORMAT_PNG, 300, 200, &error));
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "plot.png"));
  }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  fb_plot_view_free (view);
}

/* A series computed for another target is grey (its shape kept), and a
 * legend too wide for a narrow plot wraps into more rows, the frame moving
 * down, every entry still inside the widget and clickable. */
static void
test_stale_and_legend_rows (void)
{
  FbPlotView *view = fb_plot_view_new ();
  FbPointSet *set = fb_point_set_new ();
  guint uniform = fb_point_set_add_series (set, "uniform");
  guint stale = fb_point_set_add_series (set, "Pareto DP (gap8, stale)");
  guint fresh = fb_point_set_add_series (set, "Free Bits from a very long start name");
  double v[FB_PLOT_N_METRICS], px, py;
  FbPlotArea area;
  Canvas c;
  guint32 rgb;
  int r, g, b;
  gboolean seen[3] = { FALSE, FALSE, FALSE };
  cairo_surface_t *narrow;
  cairo_t *cr;

  values (v, 9000, 4e6, NAN);
  fb_point_set_append (set, v, uniform, FB_PLOT_POINT_BASELINE, "w2a2", NULL);
  values (v, 61000, 2.6e8, NAN);
  fb_point_set_append (set, v, uniform, FB_PLOT_POINT_BASELINE, "w8a8", NULL);
  /* Dominated (not on the front, which is drawn over the cloud). */
  values (v, 40000, 1.5e8, NAN);
  fb_point_set_append (set, v, stale, 0, NULL, NULL);
  values (v, 20000, 1e7, NAN);
  fb_point_set_append (set, v, fresh, 0, NULL, NULL);
  fb_point_set_set_series_flags (set, stale, FB_PLOT_POINT_STALE);
  fb_point_set_seal (set);
  g_assert_true (fb_point_set_get_point (set, 2)->flags & FB_PLOT_POINT_STALE);
  g_assert_false (fb_point_set_get_point (set, 3)->flags & FB_PLOT_POINT_STALE);
  fb_plot_view_set_axes (view, FB_PLOT_METRIC_SIZE, FB_PLOT_METRIC_BOPS);
  fb_plot_view_set_points (view, set);

  canvas_render (&c, view);
  fb_plot_view_get_area (view, &area);
  /* 800 px: one legend row, the frame at its usual place. */
  g_assert_cmpfloat (area.top, ==, 36);
  g_assert_true (fb_plot_view_to_pixel (view, fb_point_set_get_point (set, 2)->values, &px, &py));
  rgb = pixel (&c, px, py);
  r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;
  /* Grey: neither the background nor a series colour. */
  g_assert_cmpint (ABS (r - g), <, 12);
  g_assert_cmpint (ABS (g - b), <, 12);
  g_assert_cmpint (r, <, 0xe0);
  g_assert_true (fb_plot_view_to_pixel (view, fb_point_set_get_point (set, 3)->values, &px, &py));
  rgb = pixel (&c, px, py);
  /* The live series keeps its colour (green: G well above R). */
  g_assert_cmpint ((int) (rgb >> 8 & 0xff) - (int) (rgb >> 16 & 0xff), >, 40);
  canvas_clear (&c);

  /* 330 px: the entries do not fit one row. */
  narrow = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 330, H);
  cr = cairo_create (narrow);
  fb_plot_view_render (view, cr, 330, H);
  fb_plot_view_get_area (view, &area);
  g_assert_cmpfloat (area.top, >, 36);
  for (int y = 0; y < area.top; y++)
    for (int x = 0; x < 330; x++)
      {
        int hit = fb_plot_view_legend_pick (view, x, y);
        if (hit >= 0)
          seen[hit] = TRUE;
      }
  g_assert_true (seen[0] && seen[1] && seen[2]);
  cairo_destroy (cr);
  cairo_surface_destroy (narrow);
  fb_point_set_unref (set);
  fb_plot_view_free (view);
}

int
main (int argc, char **argv)
{
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/plot/render-points", test_render_points);
  g_test_add_func ("/ui/plot/render-raster", test_render_raster);
  g_test_add_func ("/ui/plot/render-current-and-empty-axes", test_render_current_and_empty_axes);
  g_test_add_func ("/ui/plot/zoom-pan-reset", test_zoom_pan_reset);
  g_test_add_func ("/ui/plot/pick-and-describe", test_pick_and_describe);
  g_test_add_func ("/ui/plot/export", test_export);
  g_test_add_func ("/ui/plot/stale-and-legend-rows", test_stale_and_legend_rows);
  return g_test_run ();
}
