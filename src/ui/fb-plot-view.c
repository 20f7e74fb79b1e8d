/* fb-plot-view.c — the Pareto plot without GTK: state, layout, hit testing,
 * zoom and pan, and one draw function for any cairo_t.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>
#include <unistd.h>

#include "fb-error.h"
#include "fb-plot-axis.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"
#include "fb-ui-format.h"
#include "fb-plot-view-private.h"

static const FbPlotPalette light_palette = {
  .bg        = RGB (0xffffff),
  .grid      = RGB (0xebebed),
  .frame     = RGB (0xc0bfbc),
  .text      = RGB (0x241f31),
  .dim_text  = RGB (0x5e5c64),
  .front     = RGB (0x3d3846),
  .current   = RGB (0xe01b24),
  .highlight = RGB (0x000000),
  .stale     = RGB (0xa8a7a4),
};

static const FbPlotPalette dark_palette = {
  .bg        = RGB (0x242424),
  .grid      = RGB (0x353535),
  .frame     = RGB (0x5e5c64),
  .text      = RGB (0xeeeeec),
  .dim_text  = RGB (0xb0afac),
  .front     = RGB (0xdeddda),
  .current   = RGB (0xff7b63),
  .highlight = RGB (0xffffff),
  .stale     = RGB (0x77767b),
};

FbPlotView *
fb_plot_view_new (void)
{
  FbPlotView *self = g_new0 (FbPlotView, 1);

  self->palette = &light_palette;
  self->xm = FB_PLOT_METRIC_SIZE;
  self->ym = FB_PLOT_METRIC_BOPS;
  self->hover = -1;
  self->selected = -1;
  self->font = pango_font_description_from_string ("Sans 9");
  self->width = 800;
  self->height = 500;
  self->hidden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

static void
invalidate (FbPlotView *self)
{
  self->auto_valid = FALSE;
  self->front_valid = FALSE;
  self->coords_valid = FALSE;
  g_clear_pointer (&self->front, g_free);
  /* The coordinate buffers and the raster surface are reused: fresh
   * megabytes for every streamed batch cost more in page faults than the
   * drawing itself. Their contents are rebuilt on the next draw. */
  self->raster_valid = FALSE;
  self->n_front = 0;
}

void
fb_plot_view_free (FbPlotView *self)
{
  invalidate (self);
  g_clear_pointer (&self->cx, g_free);
  g_clear_pointer (&self->cy, g_free);
  g_clear_pointer (&self->raster, cairo_surface_destroy);
  g_clear_pointer (&self->points, fb_point_set_unref);
  g_clear_pointer (&self->font, pango_font_description_free);
  g_clear_pointer (&self->hidden, g_hash_table_unref);
  g_free (self->accuracy_title);
  g_free (self->current_label);
  g_free (self->hint);
  g_free (self);
}

void
fb_plot_view_set_points (FbPlotView *self, FbPointSet *points)
{
  g_return_if_fail (points == NULL || fb_point_set_is_sealed (points));
  if (points != NULL)
    fb_point_set_ref (points);
  g_clear_pointer (&self->points, fb_point_set_unref);
  self->points = points;
  /* Indices refer to the old set. */
  self->hover = -1;
  self->selected = -1;
  invalidate (self);
}

FbPointSet *
fb_plot_view_get_points (FbPlotView *self)
{
  return self->points;
}

void
fb_plot_view_set_axes (FbPlotView *self, FbPlotMetric x, FbPlotMetric y)
{
  g_return_if_fail (x < FB_PLOT_N_METRICS && y < FB_PLOT_N_METRICS);
  if (x == self->xm && y == self->ym)
    return;
  self->xm = x;
  self->ym = y;
  self->zoomed = FALSE;
  invalidate (self);
}

FbPlotMetric
fb_plot_view_get_x_metric (FbPlotView *self)
{
  return self->xm;
}

