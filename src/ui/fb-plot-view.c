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

/* Margins around the data area: tick labels and titles on the left and
 * bottom, the legend strip on top (outside the data, so it never hides the
 * worst-corner points that a legend inside the frame would cover). */
#define MARGIN_LEFT   78
#define MARGIN_RIGHT  22
#define MARGIN_TOP    36
#define MARGIN_BOTTOM 54
#define LEGEND_ROW    20  /* a further legend row moves the frame down by this */
#define MARKER_RADIUS 4.5

typedef struct {
  double r, g, b;
} Rgb;

#define RGB(hex) { ((hex) >> 16 & 0xff) / 255.0, ((hex) >> 8 & 0xff) / 255.0, ((hex) & 0xff) / 255.0 }

/* GNOME palette, darker shades so markers read well on white. */
static const Rgb series_colors[] = {
  RGB (0x1c71d8), /* blue */
  RGB (0xe66100), /* orange */
  RGB (0x26a269), /* green */
  RGB (0x9141ac), /* purple */
  RGB (0x986a44), /* brown */
  RGB (0x0b8a8a), /* teal */
  RGB (0xc061cb), /* pink */
  RGB (0x5e5c64), /* grey */
};
/* The canvas colours: light, and dark for a dark GTK theme (Adwaita's
 * dark window colours), picked with fb_plot_view_set_dark(). */
typedef struct {
  Rgb bg, grid, frame, text, dim_text, front, current, highlight;
  Rgb stale;  /* the markers of results computed for another target */
} Palette;

