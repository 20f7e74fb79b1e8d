/* fb-plot-view-draw.c — the plot's layers: points (vector paths, or a raster
 * for many), the Pareto front, baseline labels placed clear of each other,
 * the current config and the hover/selection rings; and the colour, marker
 * and text helpers the other parts share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "fb-plot-view-private.h"

/* GNOME palette, darker shades so markers read well on white. */
static const FbPlotRgb series_colors[] = {
  RGB (0x1c71d8), /* blue */
  RGB (0xe66100), /* orange */
  RGB (0x26a269), /* green */
  RGB (0x9141ac), /* purple */
  RGB (0x986a44), /* brown */
  RGB (0x0b8a8a), /* teal */
  RGB (0xc061cb), /* pink */
  RGB (0x5e5c64), /* grey */
};

FbPlotShape
fb_plot_series_shape (guint series)
{
  return series % N_SHAPES;
}

static const FbPlotRgb *
series_color (guint series)
{
  return &series_colors[series % G_N_ELEMENTS (series_colors)];
}

/* Grey for a series computed for another target, else its colour. */
const FbPlotRgb *
fb_plot_view_series_color (FbPlotView *self, guint series)
{
  if (series < 64 && (self->stale_series >> series & 1))
    return &self->palette->stale;
  return series_color (series);
}

void
fb_plot_view_find_stale_series (FbPlotView *self)
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

void
fb_plot_set_rgb (cairo_t *cr, const FbPlotRgb *c)
{
  cairo_set_source_rgb (cr, c->r, c->g, c->b);
}

void
fb_plot_marker_path (cairo_t *cr, FbPlotShape shape, double x, double y, double r)
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

PangoLayout *
fb_plot_view_make_layout (FbPlotView *self, cairo_t *cr, const char *text, gboolean bold, double scale)
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
void
fb_plot_view_draw_text (FbPlotView *self, cairo_t *cr, const char *text, double x, double y,
           double ax, double ay, const FbPlotRgb *color, gboolean bold, double *out_w, double *out_h)
{
  g_autoptr(PangoLayout) layout = fb_plot_view_make_layout (self, cr, text, bold, 1);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  if (color != NULL)
    {
      fb_plot_set_rgb (cr, color);
      cairo_move_to (cr, round (x - ax * w), round (y - ay * h));
      pango_cairo_show_layout (cr, layout);
    }
  if (out_w) *out_w = w;
  if (out_h) *out_h = h;
}