FbPlotMetric
fb_plot_view_get_y_metric (FbPlotView *self)
{
  return self->ym;
}

void
fb_plot_view_set_log (FbPlotView *self, gboolean log_x, gboolean log_y)
{
  if (!!log_x == self->log_x && !!log_y == self->log_y)
    return;
  self->log_x = !!log_x;
  self->log_y = !!log_y;
  self->zoomed = FALSE;
  invalidate (self);
}

gboolean
fb_plot_view_get_log_x (FbPlotView *self)
{
  return self->log_x;
}

gboolean
fb_plot_view_get_log_y (FbPlotView *self)
{
  return self->log_y;
}

void
fb_plot_view_set_current (FbPlotView *self, const double *values, const char *label)
{
  self->has_current = values != NULL;
  if (values != NULL)
    memcpy (self->current, values, sizeof self->current);
  g_free (self->current_label);
  self->current_label = g_strdup (label);
  /* The marker takes part in the fitted range. */
  self->auto_valid = FALSE;
}

void
fb_plot_view_set_hover (FbPlotView *self, int index)
{
  self->hover = index;
}

int
fb_plot_view_get_hover (FbPlotView *self)
{
  return self->hover;
}

void
fb_plot_view_set_selected (FbPlotView *self, int index)
{
  self->selected = index;
}

int
fb_plot_view_get_selected (FbPlotView *self)
{
  return self->selected;
}

void
fb_plot_view_set_dark (FbPlotView *self, gboolean dark)
{
  self->palette = dark ? &dark_palette : &light_palette;
}

gboolean
fb_plot_view_get_dark (FbPlotView *self)
{
  return self->palette == &dark_palette;
}

void
fb_plot_view_set_accuracy_title (FbPlotView *self, const char *title)
{
  g_free (self->accuracy_title);
  self->accuracy_title = g_strdup (title);
}

const char *
fb_plot_view_get_accuracy_title (FbPlotView *self)
{
  return self->accuracy_title;
}

void
fb_plot_view_set_series_hidden (FbPlotView *self, const char *name, gboolean hidden)
{
  g_return_if_fail (name != NULL);
  if (hidden == fb_plot_view_get_series_hidden (self, name))
    return;
  if (hidden)
    g_hash_table_add (self->hidden, g_strdup (name));
  else
    g_hash_table_remove (self->hidden, name);
  invalidate (self);
}

gboolean
fb_plot_view_get_series_hidden (FbPlotView *self, const char *name)
{
  return name != NULL && g_hash_table_contains (self->hidden, name);
}

int
fb_plot_view_legend_pick (FbPlotView *self, double px, double py)
{
  for (guint i = 0; i < self->n_legend; i++)
    if (py >= self->legend_y[i] - 3 && py <= self->legend_y[i] + 19 &&
        px >= self->legend_x[i] - 4 && px <= self->legend_x[i] + self->legend_w[i] + 4)
      return (int) i;
  return -1;
}

void
fb_plot_view_set_hint (FbPlotView *self, const char *hint)
{
  g_free (self->hint);
  self->hint = g_strdup (hint);
}

const char *
fb_plot_view_get_hint (FbPlotView *self)
{
  return self->hint;
}

void
fb_plot_view_set_font (FbPlotView *self, const PangoFontDescription *font)
{
  g_clear_pointer (&self->font, pango_font_description_free);
  self->font = font ? pango_font_description_copy (font)
                    : pango_font_description_from_string ("Sans 9");
}

/* ---- caches --------------------------------------------------------------- */

static inline double
to_axis (double v, gboolean log_scale)
{
  if (isnan (v))
    return NAN;
  if (log_scale)
    return v > 0 ? log10 (v) : NAN;
  return v;
}

