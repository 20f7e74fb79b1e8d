/* fb-pareto-plot.h — the scatter plot of configs with their Pareto front.
 *
 * One widget for every plot in freebits (explorer, comparison): two metrics
 * on the axes, points per method with a legend, the non-dominated front as a
 * step line, uniform baselines labelled, a ring on the config being edited.
 * Hover shows a tooltip, click selects ("point-selected"), scroll zooms around
 * the pointer, drag pans, double-click resets. Points arrive as sealed,
 * reference-counted FbPointSets, so workers can build the next batch freely.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fb-point-set.h"
#include "fb-ui-types.h"

G_BEGIN_DECLS

#define FB_TYPE_PLOT_METRIC (fb_plot_metric_get_type ())
GType fb_plot_metric_get_type (void) G_GNUC_CONST;

#define FB_TYPE_PARETO_PLOT (fb_pareto_plot_get_type ())
G_DECLARE_FINAL_TYPE (FbParetoPlot, fb_pareto_plot, FB, PARETO_PLOT, GtkDrawingArea)

GtkWidget    *fb_pareto_plot_new          (void);

/* @points must be sealed (it is referenced, not copied). */
void          fb_pareto_plot_set_points   (FbParetoPlot   *self,
                                           FbPointSet     *points);
FbPointSet   *fb_pareto_plot_get_points   (FbParetoPlot   *self);

void          fb_pareto_plot_set_axes     (FbParetoPlot   *self,
                                           FbPlotMetric    x,
                                           FbPlotMetric    y);
FbPlotMetric  fb_pareto_plot_get_x_metric (FbParetoPlot   *self);
FbPlotMetric  fb_pareto_plot_get_y_metric (FbParetoPlot   *self);
void          fb_pareto_plot_set_log_x    (FbParetoPlot   *self,
                                           gboolean        log_x);
gboolean      fb_pareto_plot_get_log_x    (FbParetoPlot   *self);
void          fb_pareto_plot_set_log_y    (FbParetoPlot   *self,
                                           gboolean        log_y);
gboolean      fb_pareto_plot_get_log_y    (FbParetoPlot   *self);

/* The config in the layer table: a red ring labelled @label; NULL hides it. */
void          fb_pareto_plot_set_current  (FbParetoPlot   *self,
                                           const double   *values,
                                           const char     *label);

/* Marks point @index (-1: none) and emits "point-selected" for a point. */
void          fb_pareto_plot_select       (FbParetoPlot   *self,
                                           int             index);
int           fb_pareto_plot_get_selected (FbParetoPlot   *self);
/* Hides or shows a series (what a click on its legend entry does) and
 * emits "series-toggled". */
void          fb_pareto_plot_set_series_hidden (FbParetoPlot *self,
                                                const char   *name,
                                                gboolean      hidden);
void          fb_pareto_plot_reset_view   (FbParetoPlot   *self);

/* Renders at the widget's current size (at least 640 × 420) to a file. */
gboolean      fb_pareto_plot_export       (FbParetoPlot   *self,
                                           const char     *path,
                                           FbPlotFormat    format,
                                           GError        **error);

/* The drawing state, for tests and the export code. */
FbPlotView   *fb_pareto_plot_get_view     (FbParetoPlot   *self);

G_END_DECLS
