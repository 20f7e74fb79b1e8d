/* fb-plot-view-legend.c — the legend strip above the frame: one entry a series,
 * then the front and the current config; wrapped into rows when narrow.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "fb-plot-view-private.h"

static double
legend_measure (FbPlotView *self, cairo_t *cr, FbPlotLegend *lg)
{
  double total = 0;

  for (guint i = 0; i < lg->labels->len; i++)
    {
      fb_plot_view_draw_text (self, cr, g_ptr_array_index (lg->labels, i), 0, 0, 0, 0, NULL, FALSE, &lg->w[i], NULL);
      total += lg->w[i] + 16 + 18;
    }
  return total - 18;
}

/* Entries right-aligned above the frame, wrapped into more rows (and a
 * taller top margin) when even the names alone do not fit: a narrow plot
 * beside a table, a long stale series name, German. Sets self->legend_rows,
 * which fb_plot_view_get_area() reads. */
void
fb_plot_view_legend_layout (FbPlotView *self, cairo_t *cr, FbPlotLegend *lg)
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

void
fb_plot_view_draw_legend (FbPlotView *self, cairo_t *cr, const FbPlotTransform *t, FbPlotLegend *lg)
{
  if (self->hint != NULL && lg->labels->len > 0)
    {
      double w;
      fb_plot_view_draw_text (self, cr, self->hint, 0, 0, 0, 0, NULL, FALSE, &w, NULL);
      if (t->area.left + w + 24 < lg->x[0] && lg->y[0] == lg->y[lg->labels->len - 1])
        fb_plot_view_draw_text (self, cr, self->hint, t->area.left, lg->y[0] + 8, 0, 0.5, &self->palette->dim_text, FALSE,
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
          const FbPlotRgb *c = fb_plot_view_series_color (self, i);

          self->legend_x[i] = x;
          self->legend_w[i] = lg->w[i] + 16;
          self->legend_y[i] = lg->y[i];
          fb_plot_marker_path (cr, fb_plot_series_shape (i), x + 5, cy, MARKER_RADIUS);
          fb_plot_set_rgb (cr, c);
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
          fb_plot_set_rgb (cr, &self->palette->current);
          cairo_set_line_width (cr, 2);
          cairo_stroke (cr);
        }
      fb_plot_view_draw_text (self, cr, g_ptr_array_index (lg->labels, i), x + 16, cy, 0, 0.5,
                 hidden ? &self->palette->dim_text : &self->palette->text, FALSE, NULL, NULL);
      if (hidden)
        {
          /* Struck through, as a legend entry that is switched off. */
          cairo_move_to (cr, x + 16, cy + 0.5);
          cairo_line_to (cr, x + 16 + lg->w[i], cy + 0.5);
          fb_plot_set_rgb (cr, &self->palette->dim_text);
          cairo_set_line_width (cr, 1);
          cairo_stroke (cr);
        }
    }
}