static void
ensure_coords (FbPlotView *self)
{
  guint n;

  if (self->coords_valid)
    return;
  n = self->points ? fb_point_set_get_n_points (self->points) : 0;
  if (self->cx == NULL || n > self->coords_capacity)
    {
      self->coords_capacity = MAX (n, 1);
      g_free (self->cx);
      g_free (self->cy);
      self->cx = g_new (double, self->coords_capacity);
      self->cy = g_new (double, self->coords_capacity);
    }
  {
    guint n_series = self->points ? fb_point_set_get_n_series (self->points) : 0;
    g_autofree gboolean *hidden = g_new0 (gboolean, MAX (n_series, 1));

    for (guint s = 0; s < n_series; s++)
      hidden[s] = fb_plot_view_get_series_hidden (self, fb_point_set_get_series_name (self->points, s));
    /* A hidden series' points are not drawable: not drawn, picked, fitted
     * or on the front. */
    for (guint i = 0; i < n; i++)
      {
        const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
        self->cx[i] = to_axis (p->values[self->xm], self->log_x);
        self->cy[i] = to_axis (p->values[self->ym], self->log_y);
        if (isnan (self->cy[i]) || hidden[p->series])
          self->cx[i] = NAN;
      }
  }
  self->coords_valid = TRUE;
}

const guint *
fb_plot_view_get_front (FbPlotView *self, guint *n_front)
{
  if (!self->front_valid)
    {
      g_clear_pointer (&self->front, g_free);
      self->n_front = 0;
      if (self->points != NULL && g_hash_table_size (self->hidden) > 0)
        {
          /* Only the shown series: the front of the drawable coordinates
           * (log10 keeps the order). */
          guint n = fb_point_set_get_n_points (self->points);

          ensure_coords (self);
          self->front = g_new (guint, MAX (n, 1));
          self->n_front = fb_pareto_front (self->cx, self->cy, n, fb_plot_metric_maximize (self->xm),
                                           fb_plot_metric_maximize (self->ym), self->front);
        }
      else if (self->points != NULL)
        self->front = fb_point_set_compute_front (self->points, self->xm, self->ym, &self->n_front);
      self->front_valid = TRUE;
    }
  *n_front = self->n_front;
  return self->front;
}

static void
pad_range (double *lo, double *hi, gboolean log_scale)
{
  double span = *hi - *lo;

  if (span <= 0)
    {
      double d = log_scale ? 0.15 : (*lo != 0 ? fabs (*lo) * 0.1 : 1.0);
      *lo -= d;
      *hi += d;
      return;
    }
  *lo -= span * 0.06;
  *hi += span * 0.06;
}

static void
ensure_auto_range (FbPlotView *self)
{
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  guint n;

  if (self->auto_valid)
    return;
  ensure_coords (self);
  n = self->points ? fb_point_set_get_n_points (self->points) : 0;
  for (guint i = 0; i < n; i++)
    {
      if (isnan (self->cx[i]))
        continue;
      xlo = MIN (xlo, self->cx[i]);
      xhi = MAX (xhi, self->cx[i]);
      ylo = MIN (ylo, self->cy[i]);
      yhi = MAX (yhi, self->cy[i]);
    }
  if (self->has_current)
    {
      double x = to_axis (self->current[self->xm], self->log_x);
      double y = to_axis (self->current[self->ym], self->log_y);
      if (!isnan (x) && !isnan (y))
        {
          xlo = MIN (xlo, x);
          xhi = MAX (xhi, x);
          ylo = MIN (ylo, y);
          yhi = MAX (yhi, y);
        }
    }
  if (xlo > xhi)
    {
      /* Nothing to show: a neutral range so the frame still draws. */
      xlo = ylo = self->log_x ? 0 : 0;
      xhi = yhi = 1;
    }
  pad_range (&xlo, &xhi, self->log_x);
  pad_range (&ylo, &yhi, self->log_y);
  self->ax0 = xlo;
  self->ax1 = xhi;
  self->ay0 = ylo;
  self->ay1 = yhi;
  self->auto_valid = TRUE;
}