static gboolean
box_overlaps (const FbPlotBox *a, const FbPlotBox *b)
{
  return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

void
fb_plot_view_draw_front (FbPlotView *self, cairo_t *cr, const FbPlotTransform *t)
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

void
fb_plot_view_draw_points_vector (FbPlotView *self, cairo_t *cr, const FbPlotTransform *t)
{
  guint n = fb_point_set_get_n_points (self->points);
  guint n_series = fb_point_set_get_n_series (self->points);

  cairo_set_line_width (cr, 1);
  /* One path per series: a fill and a stroke each, not per point. */
  for (guint s = 0; s < n_series; s++)
    {
      const FbPlotRgb *c = fb_plot_view_series_color (self, s);
      FbPlotShape shape = fb_plot_series_shape (s);
      gboolean any = FALSE;

      for (guint i = 0; i < n; i++)
        {
          const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
          if (p->series != s || isnan (self->cx[i]))
            continue;
          fb_plot_marker_path (cr, shape, tx (t, self->cx[i]), ty (t, self->cy[i]), MARKER_RADIUS);
          any = TRUE;
        }
      if (!any)
        continue;
      cairo_set_source_rgba (cr, c->r, c->g, c->b, 0.9);
      cairo_fill_preserve (cr);
      fb_plot_set_rgb (cr, &self->palette->bg);
      cairo_stroke (cr);
    }
}

/* Pixel offsets of a marker of radius @r for direct writes. */
static guint
stamp_offsets (FbPlotShape shape, int r, int *dx, int *dy)
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
static gboolean build_raster (FbPlotView *self, const FbPlotTransform *t, double scale);

void
fb_plot_view_draw_points_raster (FbPlotView *self, cairo_t *cr, const FbPlotTransform *t, double scale)
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
build_raster (FbPlotView *self, const FbPlotTransform *t, double scale)
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
      shape = fb_plot_series_shape (series);
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
place_label (GArray *placed, const FbPlotTransform *t, double x, double y, double w, double h, FbPlotBox *out)
{
  static const double cand[][2] = { { 8, -0.5 }, { -8, -0.5 }, { 0, -1.4 }, { 0, 0.4 },
                                    { 16, -0.5 }, { -16, -0.5 }, { 16, -1.4 }, { 16, 0.4 } };

  for (guint c = 0; c < G_N_ELEMENTS (cand); c++)
    {
      FbPlotBox b;
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
        if (box_overlaps (&b, &g_array_index (placed, FbPlotBox, k)))
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
current_on_baseline (FbPlotView *self, const FbPlotTransform *t, double x, double y)
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

void
fb_plot_view_draw_baseline_labels (FbPlotView *self, cairo_t *cr, const FbPlotTransform *t,
                      FbPlotBox *current_box, gboolean *current_placed)
{
  guint n = fb_point_set_get_n_points (self->points);
  g_autoptr(GArray) placed = g_array_new (FALSE, FALSE, sizeof (FbPlotBox));
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
      FbPlotBox b = { x - 6, y - 6, 12, 12 };
      g_array_append_val (placed, b);
      if (fb_point_set_get_n_points (self->points) > FB_PLOT_VECTOR_MAX_POINTS)
        {
          const FbPlotRgb *c = fb_plot_view_series_color (self, p->series);
          fb_plot_marker_path (cr, fb_plot_series_shape (p->series), x, y, MARKER_RADIUS);
          fb_plot_set_rgb (cr, c);
          cairo_fill_preserve (cr);
          fb_plot_set_rgb (cr, &self->palette->bg);
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
          FbPlotBox b = { cx - 14, cy - 14, 28, 28 };
          g_array_append_val (placed, b);
          /* The edited config's label wins over the baselines'. */
          if (self->current_label != NULL && !current_on_baseline (self, t, cx, cy))
            {
              double w, h;
              fb_plot_view_draw_text (self, cr, self->current_label, 0, 0, 0, 0, NULL, TRUE, &w, &h);
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
      fb_plot_marker_path (cr, fb_plot_series_shape (fb_point_set_get_point (self->points, k)->series),
                   tx (t, self->cx[k]), ty (t, self->cy[k]), MARKER_RADIUS + 1.5);
    }
  fb_plot_set_rgb (cr, &self->palette->front);
  cairo_stroke (cr);

  for (guint i = 0; i < n; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
      double x, y, w, h;
      FbPlotBox b;

      if (!(p->flags & FB_PLOT_POINT_BASELINE) || p->label == NULL || isnan (self->cx[i]))
        continue;
      x = tx (t, self->cx[i]);
      y = ty (t, self->cy[i]);
      fb_plot_view_draw_text (self, cr, p->label, 0, 0, 0, 0, NULL, FALSE, &w, &h);
      if (!place_label (placed, t, x, y, w, h, &b))
        continue;
      /* A white halo keeps labels legible over dense point clouds. */
      cairo_set_source_rgba (cr, self->palette->bg.r, self->palette->bg.g, self->palette->bg.b, 0.8);
      cairo_rectangle (cr, b.x - 1, b.y, b.w + 2, b.h);
      cairo_fill (cr);
      fb_plot_view_draw_text (self, cr, p->label, b.x, b.y, 0, 0, &self->palette->text, FALSE, NULL, NULL);
    }
}

void
fb_plot_view_draw_current (FbPlotView *self, cairo_t *cr, const FbPlotTransform *t,
              const FbPlotBox *current_box, const gboolean *current_placed)
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
      fb_plot_view_draw_text (self, cr, self->current_label, current_box->x, current_box->y, 0, 0,
                 &self->palette->current, TRUE, NULL, NULL);
    }
  else
    {
      /* Nothing else to avoid (no points) or no free spot: beside it. */
      double w, h;
      fb_plot_view_draw_text (self, cr, self->current_label, 0, 0, 0, 0, NULL, TRUE, &w, &h);
      if (x + 15 + w < t->area.left + t->area.width)
        fb_plot_view_draw_text (self, cr, self->current_label, x + 15, y + 3, 0, 0, &self->palette->current, TRUE, NULL, NULL);
      else
        fb_plot_view_draw_text (self, cr, self->current_label, x - 15, y + 3, 1, 0, &self->palette->current, TRUE, NULL, NULL);
    }
}

void
fb_plot_view_draw_highlight (FbPlotView *self, cairo_t *cr, const FbPlotTransform *t, int index, gboolean selected)
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
    fb_plot_set_rgb (cr, &self->palette->highlight);
  cairo_set_line_width (cr, selected ? 2.5 : 1.5);
  cairo_stroke (cr);
}