static const Palette light_palette = {
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

static const Palette dark_palette = {
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

typedef enum {
  SHAPE_CIRCLE,
  SHAPE_SQUARE,
  SHAPE_TRIANGLE,
  SHAPE_DIAMOND,
  N_SHAPES
} Shape;

struct _FbPlotView {
  const Palette        *palette;
  FbPointSet           *points;
  FbPlotMetric          xm, ym;
  gboolean              log_x, log_y;

  /* User range (axis space) once zoomed or panned. */
  gboolean              zoomed;
  double                x0, x1, y0, y1;

  /* Caches, dropped when points, axes or scales change. */
  gboolean              auto_valid;
  double                ax0, ax1, ay0, ay1;
  gboolean              front_valid;
  guint                *front;
  guint                 n_front;
  gboolean              coords_valid;
  double               *cx, *cy;        /* axis-space coordinates, NAN = not drawable */
  guint                 coords_capacity; /* kept across sets: no page faults per batch */

  /* The raster layer of the last draw: hover and selection redraws reuse
   * it; any change of points, axes, range or size rebuilds it. */
  cairo_surface_t      *raster;
  gboolean              raster_valid;
  double                raster_key[7];

  gboolean              has_current;
  double                current[FB_PLOT_N_METRICS];
  char                 *current_label;
  int                   hover;
  int                   selected;
  char                 *hint;
  PangoFontDescription *font;
  int                   width, height;

  char                 *accuracy_title;  /* the accuracy axis' title, or NULL: the default */
  /* Series hidden from the legend, by name (indices change between sets). */
  GHashTable           *hidden;
  /* Where the last render put the legend's series entries (for clicks). */
  guint                 n_legend;
  double                legend_x[16], legend_w[16], legend_y[16];
  guint                 legend_rows;     /* rows of the last render's legend (the top margin) */
  guint64               stale_series;    /* bit s: series s is stale (FB_PLOT_POINT_STALE), grey */
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

typedef struct {
  FbPlotArea area;
  double x0, x1, y0, y1;
  double kx, ky;   /* pixels per axis unit */
} Transform;

static void
get_transform (FbPlotView *self, Transform *t)
{
  fb_plot_view_get_area (self, &t->area);
  fb_plot_view_get_range (self, &t->x0, &t->x1, &t->y0, &t->y1);
  t->kx = t->area.width / (t->x1 - t->x0);
  t->ky = t->area.height / (t->y1 - t->y0);
}

static inline double
tx (const Transform *t, double ax)
{
  return t->area.left + (ax - t->x0) * t->kx;
}

static inline double
ty (const Transform *t, double ay)
{
  return t->area.top + (t->y1 - ay) * t->ky;
}

gboolean
fb_plot_view_to_pixel (FbPlotView *self, const double *values, double *px, double *py)
{
  Transform t;
  double ax = to_axis (values[self->xm], self->log_x);
  double ay = to_axis (values[self->ym], self->log_y);

  if (isnan (ax) || isnan (ay))
    return FALSE;
  get_transform (self, &t);
  *px = tx (&t, ax);
  *py = ty (&t, ay);
  return TRUE;
}

void
fb_plot_view_zoom (FbPlotView *self, double factor, double px, double py)
{
  Transform t;
  double ax, ay;

  if (!(factor > 0))
    return;
  get_transform (self, &t);
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
  Transform t;

  get_transform (self, &t);
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
  Transform t;
  double best = radius * radius;
  int found = -1;
  guint n;

  if (self->points == NULL)
    return -1;
  ensure_coords (self);
  get_transform (self, &t);
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

/* ---- drawing -------------------------------------------------------------- */

static Shape
series_shape (guint series)
{
  return series % N_SHAPES;
}

static const Rgb *
series_color (guint series)
{
  return &series_colors[series % G_N_ELEMENTS (series_colors)];
}

/* Grey for a series computed for another target, else its colour. */
static const Rgb *
series_color_of (FbPlotView *self, guint series)
{
  if (series < 64 && (self->stale_series >> series & 1))
    return &self->palette->stale;
  return series_color (series);
}

static void
find_stale_series (FbPlotView *self)
{
  guint n = self->points ? fb_point_set_get_n_points (self->points) : 0;

  self->stale_series = 0;
  for (guint i = 0; i < n; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
      if ((p->flags & FB_PLOT_POINT_STALE) && p->series < 64)
        self->stale_series |= G_GUINT64_CONSTANT (1) << p->series;
    }
}

static void
set_rgb (cairo_t *cr, const Rgb *c)
{
  cairo_set_source_rgb (cr, c->r, c->g, c->b);
}

static void
marker_path (cairo_t *cr, Shape shape, double x, double y, double r)
{
  switch (shape)
    {
    case SHAPE_SQUARE:
      r *= 0.9;
      cairo_rectangle (cr, x - r, y - r, 2 * r, 2 * r);
      break;
    case SHAPE_TRIANGLE:
      r *= 1.2;
      cairo_move_to (cr, x, y - r);
      cairo_line_to (cr, x + r * 0.866, y + r * 0.5);
      cairo_line_to (cr, x - r * 0.866, y + r * 0.5);
      cairo_close_path (cr);
      break;
    case SHAPE_DIAMOND:
      r *= 1.25;
      cairo_move_to (cr, x, y - r);
      cairo_line_to (cr, x + r, y);
      cairo_line_to (cr, x, y + r);
      cairo_line_to (cr, x - r, y);
      cairo_close_path (cr);
      break;
    case SHAPE_CIRCLE:
    case N_SHAPES:
    default:
      cairo_new_sub_path (cr);
      cairo_arc (cr, x, y, r, 0, 2 * G_PI);
      break;
    }
}

static PangoLayout *
make_layout (FbPlotView *self, cairo_t *cr, const char *text, gboolean bold, double scale)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_copy (self->font);

  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  if (scale != 1)
    pango_font_description_set_size (font, pango_font_description_get_size (font) * scale);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

/* Draws @text with its anchor point at (x, y); @ax, @ay in [0, 1] pick which
 * point of the text's box is the anchor (0,0 top-left; 0.5,0.5 centre). */
static void
draw_text (FbPlotView *self, cairo_t *cr, const char *text, double x, double y,
           double ax, double ay, const Rgb *color, gboolean bold, double *out_w, double *out_h)
{
  g_autoptr(PangoLayout) layout = make_layout (self, cr, text, bold, 1);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  if (color != NULL)
    {
      set_rgb (cr, color);
      cairo_move_to (cr, round (x - ax * w), round (y - ay * h));
      pango_cairo_show_layout (cr, layout);
    }
  if (out_w) *out_w = w;
  if (out_h) *out_h = h;
}

typedef struct {
  double x, y, w, h;
} Box;

static gboolean
box_overlaps (const Box *a, const Box *b)
{
  return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

static void
draw_axes (FbPlotView *self, cairo_t *cr, const Transform *t)
{
  FbPlotTick xt[FB_PLOT_MAX_TICKS], yt[FB_PLOT_MAX_TICKS];
  guint nx, ny;
  FbLatencyUnit unit = self->points ? fb_point_set_get_latency_unit (self->points)
                                    : FB_LATENCY_UNIT_INSTRUCTIONS;
  const char *target = self->points ? fb_point_set_get_target (self->points) : NULL;
  g_autofree char *xtitle = NULL;
  g_autofree char *ytitle = NULL;
  double xdiv, ydiv, xstep = 0, ystep = 0;
  const FbPlotArea *a = &t->area;

  nx = fb_plot_axis_ticks (t->x0, t->x1, self->log_x, CLAMP ((guint) (a->width / 80), 2, 14), xt);
  ny = fb_plot_axis_ticks (t->y0, t->y1, self->log_y, CLAMP ((guint) (a->height / 36), 2, 12), yt);

  /* One unit per axis, from its largest visible magnitude. */
  {
    double vx0 = self->log_x ? pow (10, t->x0) : t->x0, vx1 = self->log_x ? pow (10, t->x1) : t->x1;
    double vy0 = self->log_y ? pow (10, t->y0) : t->y0, vy1 = self->log_y ? pow (10, t->y1) : t->y1;
    xdiv = fb_plot_metric_axis_scale (self->xm, unit, target, MAX (fabs (vx0), fabs (vx1)), &xtitle);
    ydiv = fb_plot_metric_axis_scale (self->ym, unit, target, MAX (fabs (vy0), fabs (vy1)), &ytitle);
    /* What "accuracy" measures for this network (top-1, or the quality of
     * a network whose output is values). */
    if (self->accuracy_title != NULL && self->xm == FB_PLOT_METRIC_ACCURACY)
      {
        g_free (xtitle);
        xtitle = g_strdup (self->accuracy_title);
      }
    if (self->accuracy_title != NULL && self->ym == FB_PLOT_METRIC_ACCURACY)
      {
        g_free (ytitle);
        ytitle = g_strdup (self->accuracy_title);
      }
  }
  /* Evenly spaced values (linear axes, and log axes inside a decade) get
   * fixed decimals; decades get %g-style labels. */
  if (nx >= 2 && (!self->log_x || t->x1 - t->x0 < 1))
    xstep = (xt[1].value - xt[0].value) / xdiv;
  if (ny >= 2 && (!self->log_y || t->y1 - t->y0 < 1))
    ystep = (yt[1].value - yt[0].value) / ydiv;

  /* Grid. */
  cairo_set_line_width (cr, 1);
  set_rgb (cr, &self->palette->grid);
  for (guint i = 0; i < nx; i++)
    {
      double x = round (tx (t, xt[i].pos)) + 0.5;
      cairo_move_to (cr, x, a->top);
      cairo_line_to (cr, x, a->top + a->height);
    }
  for (guint i = 0; i < ny; i++)
    {
      double y = round (ty (t, yt[i].pos)) + 0.5;
      cairo_move_to (cr, a->left, y);
      cairo_line_to (cr, a->left + a->width, y);
    }
  cairo_stroke (cr);

  /* Frame. */
  set_rgb (cr, &self->palette->frame);
  cairo_rectangle (cr, round (a->left) + 0.5, round (a->top) + 0.5,
                   round (a->width) - 1, round (a->height) - 1);
  cairo_stroke (cr);

  /* Tick marks and labels. */
  for (guint i = 0; i < nx; i++)
    {
      g_autofree char *label = fb_plot_axis_format (xt[i].value / xdiv, xstep);
      double x = round (tx (t, xt[i].pos)) + 0.5;
      set_rgb (cr, &self->palette->frame);
      cairo_move_to (cr, x, a->top + a->height);
      cairo_line_to (cr, x, a->top + a->height + 4);
      cairo_stroke (cr);
      draw_text (self, cr, label, x, a->top + a->height + 6, 0.5, 0, &self->palette->dim_text, FALSE, NULL, NULL);
    }
  for (guint i = 0; i < ny; i++)
    {
      g_autofree char *label = fb_plot_axis_format (yt[i].value / ydiv, ystep);
      double y = round (ty (t, yt[i].pos)) + 0.5;
      set_rgb (cr, &self->palette->frame);
      cairo_move_to (cr, a->left - 4, y);
      cairo_line_to (cr, a->left, y);
      cairo_stroke (cr);
      draw_text (self, cr, label, a->left - 7, y, 1, 0.5, &self->palette->dim_text, FALSE, NULL, NULL);
    }

  /* Titles, with "(log)" so a log axis is never mistaken for a linear one. */
  {
    g_autofree char *xt_full = self->log_x ? g_strdup_printf (_("%s (log scale)"), xtitle) : g_strdup (xtitle);
    g_autofree char *yt_full = self->log_y ? g_strdup_printf (_("%s (log scale)"), ytitle) : g_strdup (ytitle);
    g_autoptr(PangoLayout) layout = NULL;
    int w, h;

    draw_text (self, cr, xt_full, a->left + a->width / 2, a->top + a->height + 26, 0.5, 0,
               &self->palette->text, TRUE, NULL, NULL);

    layout = make_layout (self, cr, yt_full, TRUE, 1);
    /* A short plot (a laptop's Compare page): ellipsized along the frame
     * rather than cut off at the widget's edges. */
    pango_layout_set_width (layout, (int) (MAX (a->height + 40, 60) * PANGO_SCALE));
    pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    pango_layout_get_pixel_size (layout, &w, &h);
    cairo_save (cr);
    cairo_translate (cr, 8, round (a->top + a->height / 2 + w / 2.0));
    cairo_rotate (cr, -G_PI / 2);
    set_rgb (cr, &self->palette->text);
    cairo_move_to (cr, 0, 0);
    pango_cairo_show_layout (cr, layout);
    cairo_restore (cr);
  }
}

static void
draw_front (FbPlotView *self, cairo_t *cr, const Transform *t)
{
  guint n;
  const guint *front = fb_plot_view_get_front (self, &n);
  gboolean started = FALSE;
  double py = 0;

  if (n == 0)
    return;
  /* Step line: from each front point along x to the next one's x, then
   * along y to it. This traces the boundary of the dominated region for
   * any combination of minimized and maximized axes. */
  for (guint i = 0; i < n; i++)
    {
      double x, y;
      if (isnan (self->cx[front[i]]))
        continue;
      x = tx (t, self->cx[front[i]]);
      y = ty (t, self->cy[front[i]]);
      if (!started)
        {
          cairo_move_to (cr, x, y);
          started = TRUE;
        }
      else
        {
          cairo_line_to (cr, x, py);
          cairo_line_to (cr, x, y);
        }
      py = y;
    }
  cairo_set_source_rgba (cr, self->palette->front.r, self->palette->front.g, self->palette->front.b, 0.75);
  cairo_set_line_width (cr, 1.75);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_stroke (cr);
}

static void
draw_points_vector (FbPlotView *self, cairo_t *cr, const Transform *t)
{
  guint n = fb_point_set_get_n_points (self->points);
  guint n_series = fb_point_set_get_n_series (self->points);

  cairo_set_line_width (cr, 1);
  /* One path per series: a fill and a stroke each, not per point. */
  for (guint s = 0; s < n_series; s++)
    {
      const Rgb *c = series_color_of (self, s);
      Shape shape = series_shape (s);
      gboolean any = FALSE;

      for (guint i = 0; i < n; i++)
        {
          const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
          if (p->series != s || isnan (self->cx[i]))
            continue;
          marker_path (cr, shape, tx (t, self->cx[i]), ty (t, self->cy[i]), MARKER_RADIUS);
          any = TRUE;
        }
      if (!any)
        continue;
      cairo_set_source_rgba (cr, c->r, c->g, c->b, 0.9);
      cairo_fill_preserve (cr);
      set_rgb (cr, &self->palette->bg);
      cairo_stroke (cr);
    }
}

/* Pixel offsets of a marker of radius @r for direct writes. */
static guint
stamp_offsets (Shape shape, int r, int *dx, int *dy)
{
  guint n = 0;

  for (int y = -r; y <= r; y++)
    for (int x = -r; x <= r; x++)
      {
        gboolean in;
        switch (shape)
          {
          case SHAPE_SQUARE:   in = TRUE; break;
          case SHAPE_TRIANGLE: in = 2 * abs (x) <= y + r; break;
          case SHAPE_DIAMOND:  in = abs (x) + abs (y) <= r; break;
          case SHAPE_CIRCLE:
          case N_SHAPES:
          default:             in = x * x + y * y <= r * r + r; break;
          }
        if (in)
          {
            dx[n] = x;
            dy[n] = y;
            n++;
          }
      }
  return n;
}

/* Many points: write markers straight into an image surface, then paint it
 * once. Direct writes cost a few ns per pixel, cairo paths microseconds per
 * marker; that is what keeps 100 000 points under one frame. */
static gboolean build_raster (FbPlotView *self, const Transform *t, double scale);

static void
draw_points_raster (FbPlotView *self, cairo_t *cr, const Transform *t, double scale)
{
  const double key[7] = { t->x0, t->x1, t->y0, t->y1, t->area.width, t->area.height, scale };

  if (!self->raster_valid || memcmp (key, self->raster_key, sizeof key) != 0)
    {
      self->raster_valid = build_raster (self, t, scale);
      memcpy (self->raster_key, key, sizeof key);
    }
  if (!self->raster_valid)
    return;
  cairo_set_source_surface (cr, self->raster, t->area.left, t->area.top);
  cairo_paint (cr);
}

/* Writes the points into self->raster (reallocated only on a size change). */
static gboolean
build_raster (FbPlotView *self, const Transform *t, double scale)
{
  const FbPlotArea *a = &t->area;
  int iw = (int) ceil (a->width * scale), ih = (int) ceil (a->height * scale);
  int r = MAX (1, (int) lround (2 * scale));
  int side = 2 * r + 1;
  g_autofree int *sdx = g_new (int, N_SHAPES * side * side);
  g_autofree int *sdy = g_new (int, N_SHAPES * side * side);
  guint sn[N_SHAPES];
  guint32 colors[G_N_ELEMENTS (series_colors)], stale_color;
  cairo_surface_t *surface;
  guint32 *data;
  int stride;
  guint n = fb_point_set_get_n_points (self->points);
  double kx = t->kx * scale, ky = t->ky * scale;

  for (guint s = 0; s < N_SHAPES; s++)
    sn[s] = stamp_offsets (s, r, sdx + s * side * side, sdy + s * side * side);
  for (guint c = 0; c < G_N_ELEMENTS (series_colors); c++)
    colors[c] = 0xff000000u |
                (guint32) lround (series_colors[c].r * 255) << 16 |
                (guint32) lround (series_colors[c].g * 255) << 8 |
                (guint32) lround (series_colors[c].b * 255);
  stale_color = 0xff000000u | (guint32) lround (self->palette->stale.r * 255) << 16 |
                (guint32) lround (self->palette->stale.g * 255) << 8 | (guint32) lround (self->palette->stale.b * 255);

  if (self->raster == NULL ||
      cairo_image_surface_get_width (self->raster) != iw ||
      cairo_image_surface_get_height (self->raster) != ih)
    {
      g_clear_pointer (&self->raster, cairo_surface_destroy);
      self->raster = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, iw, ih);
      if (cairo_surface_status (self->raster) != CAIRO_STATUS_SUCCESS)
        {
          g_clear_pointer (&self->raster, cairo_surface_destroy);
          return FALSE;
        }
    }
  surface = self->raster;
  cairo_surface_flush (surface);
  data = (guint32 *) cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface) / 4;
  memset (data, 0, (gsize) stride * 4 * ih);

  for (guint i = 0; i < n; i++)
    {
      double fx, fy;
      int x, y;
      guint series, shape;
      const int *ox, *oy;
      guint32 color;

      if (isnan (self->cx[i]))
        continue;
      fx = (self->cx[i] - t->x0) * kx;
      fy = (t->y1 - self->cy[i]) * ky;
      if (fx < -r || fy < -r || fx >= iw + r || fy >= ih + r)
        continue;
      x = (int) fx;
      y = (int) fy;
      series = fb_point_set_get_point (self->points, i)->series;
      shape = series_shape (series);
      color = series < 64 && (self->stale_series >> series & 1) ? stale_color
                                                               : colors[series % G_N_ELEMENTS (series_colors)];
      ox = sdx + shape * side * side;
      oy = sdy + shape * side * side;
      if (x >= r && y >= r && x < iw - r && y < ih - r)
        {
          guint32 *centre = data + (gsize) y * stride + x;
          for (guint k = 0; k < sn[shape]; k++)
            centre[oy[k] * stride + ox[k]] = color;
        }
      else
        {
          for (guint k = 0; k < sn[shape]; k++)
            {
              int px = x + ox[k], py = y + oy[k];
              if (px >= 0 && py >= 0 && px < iw && py < ih)
                data[(gsize) py * stride + px] = color;
            }
        }
    }
  cairo_surface_mark_dirty (surface);
  cairo_surface_set_device_scale (surface, scale, scale);
  return TRUE;
}

/* Finds a spot for a w × h label next to (x, y) inside the data area that
 * overlaps nothing in @placed: right, left, above, below, then further out
 * (clear of a crosshair). Adds it to @placed. */
static gboolean
place_label (GArray *placed, const Transform *t, double x, double y, double w, double h, Box *out)
{
  static const double cand[][2] = { { 8, -0.5 }, { -8, -0.5 }, { 0, -1.4 }, { 0, 0.4 },
                                    { 16, -0.5 }, { -16, -0.5 }, { 16, -1.4 }, { 16, 0.4 } };

  for (guint c = 0; c < G_N_ELEMENTS (cand); c++)
    {
      Box b;
      gboolean free_spot = TRUE;

      b.w = w;
      b.h = h;
      b.x = cand[c][0] > 0 ? x + cand[c][0] : cand[c][0] < 0 ? x + cand[c][0] - w : x - w / 2;
      b.y = cand[c][1] == -0.5 ? y - h / 2 : cand[c][1] < 0 ? y - 7 - h : y + 7;
      if (fabs (cand[c][0]) > 8 && cand[c][1] != -0.5)
        b.y = cand[c][1] < 0 ? y - 12 - h : y + 12;
      if (b.x < t->area.left || b.x + b.w > t->area.left + t->area.width ||
          b.y < t->area.top || b.y + b.h > t->area.top + t->area.height)
        continue;
      for (guint k = 0; k < placed->len && free_spot; k++)
        if (box_overlaps (&b, &g_array_index (placed, Box, k)))
          free_spot = FALSE;
      if (!free_spot)
        continue;
      g_array_append_val (placed, b);
      *out = b;
      return TRUE;
    }
  return FALSE;
}

/* Whether the current config sits on a labelled baseline (whose label
 * then already names it). */
static gboolean
current_on_baseline (FbPlotView *self, const Transform *t, double x, double y)
{
  guint n = self->points ? fb_point_set_get_n_points (self->points) : 0;

  for (guint i = 0; i < n; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
      if ((p->flags & FB_PLOT_POINT_BASELINE) && p->label != NULL && !isnan (self->cx[i]) &&
          fabs (tx (t, self->cx[i]) - x) < 1.5 && fabs (ty (t, self->cy[i]) - y) < 1.5)
        return TRUE;
    }
  return FALSE;
}

static void
draw_baseline_labels (FbPlotView *self, cairo_t *cr, const Transform *t,
                      Box *current_box, gboolean *current_placed)
{
  guint n = fb_point_set_get_n_points (self->points);
  g_autoptr(GArray) placed = g_array_new (FALSE, FALSE, sizeof (Box));
  guint n_front;
  const guint *front = fb_plot_view_get_front (self, &n_front);

  /* Baselines are few; draw them as vectors above any raster layer so they
   * stay crisp and findable, then label them where the label fits. */
  for (guint i = 0; i < n; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
      double x, y;
      if (!(p->flags & FB_PLOT_POINT_BASELINE) || isnan (self->cx[i]))
        continue;
      x = tx (t, self->cx[i]);
      y = ty (t, self->cy[i]);
      Box b = { x - 6, y - 6, 12, 12 };
      g_array_append_val (placed, b);
      if (fb_point_set_get_n_points (self->points) > FB_PLOT_VECTOR_MAX_POINTS)
        {
          const Rgb *c = series_color_of (self, p->series);
          marker_path (cr, series_shape (p->series), x, y, MARKER_RADIUS);
          set_rgb (cr, c);
          cairo_fill_preserve (cr);
          set_rgb (cr, &self->palette->bg);
          cairo_set_line_width (cr, 1);
          cairo_stroke (cr);
        }
    }

  /* Labels keep clear of the current-config crosshair too. */
  if (self->has_current)
    {
      double cx, cy;
      if (fb_plot_view_to_pixel (self, self->current, &cx, &cy))
        {
          Box b = { cx - 14, cy - 14, 28, 28 };
          g_array_append_val (placed, b);
          /* The edited config's label wins over the baselines'. */
          if (self->current_label != NULL && !current_on_baseline (self, t, cx, cy))
            {
              double w, h;
              draw_text (self, cr, self->current_label, 0, 0, 0, 0, NULL, TRUE, &w, &h);
              *current_placed = place_label (placed, t, cx, cy, w, h, current_box);
            }
        }
    }

  /* Front points get a dark outline: the ones worth looking at. */
  cairo_set_line_width (cr, 1.5);
  for (guint i = 0; i < n_front && n_front <= FB_PLOT_VECTOR_MAX_POINTS; i++)
    {
      guint k = front[i];
      if (isnan (self->cx[k]))
        continue;
      marker_path (cr, series_shape (fb_point_set_get_point (self->points, k)->series),
                   tx (t, self->cx[k]), ty (t, self->cy[k]), MARKER_RADIUS + 1.5);
    }
  set_rgb (cr, &self->palette->front);
  cairo_stroke (cr);

  for (guint i = 0; i < n; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
      double x, y, w, h;
      Box b;

      if (!(p->flags & FB_PLOT_POINT_BASELINE) || p->label == NULL || isnan (self->cx[i]))
        continue;
      x = tx (t, self->cx[i]);
      y = ty (t, self->cy[i]);
      draw_text (self, cr, p->label, 0, 0, 0, 0, NULL, FALSE, &w, &h);
      if (!place_label (placed, t, x, y, w, h, &b))
        continue;
      /* A white halo keeps labels legible over dense point clouds. */
      cairo_set_source_rgba (cr, self->palette->bg.r, self->palette->bg.g, self->palette->bg.b, 0.8);
      cairo_rectangle (cr, b.x - 1, b.y, b.w + 2, b.h);
      cairo_fill (cr);
      draw_text (self, cr, p->label, b.x, b.y, 0, 0, &self->palette->text, FALSE, NULL, NULL);
    }
}

static void
draw_current (FbPlotView *self, cairo_t *cr, const Transform *t,
              const Box *current_box, const gboolean *current_placed)
{
  double x, y;

  if (!self->has_current || !fb_plot_view_to_pixel (self, self->current, &x, &y))
    return;
  /* Crosshair ring in red: the config in the table, wherever it is. */
  cairo_set_source_rgb (cr, self->palette->current.r, self->palette->current.g, self->palette->current.b);
  cairo_set_line_width (cr, 2);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, 8, 0, 2 * G_PI);
  cairo_stroke (cr);
  cairo_set_line_width (cr, 1.5);
  cairo_move_to (cr, x - 13, y); cairo_line_to (cr, x - 5, y);
  cairo_move_to (cr, x + 5, y);  cairo_line_to (cr, x + 13, y);
  cairo_move_to (cr, x, y - 13); cairo_line_to (cr, x, y - 5);
  cairo_move_to (cr, x, y + 5);  cairo_line_to (cr, x, y + 13);
  cairo_stroke (cr);
  if (self->current_label == NULL || current_on_baseline (self, t, x, y))
    return;
  if (current_placed != NULL && *current_placed)
    {
      cairo_set_source_rgba (cr, self->palette->bg.r, self->palette->bg.g, self->palette->bg.b, 0.8);
      cairo_rectangle (cr, current_box->x - 1, current_box->y, current_box->w + 2, current_box->h);
      cairo_fill (cr);
      draw_text (self, cr, self->current_label, current_box->x, current_box->y, 0, 0,
                 &self->palette->current, TRUE, NULL, NULL);
    }
  else
    {
      /* Nothing else to avoid (no points) or no free spot: beside it. */
      double w, h;
      draw_text (self, cr, self->current_label, 0, 0, 0, 0, NULL, TRUE, &w, &h);
      if (x + 15 + w < t->area.left + t->area.width)
        draw_text (self, cr, self->current_label, x + 15, y + 3, 0, 0, &self->palette->current, TRUE, NULL, NULL);
      else
        draw_text (self, cr, self->current_label, x - 15, y + 3, 1, 0, &self->palette->current, TRUE, NULL, NULL);
    }
}

static void
draw_highlight (FbPlotView *self, cairo_t *cr, const Transform *t, int index, gboolean selected)
{
  double x, y;

  if (index < 0 || self->points == NULL || (guint) index >= fb_point_set_get_n_points (self->points) ||
      isnan (self->cx[index]))
    return;
  x = tx (t, self->cx[index]);
  y = ty (t, self->cy[index]);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, selected ? 10 : 7.5, 0, 2 * G_PI);
  if (selected)
    cairo_set_source_rgb (cr, series_colors[0].r, series_colors[0].g, series_colors[0].b);
  else
    set_rgb (cr, &self->palette->highlight);
  cairo_set_line_width (cr, selected ? 2.5 : 1.5);
  cairo_stroke (cr);
}

/* The legend above the frame: one entry a series (marker + name (count)),
 * then the front and the current config. */
typedef struct {
  GPtrArray *labels;
  guint      n_series;  /* the first entries, clickable */
  double     w[16], x[16], y[16];
  guint      rows;
} Legend;

static double
legend_measure (FbPlotView *self, cairo_t *cr, Legend *lg)
{
  double total = 0;

  for (guint i = 0; i < lg->labels->len; i++)
    {
      draw_text (self, cr, g_ptr_array_index (lg->labels, i), 0, 0, 0, 0, NULL, FALSE, &lg->w[i], NULL);
      total += lg->w[i] + 16 + 18;
    }
  return total - 18;
}

/* Entries right-aligned above the frame, wrapped into more rows (and a
 * taller top margin) when even the names alone do not fit: a narrow plot
 * beside a table, a long stale series name, German. Sets self->legend_rows,
 * which fb_plot_view_get_area() reads. */
static void
legend_layout (FbPlotView *self, cairo_t *cr, Legend *lg)
{
  guint n_series = self->points ? fb_point_set_get_n_series (self->points) : 0;
  double right = MAX (self->width - MARGIN_RIGHT, MARGIN_LEFT + 10);
  double left = MARGIN_LEFT, total;
  guint n_front, first = 0;

  lg->labels = g_ptr_array_new_with_free_func (g_free);
  lg->n_series = MIN (n_series, 13);
  for (guint s = 0; s < lg->n_series; s++)
    g_ptr_array_add (lg->labels, g_strdup_printf ("%s (%u)", fb_point_set_get_series_name (self->points, s),
                                                  fb_point_set_get_series_size (self->points, s)));
  fb_plot_view_get_front (self, &n_front);
  g_ptr_array_add (lg->labels, g_strdup_printf (_("Pareto front (%u)"), n_front));
  if (self->has_current)
    g_ptr_array_add (lg->labels, g_strdup (_("current config")));
  total = legend_measure (self, cr, lg);
  /* Too narrow for the counts: names only, which the tooltips and the
   * point counts of the page say anyway. */
  if (total > right - left)
    {
      for (guint i = 0; i < lg->labels->len; i++)
        {
          char *label = g_ptr_array_index (lg->labels, i);
          char *paren = strrchr (label, '(');
          if (paren != NULL && paren > label && g_str_has_suffix (label, ")") &&
              g_ascii_isdigit (paren[1]))
            paren[-1] = '\0';
        }
      total = legend_measure (self, cr, lg);
    }
  /* Still too wide: use the axis title's margin too, then wrap. */
  if (total > right - left)
    left = 8;
  lg->rows = 0;
  while (first < lg->labels->len)
    {
      guint last = first;
      double row = lg->w[first] + 16, x;

      while (last + 1 < lg->labels->len && row + 18 + lg->w[last + 1] + 16 <= right - left)
        row += 18 + lg->w[++last] + 16;
      x = MAX (left, right - row);
      for (guint i = first; i <= last; i++)
        {
          lg->x[i] = x;
          lg->y[i] = MARGIN_TOP - 22 + lg->rows * LEGEND_ROW;
          x += lg->w[i] + 16 + 18;
        }
      lg->rows++;
      first = last + 1;
    }
  self->legend_rows = MAX (lg->rows, 1);
}

static void
draw_legend (FbPlotView *self, cairo_t *cr, const Transform *t, Legend *lg)
{
  if (self->hint != NULL && lg->labels->len > 0)
    {
      double w;
      draw_text (self, cr, self->hint, 0, 0, 0, 0, NULL, FALSE, &w, NULL);
      if (t->area.left + w + 24 < lg->x[0] && lg->y[0] == lg->y[lg->labels->len - 1])
        draw_text (self, cr, self->hint, t->area.left, lg->y[0] + 8, 0, 0.5, &self->palette->dim_text, FALSE,
                   NULL, NULL);
    }
  self->n_legend = lg->n_series;
  for (guint i = 0; i < lg->labels->len; i++)
    {
      double x = lg->x[i], cy = lg->y[i] + 8;
      gboolean hidden = i < lg->n_series &&
                        fb_plot_view_get_series_hidden (self, fb_point_set_get_series_name (self->points, i));

      if (i < lg->n_series)
        {
          const Rgb *c = series_color_of (self, i);

          self->legend_x[i] = x;
          self->legend_w[i] = lg->w[i] + 16;
          self->legend_y[i] = lg->y[i];
          marker_path (cr, series_shape (i), x + 5, cy, MARKER_RADIUS);
          set_rgb (cr, c);
          /* A hidden series: a hollow marker and dim text. */
          if (hidden)
            {
              cairo_set_line_width (cr, 1.25);
              cairo_stroke (cr);
            }
          else
            cairo_fill (cr);
        }
      else if (i == lg->n_series)
        {
          cairo_move_to (cr, x - 3, cy + 4);
          cairo_line_to (cr, x + 5, cy + 4);
          cairo_line_to (cr, x + 5, cy - 4);
          cairo_line_to (cr, x + 13, cy - 4);
          cairo_set_source_rgba (cr, self->palette->front.r, self->palette->front.g, self->palette->front.b, 0.75);
          cairo_set_line_width (cr, 1.75);
          cairo_stroke (cr);
        }
      else
        {
          cairo_new_sub_path (cr);
          cairo_arc (cr, x + 5, cy, 5.5, 0, 2 * G_PI);
          set_rgb (cr, &self->palette->current);
          cairo_set_line_width (cr, 2);
          cairo_stroke (cr);
        }
      draw_text (self, cr, g_ptr_array_index (lg->labels, i), x + 16, cy, 0, 0.5,
                 hidden ? &self->palette->dim_text : &self->palette->text, FALSE, NULL, NULL);
      if (hidden)
        {
          /* Struck through, as a legend entry that is switched off. */
          cairo_move_to (cr, x + 16, cy + 0.5);
          cairo_line_to (cr, x + 16 + lg->w[i], cy + 0.5);
          set_rgb (cr, &self->palette->dim_text);
          cairo_set_line_width (cr, 1);
          cairo_stroke (cr);
        }
    }
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
  Transform t;
  double sx = 1, sy = 1;
  cairo_surface_t *target = cairo_get_target (cr);
  Box current_box = { 0, 0, 0, 0 };
  gboolean current_placed = FALSE;
  Legend legend = { 0 };

  fb_plot_view_set_size (self, width, height);
  ensure_coords (self);
  find_stale_series (self);
  legend_layout (self, cr, &legend);
  get_transform (self, &t);

  cairo_save (cr);
  set_rgb (cr, &self->palette->bg);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);

  draw_axes (self, cr, &t);

  cairo_save (cr);
  cairo_rectangle (cr, t.area.left, t.area.top, t.area.width, t.area.height);
  cairo_clip (cr);
  if (self->points != NULL && anything_to_draw (self))
    {
      if (fb_point_set_get_n_points (self->points) <= FB_PLOT_VECTOR_MAX_POINTS)
        draw_points_vector (self, cr, &t);
      else
        {
          /* Vector exports get a finer raster than the screen. */
          cairo_surface_type_t type = cairo_surface_get_type (target);
          cairo_surface_get_device_scale (target, &sx, &sy);
          if (type == CAIRO_SURFACE_TYPE_PDF || type == CAIRO_SURFACE_TYPE_SVG)
            sx = 3;
          draw_points_raster (self, cr, &t, MAX (sx, 1));
        }
      /* The front goes over the cloud: it is what the user came for. */
      draw_front (self, cr, &t);
      draw_baseline_labels (self, cr, &t, &current_box, &current_placed);
      draw_highlight (self, cr, &t, self->selected, TRUE);
      draw_highlight (self, cr, &t, self->hover, FALSE);
    }
  else
    {
      g_autofree char *msg = g_strdup_printf (_("No config has both %s and %s yet"),
                                              fb_plot_metric_get_name (self->xm),
                                              fb_plot_metric_get_name (self->ym));
      draw_text (self, cr, msg, t.area.left + t.area.width / 2, t.area.top + t.area.height / 2,
                 0.5, 0.5, &self->palette->dim_text, FALSE, NULL, NULL);
    }
  draw_current (self, cr, &t, &current_box, &current_placed);
  cairo_restore (cr);

  draw_legend (self, cr, &t, &legend);
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