void
fb_plot_view_get_range (FbPlotView *self, double *x0, double *x1, double *y0, double *y1)
{
  if (self->zoomed)
    {
      *x0 = self->x0; *x1 = self->x1; *y0 = self->y0; *y1 = self->y1;
      return;
    }
  ensure_auto_range (self);
  *x0 = self->ax0; *x1 = self->ax1; *y0 = self->ay0; *y1 = self->ay1;
}

/* ---- geometry ------------------------------------------------------------- */

void
fb_plot_view_set_size (FbPlotView *self, int width, int height)
{
  self->width = MAX (width, 1);
  self->height = MAX (height, 1);
}

void
fb_plot_view_get_area (FbPlotView *self, FbPlotArea *area)
{
  area->left = MARGIN_LEFT;
  area->top = MARGIN_TOP + (MAX (self->legend_rows, 1) - 1) * LEGEND_ROW;
  area->width = MAX (self->width - MARGIN_LEFT - MARGIN_RIGHT, 10);
  area->height = MAX (self->height - area->top - MARGIN_BOTTOM, 10);
}

void
fb_plot_view_get_transform (FbPlotView *self, FbPlotTransform *t)
{
  fb_plot_view_get_area (self, &t->area);
  fb_plot_view_get_range (self, &t->x0, &t->x1, &t->y0, &t->y1);
  t->kx = t->area.width / (t->x1 - t->x0);
  t->ky = t->area.height / (t->y1 - t->y0);
}

gboolean
fb_plot_view_to_pixel (FbPlotView *self, const double *values, double *px, double *py)
{
  FbPlotTransform t;
  double ax = to_axis (values[self->xm], self->log_x);
  double ay = to_axis (values[self->ym], self->log_y);

  if (isnan (ax) || isnan (ay))
    return FALSE;
  fb_plot_view_get_transform (self, &t);
  *px = tx (&t, ax);
  *py = ty (&t, ay);
  return TRUE;
}

void
fb_plot_view_zoom (FbPlotView *self, double factor, double px, double py)
{
  FbPlotTransform t;
  double ax, ay;

  if (!(factor > 0))
    return;
  fb_plot_view_get_transform (self, &t);
  /* Zoom around the cursor: the data under it stays under it. */
  ax = t.x0 + (px - t.area.left) / t.kx;
  ay = t.y1 - (py - t.area.top) / t.ky;
  self->x0 = ax - (ax - t.x0) * factor;
  self->x1 = ax + (t.x1 - ax) * factor;
  self->y0 = ay - (ay - t.y0) * factor;
  self->y1 = ay + (t.y1 - ay) * factor;
  /* Keep doubles meaningful; past this the ticks cannot tell values apart. */
  if (self->x1 - self->x0 < 1e-9 * MAX (1, fabs (ax)) ||
      self->y1 - self->y0 < 1e-9 * MAX (1, fabs (ay)))
    {
      self->x0 = t.x0; self->x1 = t.x1; self->y0 = t.y0; self->y1 = t.y1;
    }
  self->zoomed = TRUE;
}

void
fb_plot_view_pan (FbPlotView *self, double dx, double dy)
{
  FbPlotTransform t;

  fb_plot_view_get_transform (self, &t);
  self->x0 = t.x0 - dx / t.kx;
  self->x1 = t.x1 - dx / t.kx;
  self->y0 = t.y0 + dy / t.ky;
  self->y1 = t.y1 + dy / t.ky;
  self->zoomed = TRUE;
}

void
fb_plot_view_reset (FbPlotView *self)
{
  self->zoomed = FALSE;
}

gboolean
fb_plot_view_is_zoomed (FbPlotView *self)
{
  return self->zoomed;
}

