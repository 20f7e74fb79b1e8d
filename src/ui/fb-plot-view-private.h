/* fb-plot-view-private.h — what the parts of FbPlotView share: the
 * instance struct, the canvas types and the drawing helpers.
 *
 * The view is one type in four files, split the way gnome-text-editor splits
 * its window: fb-plot-view.c (state, caches, geometry, hit testing, render
 * and export), fb-plot-view-axes.c (grid, ticks, titles), fb-plot-view-draw.c
 * (points, front, labels, the current config, highlights) and
 * fb-plot-view-legend.c (the legend strip and its click targets). Only these
 * files include this header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include "fb-plot-view.h"

G_BEGIN_DECLS

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
} FbPlotRgb;

#define RGB(hex) { ((hex) >> 16 & 0xff) / 255.0, ((hex) >> 8 & 0xff) / 255.0, ((hex) & 0xff) / 255.0 }

/* The canvas colours: light, and dark for a dark GTK theme (Adwaita's
 * dark window colours), picked with fb_plot_view_set_dark(). */
typedef struct {
  FbPlotRgb bg, grid, frame, text, dim_text, front, current, highlight;
  FbPlotRgb stale;  /* the markers of results computed for another target */
} FbPlotPalette;

typedef enum {
  SHAPE_CIRCLE,
  SHAPE_SQUARE,
  SHAPE_TRIANGLE,
  SHAPE_DIAMOND,
  N_SHAPES
} FbPlotShape;

typedef struct {
  FbPlotArea area;
  double x0, x1, y0, y1;
  double kx, ky;   /* pixels per axis unit */
} FbPlotTransform;

typedef struct {
  double x, y, w, h;
} FbPlotBox;

/* The legend above the frame: one entry a series (marker + name (count)),
 * then the front and the current config. */
typedef struct {
  GPtrArray *labels;
  guint      n_series;  /* the first entries, clickable */
  double     w[16], x[16], y[16];
  guint      rows;
} FbPlotLegend;

struct _FbPlotView {
  /* Owned fields are freed by fb_plot_view_free(); borrowed ones are not. */
  const FbPlotPalette  *palette;        /* borrowed: a static palette of fb-plot-view.c */
  FbPointSet           *points;         /* owned: a reference (sealed set), or NULL */
  FbPlotMetric          xm, ym;
  gboolean              log_x, log_y;

  /* User range (axis space) once zoomed or panned. */
  gboolean              zoomed;
  double                x0, x1, y0, y1;

  /* Caches, dropped when points, axes or scales change. */
  gboolean              auto_valid;
  double                ax0, ax1, ay0, ay1;
  gboolean              front_valid;
  guint                *front;          /* owned: indices into points, front order */
  guint                 n_front;
  gboolean              coords_valid;
  double               *cx, *cy;        /* owned: axis-space coordinates, NAN = not drawable */
  guint                 coords_capacity; /* kept across sets: no page faults per batch */

  /* The raster layer of the last draw: hover and selection redraws reuse
   * it; any change of points, axes, range or size rebuilds it. */
  cairo_surface_t      *raster;         /* owned */
  gboolean              raster_valid;
  double                raster_key[7];

  gboolean              has_current;
  double                current[FB_PLOT_N_METRICS];
  char                 *current_label;  /* owned, or NULL */
  int                   hover;
  int                   selected;
  char                 *hint;           /* owned, or NULL */
  PangoFontDescription *font;           /* owned */
  int                   width, height;

  char                 *accuracy_title; /* owned: the accuracy axis' title, or NULL: the default */
  /* Series hidden from the legend, by name (indices change between sets). */
  GHashTable           *hidden;         /* owned: name (owned) -> present */
  /* Where the last render put the legend's series entries (for clicks). */
  guint                 n_legend;
  double                legend_x[16], legend_w[16], legend_y[16];
  guint                 legend_rows;     /* rows of the last render's legend (the top margin) */
  guint64               stale_series;    /* bit s: series s is stale (FB_PLOT_POINT_STALE), grey */
};

static inline double
tx (const FbPlotTransform *t, double ax)
{
  return t->area.left + (ax - t->x0) * t->kx;
}

static inline double
ty (const FbPlotTransform *t, double ay)
{
  return t->area.top + (t->y1 - ay) * t->ky;
}

/* fb-plot-view.c */
void                 fb_plot_view_get_transform        (FbPlotView            *self,
                                                        FbPlotTransform       *t);
/* fb-plot-view-draw.c: helpers */
FbPlotShape          fb_plot_series_shape              (guint                  series);
const FbPlotRgb     *fb_plot_view_series_color         (FbPlotView            *self,
                                                        guint                  series);
void                 fb_plot_view_find_stale_series    (FbPlotView            *self);
void                 fb_plot_set_rgb                   (cairo_t               *cr,
                                                        const FbPlotRgb       *c);
void                 fb_plot_marker_path               (cairo_t               *cr,
                                                        FbPlotShape            shape,
                                                        double                 x,
                                                        double                 y,
                                                        double                 r);
/* A layout of @text in the view's font (owned by the caller). */
PangoLayout         *fb_plot_view_make_layout          (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const char            *text,
                                                        gboolean               bold,
                                                        double                 scale);
/* Draws @text with its anchor point at (x, y); @ax, @ay in [0, 1] pick which
 * point of the text's box is the anchor. A NULL @color only measures. */
void                 fb_plot_view_draw_text            (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const char            *text,
                                                        double                 x,
                                                        double                 y,
                                                        double                 ax,
                                                        double                 ay,
                                                        const FbPlotRgb       *color,
                                                        gboolean               bold,
                                                        double                *out_w,
                                                        double                *out_h);
/* fb-plot-view-draw.c: the layers, in the order render draws them */
void                 fb_plot_view_draw_points_vector   (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const FbPlotTransform *t);
void                 fb_plot_view_draw_points_raster   (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const FbPlotTransform *t,
                                                        double                 scale);
void                 fb_plot_view_draw_front           (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const FbPlotTransform *t);
void                 fb_plot_view_draw_baseline_labels (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const FbPlotTransform *t,
                                                        FbPlotBox             *current_box,
                                                        gboolean              *current_placed);
void                 fb_plot_view_draw_highlight       (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const FbPlotTransform *t,
                                                        int                    index,
                                                        gboolean               selected);
void                 fb_plot_view_draw_current         (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const FbPlotTransform *t,
                                                        const FbPlotBox       *current_box,
                                                        const gboolean        *current_placed);
/* fb-plot-view-axes.c */
void                 fb_plot_view_draw_axes            (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const FbPlotTransform *t);
/* fb-plot-view-legend.c: the layout first (it sets legend_rows, which the
 * data area depends on), the drawing last. */
void                 fb_plot_view_legend_layout        (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        FbPlotLegend          *lg);
void                 fb_plot_view_draw_legend          (FbPlotView            *self,
                                                        cairo_t               *cr,
                                                        const FbPlotTransform *t,
                                                        FbPlotLegend          *lg);

G_END_DECLS
