/* fb-plot-view-axes.c — the grid, frame, ticks, tick labels and axis titles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <math.h>

#include "fb-plot-view-private.h"
#include "fb-plot-axis.h"
#include "fb-plot-metric.h"

void
fb_plot_view_draw_axes (FbPlotView *self, cairo_t *cr, const FbPlotTransform *t)
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
  fb_plot_set_rgb (cr, &self->palette->grid);
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
  fb_plot_set_rgb (cr, &self->palette->frame);
  cairo_rectangle (cr, round (a->left) + 0.5, round (a->top) + 0.5,
                   round (a->width) - 1, round (a->height) - 1);
  cairo_stroke (cr);

  /* Tick marks and labels. */
  for (guint i = 0; i < nx; i++)
    {
      g_autofree char *label = fb_plot_axis_format (xt[i].value / xdiv, xstep);
      double x = round (tx (t, xt[i].pos)) + 0.5;
      fb_plot_set_rgb (cr, &self->palette->frame);
      cairo_move_to (cr, x, a->top + a->height);
      cairo_line_to (cr, x, a->top + a->height + 4);
      cairo_stroke (cr);
      fb_plot_view_draw_text (self, cr, label, x, a->top + a->height + 6, 0.5, 0, &self->palette->dim_text, FALSE, NULL, NULL);
    }
  for (guint i = 0; i < ny; i++)
    {
      g_autofree char *label = fb_plot_axis_format (yt[i].value / ydiv, ystep);
      double y = round (ty (t, yt[i].pos)) + 0.5;
      fb_plot_set_rgb (cr, &self->palette->frame);
      cairo_move_to (cr, a->left - 4, y);
      cairo_line_to (cr, a->left, y);
      cairo_stroke (cr);
      fb_plot_view_draw_text (self, cr, label, a->left - 7, y, 1, 0.5, &self->palette->dim_text, FALSE, NULL, NULL);
    }

  /* Titles, with "(log)" so a log axis is never mistaken for a linear one. */
  {
    g_autofree char *xt_full = self->log_x ? g_strdup_printf (_("%s (log scale)"), xtitle) : g_strdup (xtitle);
    g_autofree char *yt_full = self->log_y ? g_strdup_printf (_("%s (log scale)"), ytitle) : g_strdup (ytitle);
    g_autoptr(PangoLayout) layout = NULL;
    int w, h;

    fb_plot_view_draw_text (self, cr, xt_full, a->left + a->width / 2, a->top + a->height + 26, 0.5, 0,
               &self->palette->text, TRUE, NULL, NULL);

    layout = fb_plot_view_make_layout (self, cr, yt_full, TRUE, 1);
    /* A short plot (a laptop's Compare page): ellipsized along the frame
     * rather than cut off at the widget's edges. */
    pango_layout_set_width (layout, (int) (MAX (a->height + 40, 60) * PANGO_SCALE));
    pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    pango_layout_get_pixel_size (layout, &w, &h);
    cairo_save (cr);
    cairo_translate (cr, 8, round (a->top + a->height / 2 + w / 2.0));
    cairo_rotate (cr, -G_PI / 2);
    fb_plot_set_rgb (cr, &self->palette->text);
    cairo_move_to (cr, 0, 0);
    pango_cairo_show_layout (cr, layout);
    cairo_restore (cr);
  }
}