int
fb_plot_view_pick (FbPlotView *self, double px, double py, double radius)
{
  FbPlotTransform t;
  double best = radius * radius;
  int found = -1;
  guint n;

  if (self->points == NULL)
    return -1;
  ensure_coords (self);
  fb_plot_view_get_transform (self, &t);
  if (px < t.area.left - radius || px > t.area.left + t.area.width + radius ||
      py < t.area.top - radius || py > t.area.top + t.area.height + radius)
    return -1;
  n = fb_point_set_get_n_points (self->points);
  for (guint i = 0; i < n; i++)
    {
      double dx, dy, d;
      if (isnan (self->cx[i]))
        continue;
      dx = tx (&t, self->cx[i]) - px;
      dy = ty (&t, self->cy[i]) - py;
      d = dx * dx + dy * dy;
      /* "<=" prefers later points: they are drawn on top. */
      if (d <= best)
        {
          best = d;
          found = (int) i;
        }
    }
  return found;
}

char *
fb_plot_view_describe_point (FbPlotView *self, guint index)
{
  const FbPlotPoint *p;
  FbLatencyUnit unit;
  GString *s;

  g_return_val_if_fail (self->points != NULL, NULL);
  g_return_val_if_fail (index < fb_point_set_get_n_points (self->points), NULL);
  p = fb_point_set_get_point (self->points, index);
  unit = fb_point_set_get_latency_unit (self->points);
  s = g_string_new (NULL);
  {
    g_autofree char *head = g_markup_printf_escaped ("<b>%s</b>  <small>%s</small>",
                                                     p->label ? p->label : _("config"),
                                                     fb_point_set_get_series_name (self->points, p->series));
    g_string_append (s, head);
  }
  for (guint m = 0; m < FB_PLOT_N_METRICS; m++)
    {
      g_autofree char *value = NULL;
      g_autofree char *line = NULL;

      if (m == FB_PLOT_METRIC_LATENCY && isnan (p->values[m]))
        continue; /* no table loaded: nothing to say */
      value = fb_plot_metric_format (m, unit, p->values[m]);
      if ((m == FB_PLOT_METRIC_SIZE || m == FB_PLOT_METRIC_PEAK_RAM) && !isnan (p->values[m]))
        {
          g_autofree char *exact = fb_ui_format_count ((guint64) p->values[m]);
          g_autofree char *both = g_strdup_printf (_("%s (%s bytes)"), value, exact);
          g_free (value);
          value = g_steal_pointer (&both);
        }
      if (m == FB_PLOT_METRIC_LATENCY && fb_point_set_get_target (self->points))
        {
          g_autofree char *on = g_strdup_printf (_("%s on %s"), value, fb_point_set_get_target (self->points));
          g_free (value);
          value = g_steal_pointer (&on);
        }
      line = g_markup_printf_escaped ("\n%s: %s", fb_plot_metric_get_name (m), value);
      g_string_append (s, line);
    }
  return g_string_free (s, FALSE);
}


static gboolean
anything_to_draw (FbPlotView *self)
{
  guint n = self->points ? fb_point_set_get_n_points (self->points) : 0;

  for (guint i = 0; i < n; i++)
    if (!isnan (self->cx[i]))
      return TRUE;
  return FALSE;
}

