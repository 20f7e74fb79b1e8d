/* fb-plot-view.h — everything about the Pareto plot except GTK: state, layout,
 * hit testing, zoom and pan, and one draw function for any cairo_t.
 *
 * FbParetoPlot (the widget) wraps one view; the tests, the benchmark and the
 * export code use views directly, with no display. The draw function renders
 * to whatever surface the cairo_t targets, so the window, a PNG, an SVG and
 * a PDF all show the same picture.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cairo.h>
#include <pango/pango.h>

#include "fb-point-set.h"
#include "fb-ui-types.h"

G_BEGIN_DECLS

/* Above this many points, markers are written straight into an image
 * surface instead of being stroked one by one (the 16 ms budget). */
#define FB_PLOT_VECTOR_MAX_POINTS 2000

typedef struct {
  double left, top, width, height;   /* the data area, in widget pixels */
} FbPlotArea;

FbPlotView   *fb_plot_view_new              (void);
void          fb_plot_view_free             (FbPlotView          *self);

/* @points must be sealed; NULL clears. Keeps a zoomed range, otherwise
 * fits the new points. */
void          fb_plot_view_set_points       (FbPlotView          *self,
                                             FbPointSet          *points);
FbPointSet   *fb_plot_view_get_points       (FbPlotView          *self);

void          fb_plot_view_set_axes         (FbPlotView          *self,
                                             FbPlotMetric         x,
                                             FbPlotMetric         y);
FbPlotMetric  fb_plot_view_get_x_metric     (FbPlotView          *self);
FbPlotMetric  fb_plot_view_get_y_metric     (FbPlotView          *self);
void          fb_plot_view_set_log          (FbPlotView          *self,
                                             gboolean             log_x,
                                             gboolean             log_y);
gboolean      fb_plot_view_get_log_x        (FbPlotView          *self);
gboolean      fb_plot_view_get_log_y        (FbPlotView          *self);

/* The config being edited, drawn as a ring; NULL @values hides it. */
void          fb_plot_view_set_current      (FbPlotView          *self,
                                             const double        *values,
                                             const char          *label);
/* -1 for none. */
void          fb_plot_view_set_hover        (FbPlotView          *self,
                                             int                  index);
int           fb_plot_view_get_hover        (FbPlotView          *self);
void          fb_plot_view_set_selected     (FbPlotView          *self,
                                             int                  index);
int           fb_plot_view_get_selected     (FbPlotView          *self);
/* The accuracy axis' title with its unit ("Top-1 accuracy, %"); NULL
 * restores the default ("Accuracy, %"). */
void          fb_plot_view_set_accuracy_title (FbPlotView        *self,
                                             const char          *title);
const char   *fb_plot_view_get_accuracy_title (FbPlotView        *self);
/* Hides (or shows again) the series called @name: its points are not
 * drawn, picked, fitted or on the front; its legend entry is struck
 * through. Kept by name across point sets. */
void          fb_plot_view_set_series_hidden (FbPlotView         *self,
                                             const char          *name,
                                             gboolean             hidden);
gboolean      fb_plot_view_get_series_hidden (FbPlotView         *self,
                                             const char          *name);
/* The series whose legend entry the last render put at (@px, @py), or -1. */
int           fb_plot_view_legend_pick      (FbPlotView          *self,
                                             double               px,
                                             double               py);
/* A dim one-line hint left of the legend, when it fits (interactive use). */
void          fb_plot_view_set_hint         (FbPlotView          *self,
                                             const char          *hint);
const char   *fb_plot_view_get_hint         (FbPlotView          *self);
/* NULL restores the default ("Sans 9"). */
void          fb_plot_view_set_font         (FbPlotView          *self,
                                             const PangoFontDescription *font);

/* The non-dominated points for the current axes, in step-line order. */
const guint  *fb_plot_view_get_front        (FbPlotView          *self,
                                             guint               *n_front);

/* Geometry for hit testing and zoom; follows the last render, or this. */
void          fb_plot_view_set_size         (FbPlotView          *self,
                                             int                  width,
                                             int                  height);
void          fb_plot_view_get_area         (FbPlotView          *self,
                                             FbPlotArea          *area);
/* Visible range in axis space (log10 of values on log axes). */
void          fb_plot_view_get_range        (FbPlotView          *self,
                                             double              *x0,
                                             double              *x1,
                                             double              *y0,
                                             double              *y1);
/* @factor < 1 zooms in, keeping the data under (@px, @py) in place. */
void          fb_plot_view_zoom             (FbPlotView          *self,
                                             double               factor,
                                             double               px,
                                             double               py);
/* Moves the data by (@dx, @dy) pixels. */
void          fb_plot_view_pan              (FbPlotView          *self,
                                             double               dx,
                                             double               dy);
/* Back to fitting all points. */
void          fb_plot_view_reset            (FbPlotView          *self);
gboolean      fb_plot_view_is_zoomed        (FbPlotView          *self);

/* Pixel position of a metric vector; FALSE if it cannot be placed (unknown
 * value, non-positive on a log axis). */
gboolean      fb_plot_view_to_pixel         (FbPlotView          *self,
                                             const double        *values,
                                             double              *px,
                                             double              *py);
/* The point nearest to (@px, @py) within @radius pixels, or -1. */
int           fb_plot_view_pick             (FbPlotView          *self,
                                             double               px,
                                             double               py,
                                             double               radius);
/* Pango markup for a tooltip: label, method and every known metric. */
char         *fb_plot_view_describe_point   (FbPlotView          *self,
                                             guint                index);

/* Dark canvas colours (a dark GTK theme); light by default and for exports. */
void          fb_plot_view_set_dark         (FbPlotView          *self,
                                             gboolean             dark);
gboolean      fb_plot_view_get_dark         (FbPlotView          *self);
void          fb_plot_view_render           (FbPlotView          *self,
                                             cairo_t             *cr,
                                             int                  width,
                                             int                  height);
/* Writes the plot at @width × @height points; PNG at twice that in pixels. */
gboolean      fb_plot_view_export           (FbPlotView          *self,
                                             const char          *path,
                                             FbPlotFormat         format,
                                             int                  width,
                                             int                  height,
                                             GError             **error);
/* From the file name's extension (".png", ".svg", ".pdf"). */
gboolean      fb_plot_format_from_path      (const char          *path,
                                             FbPlotFormat        *format);

G_END_DECLS