void
fb_plot_view_render (FbPlotView *self, cairo_t *cr, int width, int height)
{
  FbPlotTransform t;
  double sx = 1, sy = 1;
  cairo_surface_t *target = cairo_get_target (cr);
  FbPlotBox current_box = { 0, 0, 0, 0 };
  gboolean current_placed = FALSE;
  FbPlotLegend legend = { 0 };

  fb_plot_view_set_size (self, width, height);
  ensure_coords (self);
  fb_plot_view_find_stale_series (self);
  fb_plot_view_legend_layout (self, cr, &legend);
  fb_plot_view_get_transform (self, &t);

  cairo_save (cr);
  fb_plot_set_rgb (cr, &self->palette->bg);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);

  fb_plot_view_draw_axes (self, cr, &t);

  cairo_save (cr);
  cairo_rectangle (cr, t.area.left, t.area.top, t.area.width, t.area.height);
  cairo_clip (cr);
  if (self->points != NULL && anything_to_draw (self))
    {
      if (fb_point_set_get_n_points (self->points) <= FB_PLOT_VECTOR_MAX_POINTS)
        fb_plot_view_draw_points_vector (self, cr, &t);
      else
        {
          /* Vector exports get a finer raster than the screen. */
          cairo_surface_type_t type = cairo_surface_get_type (target);
          cairo_surface_get_device_scale (target, &sx, &sy);
          if (type == CAIRO_SURFACE_TYPE_PDF || type == CAIRO_SURFACE_TYPE_SVG)
            sx = 3;
          fb_plot_view_draw_points_raster (self, cr, &t, MAX (sx, 1));
        }
      /* The front goes over the cloud: it is what the user came for. */
      fb_plot_view_draw_front (self, cr, &t);
      fb_plot_view_draw_baseline_labels (self, cr, &t, &current_box, &current_placed);
      fb_plot_view_draw_highlight (self, cr, &t, self->selected, TRUE);
      fb_plot_view_draw_highlight (self, cr, &t, self->hover, FALSE);
    }
  else
    {
      g_autofree char *msg = g_strdup_printf (_("No config has both %s and %s yet"),
                                              fb_plot_metric_get_name (self->xm),
                                              fb_plot_metric_get_name (self->ym));
      fb_plot_view_draw_text (self, cr, msg, t.area.left + t.area.width / 2, t.area.top + t.area.height / 2,
                 0.5, 0.5, &self->palette->dim_text, FALSE, NULL, NULL);
    }
  fb_plot_view_draw_current (self, cr, &t, &current_box, &current_placed);
  cairo_restore (cr);

  fb_plot_view_draw_legend (self, cr, &t, &legend);
  cairo_restore (cr);
  g_ptr_array_unref (legend.labels);
}

/* ---- export --------------------------------------------------------------- */

gboolean
fb_plot_format_from_path (const char *path, FbPlotFormat *format)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".png"))
    *format = FB_PLOT_FORMAT_PNG;
  else if (g_str_has_suffix (lower, ".svg"))
    *format = FB_PLOT_FORMAT_SVG;
  else if (g_str_has_suffix (lower, ".pdf"))
    *format = FB_PLOT_FORMAT_PDF;
  else
    return FALSE;
  return TRUE;
}

static gboolean
cairo_fail (cairo_status_t status, const char *path, GError **error)
{
  if (status == CAIRO_STATUS_SUCCESS)
    return TRUE;
  g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: cannot write the plot: %s"),
               path, cairo_status_to_string (status));
  return FALSE;
}

gboolean
fb_plot_view_export (FbPlotView *self, const char *path, FbPlotFormat format,
                     int width, int height, GError **error)
{
  /* Write next to the destination and rename, so a failed export never
   * leaves half a file behind (like every other freebits write). */
  g_autofree char *tmp = g_strdup_printf ("%s.tmp-%d", path, (int) getpid ());
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  switch (format)
    {
    case FB_PLOT_FORMAT_PNG:
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width * 2, height * 2);
      cairo_surface_set_device_scale (surface, 2, 2);
      break;
    case FB_PLOT_FORMAT_SVG:
      surface = cairo_svg_surface_create (tmp, width, height);
      break;
    case FB_PLOT_FORMAT_PDF:
    default:
      surface = cairo_pdf_surface_create (tmp, width, height);
      break;
    }
  status = cairo_surface_status (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      g_unlink (tmp);
      return cairo_fail (status, path, error);
    }
  cr = cairo_create (surface);
  fb_plot_view_render (self, cr, width, height);
  status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && format == FB_PLOT_FORMAT_PNG)
    status = cairo_surface_write_to_png (surface, tmp);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_unlink (tmp);
      return cairo_fail (status, path, error);
    }
  if (g_rename (tmp, path) != 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: cannot write the plot: %s"),
                   path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
